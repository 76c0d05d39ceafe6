// Maps the file paths recorded in a Go binary (build paths) to files on this machine.
// Pure: no `vscode` import, so plain Node tests run it. The host supplies the roots and an
// `exists` check; this module only ever proposes paths inside those roots, never the raw
// path from the profile, so a profile naming /etc/passwd cannot make us read it.
import * as posix from 'node:path/posix';
import { escapePath } from './modules.ts';

/** A Go module found in the workspace: its path from go.mod and the folder holding go.mod. */
export interface WorkspaceModule {
  modulePath: string;
  dir: string;
}

/** An explicit prefix rewrite, like pprof's -trim_path / -source_path. */
export interface PathRewrite {
  from: string;
  to: string;
}

export interface SourceRoots {
  /** Absolute paths of the workspace folders. */
  workspaceFolders: readonly string[];
  modules: readonly WorkspaceModule[];
  /** Absolute paths of `vendor` folders inside the workspace. */
  vendorDirs: readonly string[];
  goroot?: string;
  gopath?: readonly string[];
  modCache?: string;
  rewrites: readonly PathRewrite[];
  /** Go files of the workspace (absolute), for the longest path-suffix match. */
  workspaceFiles: readonly string[];
}

export type ResolveVia = 'rewrite' | 'workspace' | 'module' | 'vendor' | 'goroot' | 'gopath' | 'modcache' | 'suffix';

export interface Candidate {
  path: string;
  via: ResolveVia;
}

export type Resolution = { found: true; path: string; via: ResolveVia } | { found: false; tried: Candidate[] };

/** Slash-separated, `..`-free absolute form; `undefined` for relative paths. */
export function normalizeAbsolute(p: string): string | undefined {
  let s = p.replace(/\\/g, '/');
  // Windows drive letters: C:/x → /C:/x keeps posix logic working and comparisons exact.
  if (/^[A-Za-z]:\//.test(s)) s = '/' + s;
  if (!s.startsWith('/')) return undefined;
  return posix.normalize(s).replace(/\/+$/, '') || '/';
}

/** Whether `p` is `root` or lies under it, after normalization (so `root/../x` is outside). */
export function isInside(p: string, root: string): boolean {
  const np = normalizeAbsolute(p);
  const nr = normalizeAbsolute(root);
  if (np === undefined || nr === undefined) return false;
  if (nr === '/') return true;
  return np === nr || np.startsWith(nr + '/');
}

/** Reads the `module` directive of a go.mod file. */
export function parseModulePath(goMod: string): string | undefined {
  for (const raw of goMod.split(/\r?\n/)) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    const m = /^module\s+("?)([^\s"]+)\1$/.exec(line);
    if (m) return m[2];
  }
  return undefined;
}

/** The roots inside which a resolved path may lie. */
export function allowedRoots(roots: SourceRoots): string[] {
  const out: string[] = [...roots.workspaceFolders];
  if (roots.goroot) out.push(roots.goroot);
  for (const g of roots.gopath ?? []) out.push(g);
  if (roots.modCache) out.push(roots.modCache);
  for (const r of roots.rewrites) if (normalizeAbsolute(r.to)) out.push(r.to);
  return out.filter((r) => normalizeAbsolute(r) !== undefined);
}

/** Module-cache style `path@version/` segments removed: `go.etcd.io/etcd/server/v3@v3.5.9/x.go` → `go.etcd.io/etcd/server/v3/x.go`. */
function stripVersions(p: string): string {
  return p.replace(/@v[^/]+(?=\/)/g, '');
}

/** Tails of the build path that may be Go import-path-relative: after `/src/`, `/pkg/mod/`, `/vendor/`, or the whole path. */
function importPathTails(buildPath: string): string[] {
  const p = buildPath.replace(/\\/g, '/');
  const tails = new Set<string>();
  const add = (t: string) => {
    const clean = t.replace(/^\/+/, '');
    if (clean) tails.add(stripVersions(clean));
  };
  for (const marker of ['/pkg/mod/', '/vendor/', '/src/']) {
    let i = p.indexOf(marker);
    while (i >= 0) {
      add(p.slice(i + marker.length));
      i = p.indexOf(marker, i + 1);
    }
  }
  add(p);
  return [...tails];
}

function segments(p: string): string[] {
  return p.replace(/\\/g, '/').split('/').filter((s) => s && s !== '.');
}

/** Number of trailing path segments two paths share. */
export function sharedSuffix(a: string, b: string): number {
  const sa = segments(a);
  const sb = segments(b);
  let n = 0;
  while (n < sa.length && n < sb.length && sa[sa.length - 1 - n] === sb[sb.length - 1 - n]) n++;
  return n;
}

