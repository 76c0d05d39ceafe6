// Reads a recording directory back: its index, then each capture file summarized into a timeline. Files that
// are gone or unreadable count as failed captures of their round (with the reason), never as a crash.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { summarizeCapture, type CaptureSummary } from '../profile/captureSummary.ts';
import { findLeaks, type Finding } from '../profile/findings.ts';
import { RECORDING_INDEX, RecordingError, parseRecordingIndex, type RecordKind, type RecordingIndex } from '../profile/recordingIndex.ts';
import { Timeline } from '../profile/timeline.ts';

export interface LoadedRecording {
  dir: string;
  index: RecordingIndex;
  timeline: Timeline;
  findings: Finding[];
  /** Capture files listed in the index that could not be read or summarized. */
  unreadable: Array<{ file: string; reason: string }>;
}

/** The index file of a recording given its directory or the index file itself. */
export async function recordingIndexPath(target: string): Promise<string> {
  const s = await stat(target).catch(() => undefined);
  if (!s) throw new RecordingError(`${target}: no such file or directory.`);
  return s.isDirectory() ? path.join(target, RECORDING_INDEX) : target;
}

export async function loadRecording(target: string): Promise<LoadedRecording> {
  const indexFile = await recordingIndexPath(target);
  const dir = path.dirname(indexFile);
  let text: string;
  try {
    text = await readFile(indexFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RecordingError(code === 'ENOENT' ? `${dir} holds no recording (no ${RECORDING_INDEX}).` : `${indexFile}: cannot read (${code ?? (err as Error).message}).`);
  }
  const index = parseRecordingIndex(text);
  const timeline = new Timeline();
  const unreadable: LoadedRecording['unreadable'] = [];
  for (const round of index.rounds) {
    const summaries: Partial<Record<RecordKind, { summary: CaptureSummary; file: string; t: string }>> = {};
    const failures: Array<{ kind: RecordKind; error: string; code: string }> = [];
    for (const c of round.captures) {
      if ('error' in c) {
        failures.push({ kind: c.kind, error: c.error, code: c.code });
        continue;
      }
      try {
        const bytes = await readFile(path.join(dir, ...c.file.split('/')));
        summaries[c.kind] = { summary: summarizeCapture(c.kind, bytes, path.basename(c.file)), file: c.file, t: c.t };
      } catch (err) {
        const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file is gone' : (err as Error).message;
        unreadable.push({ file: c.file, reason });
        failures.push({ kind: c.kind, error: `${c.file}: ${reason}`, code: 'unreadable' });
      }
    }
    timeline.add(round, summaries, failures);
  }
  return { dir, index, timeline, findings: findLeaks(timeline), unreadable };
}
