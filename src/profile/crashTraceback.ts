// Crash tracebacks in a container log: what a Go program writes to stderr when it dies — `panic: …`,
// `fatal error: …`, `[signal SIGSEGV: …]`, a SIGQUIT dump — followed by its goroutines (all of them with
// GOTRACEBACK=all, else the one that failed), amid the program's ordinary log lines. Pure: the log text in,
// the traceback(s) out, to be read as a goroutine dump (goroutines.ts).
import { dumpTextOf } from './goroutines.ts';

export interface Traceback {
  /** First line (0-based, in the log) of the traceback: its message, or its first goroutine when it has none. */
  startLine: number;
  /** Last line of its last goroutine. */
  endLine: number;
  /** e.g. `panic: runtime error: invalid memory address or nil pointer dereference`; '' when there is none. */
  message: string;
  /** The traceback's text (prefixes of the log lines, such as timestamps, stripped). */
  text: string;
  /** Its goroutine headers, as counted in the text. */
  goroutines: number;
}

const MESSAGE = /^(?:panic: |fatal error: |fatal: |unexpected fault address |SIG[A-Z]+: )/;
const HEADER = /^goroutine \d+ [^\n]*\[[^\n]*\]:?[ \t]*$/;
const RUNNING = /^goroutine \d+ [^\n]*\[running[^\]]*\]:?[ \t]*$/;

// Inside a goroutine block: `\tfile:line +0x…` lines, the function (or `created by …`) lines each of them follows,
// `...additional frames elided...` and tracebackancestors' `[originating from goroutine N]:`. Anything else (a log
// line written after the crash, the next process's first line) is not.
function isFrameLine(lines: string[], j: number): boolean {
  const line = lines[j];
  if (line.startsWith('\t')) return true;
  if (line.trim() === '' || HEADER.test(line)) return false;
  if (line.startsWith('...') || line.startsWith('[originating from goroutine ')) return true;
  return j + 1 < lines.length && lines[j + 1].startsWith('\t');
}

/**
 * The tracebacks in a log, oldest first. A traceback starts at a crash message (`panic:`, `fatal error:`, `SIGQUIT:`…)
 * whose goroutines follow within a few lines, or at a `goroutine N [running]:` that no message precedes, and ends
 * at the first line after a blank line that does not go on with another goroutine.
 */
export function findTracebacks(log: string): Traceback[] {
  const body = dumpTextOf(log);
  const lines = body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const out: Traceback[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let start = -1;
    let firstHeader = -1;
    if (MESSAGE.test(line)) {
      // its goroutines begin within the next lines (the message, `[signal …]`, `runtime stack:` frames, `goroutine N`)
      for (let j = i + 1; j < lines.length && j <= i + 200; j++) {
        if (HEADER.test(lines[j])) {
          firstHeader = j;
          break;
        }
        if (MESSAGE.test(lines[j])) break; // another crash's message: this one had no goroutines
      }
      if (firstHeader >= 0) start = i;
    } else if (RUNNING.test(line)) {
      start = i;
      firstHeader = i;
    }
    if (start < 0) {
      i++;
      continue;
    }
    // the goroutines: blocks separated by blank lines, each starting with a header
    let end = firstHeader;
    let goroutines = 0;
    let j = firstHeader;
    while (j < lines.length) {
      if (!HEADER.test(lines[j])) break;
      goroutines++;
      j++;
      while (j < lines.length && isFrameLine(lines, j)) j++;
      end = j - 1;
      if (j < lines.length && lines[j].trim() !== '' && !HEADER.test(lines[j])) break; // log lines go on
      while (j < lines.length && lines[j].trim() === '') j++;
    }
    out.push({
      startLine: start,
      endLine: end,
      message: start < firstHeader ? line : '',
      text: lines.slice(start, end + 1).join('\n') + '\n',
      goroutines,
    });
    i = end + 1;
  }
  return out;
}