/** Minimum shared trailing segments for a suffix match (directory plus file name). */
export const MIN_SUFFIX_SEGMENTS = 2;

/**
 * Candidate local paths for a build path, best first, each inside an allowed root.
 * Order: explicit rewrites, the path itself when inside the workspace, workspace modules,
 * vendor folders, GOROOT (standard library), GOPATH, module cache, longest suffix match.
 */
export function candidatePaths(buildPath: string, roots: SourceRoots): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const allowed = allowedRoots(roots);
  const push = (path: string, via: ResolveVia, base?: string) => {
    const n = normalizeAbsolute(path);
    if (n === undefined || seen.has(n)) return;
    if (base !== undefined && !isInside(n, base)) return;
    if (!allowed.some((r) => isInside(n, r))) return;
    seen.add(n);
    out.push({ path: n, via });
  };
  const bp = buildPath.replace(/\\/g, '/');
  // Go records cleaned paths; a `..` segment only appears in a crafted profile.
  if (!bp || segments(bp).includes('..')) return out;

  for (const r of roots.rewrites) {
    const from = r.from.replace(/\\/g, '/');
    if (from && bp.startsWith(from)) {
      const rest = bp.slice(from.length).replace(/^\/+/, '');
      push(posix.join(r.to.replace(/\\/g, '/'), rest), 'rewrite', r.to);
    }
  }

  const abs = normalizeAbsolute(bp);
  if (abs !== undefined && roots.workspaceFolders.some((w) => isInside(abs, w))) push(abs, 'workspace');

  const tails = importPathTails(bp);
  // Longest module path first, so nested modules win over their parents.
  const modules = [...roots.modules].sort((a, b) => b.modulePath.length - a.modulePath.length);
  for (const tail of tails) {
    for (const m of modules) {
      if (tail.startsWith(m.modulePath + '/')) push(posix.join(m.dir.replace(/\\/g, '/'), tail.slice(m.modulePath.length + 1)), 'module');
    }
  }

  for (const tail of tails) {
    for (const v of roots.vendorDirs) push(posix.join(v.replace(/\\/g, '/'), tail), 'vendor');
  }

  if (roots.goroot) {
    const goroot = roots.goroot.replace(/\\/g, '/');
    for (const tail of tails) {
      // Standard library import paths have no dot in their first element.
      const first = tail.split('/')[0];
      if (first && !first.includes('.') && tail.includes('/')) push(posix.join(goroot, 'src', tail), 'goroot');
    }
  }

  for (const g of roots.gopath ?? []) {
    const i = bp.lastIndexOf('/src/');
    if (i >= 0) push(posix.join(g.replace(/\\/g, '/'), 'src', bp.slice(i + 5)), 'gopath');
  }

  if (roots.modCache) {
    const i = bp.lastIndexOf('/pkg/mod/');
    // A -trimpath path names the module as written (`github.com/BurntSushi/toml@v1.2.1/…`); the cache's folder is
    // case-encoded (`github.com/!burnt!sushi/toml@v1.2.1`).
    const trimmed = /^([^/]+\.[^/]+\/[^@]*@v[^/]+)(\/.*)$/.exec(bp);
    const rest = i >= 0 ? bp.slice(i + 9) : trimmed ? escapePath(trimmed[1]) + trimmed[2] : undefined;
    if (rest !== undefined) push(posix.join(roots.modCache.replace(/\\/g, '/'), rest), 'modcache');
  }

  let best = 0;
  const bestFiles: string[] = [];
  const base = posix.basename(bp);
  for (const f of roots.workspaceFiles) {
    if (posix.basename(f.replace(/\\/g, '/')) !== base) continue;
    const n = Math.max(sharedSuffix(f, bp), ...tails.map((t) => sharedSuffix(f, t)));
    if (n < MIN_SUFFIX_SEGMENTS || n < best) continue;
    if (n > best) {
      best = n;
      bestFiles.length = 0;
    }
    bestFiles.push(f);
  }
  bestFiles.sort((a, b) => a.length - b.length);
  for (const f of bestFiles) push(f, 'suffix');
  return out;
}

/** The first candidate that exists. `exists` is only ever called with paths inside the allowed roots. */
export async function resolveSourcePath(
  buildPath: string,
  roots: SourceRoots,
  exists: (path: string) => Promise<boolean> | boolean,
): Promise<Resolution> {
  const tried = candidatePaths(buildPath, roots);
  for (const c of tried) {
    if (await exists(c.path)) return { found: true, path: c.path, via: c.via };
  }
  return { found: false, tried };
}
