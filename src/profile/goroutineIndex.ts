// Where things are in the text of a goroutine dump, by line: one block per goroutine (debug=2) or per
// `COUNT @ 0x…` record (debug=1), and the line of each group's first goroutine, so an editor can fold,
// outline and reveal what parseGoroutineDump grouped. Also the `file:line` spans of a line, for links.
import type { GoroutineDump, GoroutineFrame, GoroutineGroup } from './goroutines.ts';

export interface GoroutineIndex {
  format: 'debug=2' | 'debug=1' | 'none';
  /** First line (0-based) of each block: its `goroutine N [...]:` or `COUNT @ …` header. */
  starts: Int32Array;
  /** Last non-empty line of each block. */
  ends: Int32Array;
  /** Per group of the dump (same order): the header line of its first goroutine or record, -1 when not found. */
  groupLines: Int32Array;
}

export interface FileLineSpan {
  /** Offsets in the line: the path starts at `start`, the `:line` ends before `end`. */
  start: number;
  end: number;
  file: string;
  line: number;
}

const DEBUG2_HEADER = /^goroutine (\d+) [^\n]*\[[^\n]*\]:?[ \t]*\r?$/;
const DEBUG1_RECORD = /^(\d+) @( 0x[0-9a-f]+)*\r?$/;

function frameKey(frames: readonly GoroutineFrame[]): string {
  let key = '';
  for (const f of frames) key += `${f.function}\u0000${f.file}\u0000${f.line}\u0001`;
  return key;
}

// `#\t0x4dca98\tmain.f+0x18\t/src/main.go:53` → the frame, as goroutines.ts reads it.
function debug1Frame(line: string): GoroutineFrame | undefined {
  const parts = line.split('\t').filter((p) => p !== '');
  if (parts.length < 4 || !parts[1].startsWith('0x')) return undefined;
  let fn = parts[2];
  const plus = fn.lastIndexOf('+0x');
  if (plus > 0) fn = fn.slice(0, plus);
  const span = fileLineSpan(parts.slice(3).join(' '));
  return { function: fn, file: span?.file ?? '', line: span?.line ?? 0 };
}

/** Blocks of a dump's text and the first line of each of `dump`'s groups. */
export function indexGoroutineText(text: string, dump: Pick<GoroutineDump, 'format' | 'groups'>): GoroutineIndex {
  const starts: number[] = [];
  const ends: number[] = [];
  const idLine = new Map<number, number>();
  const recordLine = new Map<string, number>();
  const format = dump.format === 'debug=2' ? 'debug=2' : dump.format === 'debug=1' ? 'debug=1' : 'none';
  let lineNo = 0;
  let pos = 0;
  let open = -1; // index of the block being read
  let recordFrames: GoroutineFrame[] | undefined;
  const closeRecord = () => {
    if (recordFrames && open >= 0) {
      const key = frameKey(recordFrames);
      if (!recordLine.has(key)) recordLine.set(key, starts[open]);
    }
    recordFrames = undefined;
  };
  while (pos <= text.length && format !== 'none') {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const c = pos < nl ? text.charCodeAt(pos) : -1;
    const blank = c === -1 || (c === 13 && nl === pos + 1);
    if (format === 'debug=2') {
      // Most lines are frames: only headers are cut out of the text.
      if (c === 103 /* g */ && text.startsWith('goroutine ', pos)) {
        const m = DEBUG2_HEADER.exec(text.slice(pos, nl));
        if (m) {
          starts.push(lineNo);
          ends.push(lineNo);
          open = starts.length - 1;
          const id = Number(m[1]);
          if (!idLine.has(id)) idLine.set(id, lineNo);
        } else if (open >= 0) ends[open] = lineNo;
      } else if (blank) {
        open = -1;
      } else if (open >= 0) {
        ends[open] = lineNo;
      }
    } else {
      const line = text.slice(pos, nl);
      if (c >= 48 && c <= 57 && DEBUG1_RECORD.test(line)) {
        closeRecord();
        starts.push(lineNo);
        ends.push(lineNo);
        open = starts.length - 1;
        recordFrames = [];
      } else if (blank) {
        closeRecord();
        open = -1;
      } else if (open >= 0 && c === 35 /* # */) {
        ends[open] = lineNo;
        const f = debug1Frame(line.endsWith('\r') ? line.slice(0, -1) : line);
        if (f) recordFrames?.push(f);
      } else {
        closeRecord();
        open = -1;
      }
    }
    lineNo++;
    pos = nl + 1;
  }
  closeRecord();
  const groupLines = new Int32Array(dump.groups.length).fill(-1);
  dump.groups.forEach((g: GoroutineGroup, i) => {
    if (format === 'debug=2') {
      const line = g.ids.length ? idLine.get(g.ids[0]) : undefined;
      if (line !== undefined) groupLines[i] = line;
    } else if (format === 'debug=1') {
      const line = recordLine.get(frameKey(g.frames));
      if (line !== undefined) groupLines[i] = line;
    }
  });
  return { format, starts: Int32Array.from(starts), ends: Int32Array.from(ends), groupLines };
}

