// Where captures go and how they are written: `<folder>/<context>/<namespace>/<pod>/<kind>-<UTC time><ext>`,
// through a temp file in the same directory and a rename, so a reader never sees half a profile.
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CaptureKind } from './kinds.ts';

export interface CaptureLocation {
  folder: string;
  context: string;
  namespace: string;
  pod: string;
  kind: CaptureKind;
  time?: Date;
}

/** Path-safe segment: kube context names often hold `/` and `:` (`default/api-x:6443/kube:admin`). */
export function safeSegment(s: string): string {
  const cleaned = [...s].map((c) => (c.charCodeAt(0) < 0x20 || '/\\:*?"<>|'.includes(c) ? '_' : c)).join('').replace(/^\.+/, '_');
  return cleaned || '_';
}

/** `2026-11-26T11-05-12Z`: UTC, sortable, no colons (Windows). */
export function utcStamp(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
}

export function captureFilePath(loc: CaptureLocation): string {
  const name = `${loc.kind.id}-${utcStamp(loc.time ?? new Date())}${loc.kind.extension}`;
  return path.join(loc.folder, safeSegment(loc.context), safeSegment(loc.namespace), safeSegment(loc.pod), name);
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Writes `data` to `file` (or `file-1`, `file-2`… when taken) atomically; returns the path written. */
export async function saveAtomically(file: string, data: Uint8Array): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  let target = file;
  const ext = /\.(pb|tar)\.gz$/.exec(file)?.[0] ?? path.extname(file);
  for (let i = 1; await exists(target); i++) target = `${file.slice(0, file.length - ext.length)}-${i}${ext}`;
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fh = await open(temp, 'wx', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return target;
}
