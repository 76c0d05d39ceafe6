// What "Compare with…" offers as a base: the other captures of the same kind in the captures folder,
// the same pod's first, newest first, with their times and sizes. No `vscode` import, so unit tests run it.
import { basename } from 'node:path';
import type { CaptureFile } from '../captureFiles.ts';
import { formatSize } from '../captureFiles.ts';
import { captureInfoFromPath } from './model.ts';

/** Kinds a saved capture's name starts with (`heap-2026-12-03T10-05-12Z.pb.gz`). */
const KIND_NAME = /^(cpu|heap|allocs|goroutine|block|mutex|threadcreate)-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z)(?:-\d+)?\.pb\.gz$/;

/** The capture kind and time a file's name gives, if it is named the way captures are saved. */
export function captureNameInfo(fileName: string): { kind: string; time: Date } | undefined {
  const m = KIND_NAME.exec(fileName);
  if (!m) return undefined;
  const [d, t] = m[2].split('T');
  const time = new Date(`${d}T${t.replace(/-/g, ':')}`);
  return Number.isNaN(time.getTime()) ? undefined : { kind: m[1], time };
}

export interface BaseCandidate {
  path: string;
  fileName: string;
  /** `<context>/<namespace>/<pod>` of the capture, when it is under the captures folder. */
  pod?: string;
  samePod: boolean;
  time: Date;
  size: number;
  /** One line for a picker: pod, time and size. */
  description: string;
}

function podKey(path: string, root: string | undefined): string | undefined {
  const info = captureInfoFromPath(path, root);
  return info ? `${info.context}/${info.namespace}/${info.pod}` : undefined;
}

/** `2026-12-03 10:05:12 UTC`. */
export function formatUtc(d: Date): string {
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/**
 * The captures in `files` that can be the base of `current` (a profile of `kind`): same kind, not the
 * profile itself, the same pod's first, each group newest first.
 */
export function baseCandidates(current: string, kind: string, files: CaptureFile[], capturesRoot: string | undefined): BaseCandidate[] {
  const mine = podKey(current, capturesRoot);
  const out: BaseCandidate[] = [];
  for (const f of files) {
    if (f.path === current) continue;
    const fileName = basename(f.path);
    const named = captureNameInfo(fileName);
    if (!named || named.kind !== kind) continue;
    const key = podKey(f.path, capturesRoot);
    const pod = key?.split('/').pop();
    out.push({
      path: f.path,
      fileName,
      pod: key,
      samePod: key !== undefined && key === mine,
      time: named.time,
      size: f.size,
      description: [pod, formatUtc(named.time), formatSize(f.size)].filter(Boolean).join(' · '),
    });
  }
  return out.sort((a, b) => Number(b.samePod) - Number(a.samePod) || b.time.getTime() - a.time.getTime() || a.path.localeCompare(b.path));
}
