// Where saved captures live and what is there. Host-free (no `vscode` import) so unit tests run it directly.
import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, sep } from 'node:path';

/**
 * The captures folder: the setting when absolute (`~` expanded); a relative setting (default `.profiles`) under
 * the first workspace folder, else under the extension's global storage.
 */
export function resolveCapturesFolder(setting: string | undefined, workspaceFolder: string | undefined, globalStorage: string): string {
  const value = setting?.trim() || '.profiles';
  if (value === '~' || value.startsWith('~/')) return join(homedir(), value.slice(1));
  if (isAbsolute(value)) return value;
  return join(workspaceFolder ?? globalStorage, value);
}

export interface CaptureFile {
  /** Absolute path. */
  path: string;
  /** Path segments under the captures folder, e.g. `['sandbox', 'openshift-etcd', 'etcd-master-0', 'heap-….pb.gz']`. */
  segments: string[];
  size: number;
  mtimeMs: number;
}

/** Temp files of an atomic save in progress (`.name.tmp-…`) and other dot files are not captures. */
function isCaptureName(name: string): boolean {
  return !name.startsWith('.') && !name.endsWith('.tmp') && !name.includes('.tmp-');
}

/** Every capture file under `root` (depth-limited), newest first. A missing folder gives an empty list. */
export async function listCaptureFiles(root: string, maxDepth = 6): Promise<CaptureFile[]> {
  const out: CaptureFile[] = [];
  async function walk(dir: string, depth: number): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw err;
    }
    for (const e of entries) {
      if (!isCaptureName(e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < maxDepth) await walk(p, depth + 1);
      } else if (e.isFile()) {
        const s = await stat(p).catch(() => undefined);
        if (s) out.push({ path: p, segments: relative(root, p).split(sep), size: s.size, mtimeMs: s.mtimeMs });
      }
    }
  }
  await walk(root, 0);
  return out.sort((a, b) => b.mtimeMs - a.mtimeMs || a.path.localeCompare(b.path));
}

export interface CaptureFolderNode {
  name: string;
  /** Path segments from the root to this folder. */
  segments: string[];
  folders: CaptureFolderNode[];
  files: CaptureFile[];
}

/** Arranges files into their folders (context / namespace / pod), folders by name, files newest first. */
export function captureTree(files: CaptureFile[]): CaptureFolderNode {
  const root: CaptureFolderNode = { name: '', segments: [], folders: [], files: [] };
  for (const f of files) {
    let node = root;
    for (const seg of f.segments.slice(0, -1)) {
      let next = node.folders.find((n) => n.name === seg);
      if (!next) {
        next = { name: seg, segments: [...node.segments, seg], folders: [], files: [] };
        node.folders.push(next);
      }
      node = next;
    }
    node.files.push(f);
  }
  const sort = (n: CaptureFolderNode) => {
    n.folders.sort((a, b) => a.name.localeCompare(b.name));
    n.files.sort((a, b) => b.mtimeMs - a.mtimeMs || a.path.localeCompare(b.path));
    n.folders.forEach(sort);
  };
  sort(root);
  return root;
}

/** `12.3 KB` style sizes for descriptions. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
