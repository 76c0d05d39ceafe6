// Where captures go and how they are written: `<folder>/<context>/<namespace>/<pod>/<kind>-<UTC time><ext>`,
// through a temp file in the same directory and a rename, so a reader never sees half a profile. Captures hold
// stacks, paths and sometimes arguments of a production process: files are 0600, folders 0700, and a captures
// folder the extension creates gets a `.gitignore` of `*` so it never lands in the user's repository.
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
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

export const FILE_MODE = 0o600;
export const FOLDER_MODE = 0o700;

/**
 * Creates the captures folder (and its parents) with mode 0700 when missing, and then writes a `.gitignore` of
 * `*` into it. An existing folder is left as it is (the user made it). Returns true when it was created.
 */
export async function ensureCapturesFolder(folder: string): Promise<boolean> {
  const created = await mkdir(folder, { recursive: true, mode: FOLDER_MODE });
  if (created === undefined) return false;
  await writeFile(path.join(folder, '.gitignore'), '# Written by etcd Profiler: captures stay out of version control.\n*\n', { mode: FILE_MODE, flag: 'wx' }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    },
  );
  return true;
}

/** A temp file name beside `target` (a dot file, so listings skip it). */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
}

/**
 * Writes `data` to `file` (or `file-1`, `file-2`… when taken) atomically with mode 0600; folders it creates are
 * 0700. With `root` (the captures folder), the root is created first as `ensureCapturesFolder` does. Returns the
 * path written.
 */
export async function saveAtomically(file: string, data: Uint8Array, options: { root?: string } = {}): Promise<string> {
  if (options.root) await ensureCapturesFolder(options.root);
  await mkdir(path.dirname(file), { recursive: true, mode: FOLDER_MODE });
  let target = file;
  const ext = /\.(pb|tar)\.gz$/.exec(file)?.[0] ?? path.extname(file);
  for (let i = 1; await exists(target); i++) target = `${file.slice(0, file.length - ext.length)}-${i}${ext}`;
  const temp = tempPathFor(target);
  try {
    const fh = await open(temp, 'wx', FILE_MODE);
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

const KIND_TITLES: Record<string, string> = {
  cpu: 'cpu',
  heap: 'heap',
  allocs: 'allocs',
  goroutine: 'goroutine',
  'goroutine-debug1': 'goroutines debug=1',
  'goroutine-debug2': 'goroutines debug=2',
  block: 'block',
  mutex: 'mutex',
  threadcreate: 'threadcreate',
  trace: 'trace',
};
const CAPTURE_NAME = /^(triggered-)?([a-z]+(?:-debug[12])?)-(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ)(?:-\d+)?(?:\.pb\.gz|\.txt|\.trace)$/;

/**
 * Kind and time of a file named by `captureFilePath` (`heap-2026-11-26T11-05-12Z.pb.gz`), else undefined. A
 * recording trigger's captures (`triggered-heap-…`) are marked `triggered`.
 */
export function parseCaptureFileName(name: string): { kind: string; time: Date; triggered?: true } | undefined {
  const m = CAPTURE_NAME.exec(name);
  if (!m || !(m[2] in KIND_TITLES)) return undefined;
  const [date, clock] = m[3].slice(0, -1).split('T');
  const time = new Date(`${date}T${clock.replace(/-/g, ':')}Z`);
  if (Number.isNaN(time.getTime())) return undefined;
  return m[1] ? { kind: m[2], time, triggered: true } : { kind: m[2], time };
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A tab title for a capture file: `heap · etcd-master-0 · 09:07` (local time; the date too when not today),
 * from the file's name and its folder (the pod, in the `<context>/<namespace>/<pod>/` layout). Undefined for
 * files not named like captures.
 */
export function captureTitle(file: string, now = new Date()): string | undefined {
  const parts = file.split(/[\\/]/);
  const parsed = parseCaptureFileName(parts[parts.length - 1]);
  const pod = parts[parts.length - 2];
  if (!parsed || !pod) return undefined;
  const t = parsed.time;
  const sameDay = t.getFullYear() === now.getFullYear() && t.getMonth() === now.getMonth() && t.getDate() === now.getDate();
  const clock = `${pad(t.getHours())}:${pad(t.getMinutes())}`;
  const when = sameDay ? clock : `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${clock}`;
  return `${parsed.triggered ? 'triggered ' : ''}${KIND_TITLES[parsed.kind]} · ${pod} · ${when}`;
}