/**
 * The `file:line` of a dump line: the tab-indented location line of debug=2 (`\t/src/x.go:12 +0x1f`),
 * the last column of a debug=1 frame (`#\t0x…\tmain.f+0x18\t/src/x.go:53`). Undefined for other lines.
 */
export function fileLineSpan(lineText: string): FileLineSpan | undefined {
  let end = lineText.length;
  while (end > 0 && (lineText.charCodeAt(end - 1) === 13 || lineText.charCodeAt(end - 1) === 32)) end--;
  let t = lineText.slice(0, end);
  // debug=2: ` +0x1f` after the line; crash dumps may add ` fp=… sp=… pc=…`.
  const extra = / \+0x[0-9a-f]+| (?:fp|sp|pc)=/.exec(t);
  if (extra) t = t.slice(0, extra.index);
  // the path is the last tab-separated field (debug=1) or the whole indented line (debug=2)
  const tab = t.lastIndexOf('\t');
  const start = tab + 1;
  const field = t.slice(start);
  const m = /^(.*\.(?:go|s|c|h)):(\d+)$/.exec(field);
  if (!m || m[1].includes('\t')) return undefined;
  return { start, end: start + field.length, file: m[1], line: Number(m[2]) };
}

/** A stretch of consecutive blocks of one group: what the outline and the breadcrumb show for those lines. */
export interface OutlineRun {
  group: number;
  /** First line of the first block, last line of the last block (0-based). */
  start: number;
  end: number;
}

/**
 * Outline entries that never claim another goroutine's lines: consecutive blocks of the same group (`blockGroup[b]`,
 * -1 for none) merge into one run. A dump's goroutines of one state or group are spread through the text, so an
 * entry spanning from a group's first to its last goroutine would cover others (the breadcrumb then named the wrong
 * state). When there are more than `maxRuns`, only each group's first block is listed.
 */
export function outlineRuns(index: Pick<GoroutineIndex, 'starts' | 'ends' | 'groupLines'>, blockGroup: Int32Array, maxRuns = 20_000): OutlineRun[] {
  const runs: OutlineRun[] = [];
  for (let b = 0; b < index.starts.length; b++) {
    const g = blockGroup[b];
    if (g < 0) continue;
    const last = runs[runs.length - 1];
    // Merged only when directly consecutive: the previous block of the text is the run's last.
    if (last && last.group === g && b > 0 && blockGroup[b - 1] === g && last.end === index.ends[b - 1]) last.end = index.ends[b];
    else runs.push({ group: g, start: index.starts[b], end: index.ends[b] });
    if (runs.length > maxRuns) break;
  }
  if (runs.length <= maxRuns) return runs;
  const firsts: OutlineRun[] = [];
  index.groupLines.forEach((line, group) => {
    if (line < 0) return;
    let lo = 0;
    let hi = index.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (index.starts[mid] > line) hi = mid - 1;
      else if (index.ends[mid] < line) lo = mid + 1;
      else return void firsts.push({ group, start: index.starts[mid], end: index.ends[mid] });
    }
  });
  return firsts.sort((a, b) => a.start - b.start);
}
