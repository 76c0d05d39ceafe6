// Go module paths and versions as they appear in a profile's file names, checked before they reach a URL, a file
// path or the go command. A profile is untrusted input: only names that pass these checks are ever fetched.

/** A module at one version. */
export interface ModuleVersion {
  path: string;
  version: string;
}

/** What a frame's build path says about where its source comes from. */
export type Origin =
  | { kind: 'module'; module: string; version: string; rel: string }
  | { kind: 'main'; module: string; version: string; rel: string }
  | { kind: 'stdlib'; rel: string }
  /** A vendored package's file (`…/vendor/<import path>/file.go`, no version): its module comes from the main module's go.mod. */
  | { kind: 'vendored'; importPath: string }
  | { kind: 'unknown' };

// golang.org/x/mod/module: path elements of ASCII letters, digits and `-._~`; the first has a dot.
const ELEMENT = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;
const FIRST = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)+$/;
// Semantic versions as the go command accepts them for modules (pseudo-versions and toolchain versions included).
const VERSION = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+incompatible)?$/;
const GO_VERSION = /^go(1)\.(0|[1-9]\d*)(\.(0|[1-9]\d*))?((rc|beta)[1-9]\d*)?$/;

/** The reason a module path is not valid, or undefined when it is. */
export function checkModulePath(path: string): string | undefined {
  if (!path || path.length > 500) return 'empty or too long';
  const elems = path.split('/');
  if (!FIRST.test(elems[0])) return `"${elems[0]}" is not a domain name`;
  for (const e of elems) {
    if (!ELEMENT.test(e) || e.endsWith('.') || e === '..') return `bad path element "${e}"`;
  }
  return undefined;
}

export function checkVersion(version: string): string | undefined {
  return version.length <= 200 && VERSION.test(version) ? undefined : `"${version}" is not a module version`;
}

export function isGoVersion(v: string): boolean {
  return GO_VERSION.test(v);
}

/** The `golang.org/toolchain` module version holding the source of Go `goVersion` (any platform's src/ is the same). */
export function toolchainModule(goVersion: string): ModuleVersion {
  return { path: 'golang.org/toolchain', version: `v0.0.1-${goVersion}.linux-amd64` };
}

/** Parses `PATH@VERSION`, throwing a message that names the part at fault. */
export function parseModuleVersion(s: string): ModuleVersion {
  const at = s.lastIndexOf('@');
  if (at <= 0) throw new Error(`"${s}" is not PATH@VERSION`);
  const mv = { path: s.slice(0, at), version: s.slice(at + 1) };
  const bad = checkModulePath(mv.path) ?? checkVersion(mv.version);
  if (bad) throw new Error(`"${s}": ${bad}`);
  return mv;
}

/** Case-encoding of the module proxy protocol and the module cache: `Azure` → `!azure`. */
export function escapePath(s: string): string {
  return s.replace(/[A-Z]/g, (c) => '!' + c.toLowerCase());
}

export function unescapePath(s: string): string | undefined {
  if (/[A-Z]/.test(s) || /![^a-z]|!$/.test(s)) return undefined;
  return s.replace(/!([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** A file path inside a module: slash-separated, relative, no `.`/`..`/empty segments, no control characters. */
export function checkRelPath(rel: string): boolean {
  if (!rel || rel.length > 1000 || rel.includes('\\') || rel.includes(':')) return false;
  for (let i = 0; i < rel.length; i++) if (rel.charCodeAt(i) < 0x20 || rel.charCodeAt(i) === 0x7f) return false;
  return rel.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/**
 * Where a frame's build path comes from: `module@version/file` (a -trimpath build, or a path under `/pkg/mod/` of a
 * module-cache build, case-escaped there); a file of one of `mainModules` (no version in the path); a standard
 * library file (`runtime/proc.go` in -trimpath builds, `…/go/src/runtime/proc.go` otherwise).
 */
export function classifyBuildPath(buildPath: string, mainModules: readonly ModuleVersion[] = []): Origin {
  const p = buildPath.replace(/\\/g, '/');
  const modIdx = p.lastIndexOf('/pkg/mod/');
  const inModCache = modIdx >= 0;
  const tail = inModCache ? p.slice(modIdx + '/pkg/mod/'.length) : p;
  const m = /^([^@]+)@([^/]+)\/(.+)$/.exec(tail);
  if (m) {
    const module = inModCache ? unescapePath(m[1]) : m[1];
    const version = inModCache ? unescapePath(m[2]) : m[2];
    if (module && version && !checkModulePath(module) && !checkVersion(version) && checkRelPath(m[3])) {
      return { kind: 'module', module, version, rel: m[3] };
    }
    return { kind: 'unknown' };
  }
  const sorted = [...mainModules].sort((a, b) => b.path.length - a.path.length);
  for (const mm of sorted) {
    if (p.startsWith(mm.path + '/')) {
      const rel = p.slice(mm.path.length + 1);
      if (checkRelPath(rel)) return { kind: 'main', module: mm.path, version: mm.version, rel };
    }
  }
  const v = p.lastIndexOf('/vendor/');
  if (v >= 0) {
    const importPath = p.slice(v + '/vendor/'.length);
    if (checkRelPath(importPath) && importPath.split('/')[0].includes('.') && importPath.includes('/')) return { kind: 'vendored', importPath };
  }
  let rel: string | undefined;
  if (!p.startsWith('/') && !/^[A-Za-z]:\//.test(p)) rel = p;
  else {
    const i = p.lastIndexOf('/src/');
    if (i >= 0) rel = p.slice(i + 5);
  }
  if (rel !== undefined && checkRelPath(rel)) {
    const first = rel.split('/')[0];
    // Standard-library import paths have no dot in their first element; a file of `main` sits at the top.
    if (rel.includes('/') && !first.includes('.')) return { kind: 'stdlib', rel };
  }
  return { kind: 'unknown' };
}

/**
 * The `require` (and versioned `replace`) lines of a go.mod: module path → version. A replacement by a local
 * directory has no version and is left out.
 */
export function goModRequirements(goMod: string): Map<string, string> {
  const req = new Map<string, string>();
  const replace = new Map<string, ModuleVersion>();
  const local = new Set<string>();
  let block: string | undefined;
  for (const raw of goMod.split(/\r?\n/)) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!line) continue;
    if (block) {
      if (line === ')') {
        block = undefined;
        continue;
      }
    } else {
      const m = /^(require|replace)\s*(\(?)\s*(.*)$/.exec(line);
      if (!m) continue;
      if (m[2] === '(') {
        block = m[1];
        if (!m[3]) continue;
      }
      handle(m[1], m[3]);
      continue;
    }
    handle(block, line);
  }
  function handle(verb: string, rest: string): void {
    const unq = (x: string) => x.replace(/^"(.*)"$/, '$1');
    if (verb === 'require') {
      const f = rest.split(/\s+/).map(unq);
      if (f.length >= 2 && !checkModulePath(f[0]) && !checkVersion(f[1])) req.set(f[0], f[1]);
    } else {
      const [from, to] = rest.split('=>').map((x) => x.trim().split(/\s+/).map(unq));
      if (!from || !to) return;
      if (to.length < 2 || checkModulePath(to[0]) || checkVersion(to[1])) local.add(from[0]);
      else replace.set(from[0], { path: to[0], version: to[1] });
    }
  }
  const out = new Map<string, string>();
  for (const [path, version] of req) {
    if (local.has(path)) continue;
    const r = replace.get(path);
    // A replacement keeps the import path; its source is the replacement module's.
    out.set(path, r ? `${r.path}@${r.version}` : `${path}@${version}`);
  }
  return out;
}

/** The module (longest path first) of `importPath` among go.mod's requirements, and the file's path in it. */
export function vendoredModule(importPath: string, requirements: Map<string, string>): { mv: ModuleVersion; rel: string } | undefined {
  let best: string | undefined;
  for (const path of requirements.keys()) {
    if (importPath.startsWith(path + '/') && (!best || path.length > best.length)) best = path;
  }
  if (!best) return undefined;
  const target = requirements.get(best)!;
  const at = target.lastIndexOf('@');
  return { mv: { path: target.slice(0, at), version: target.slice(at + 1) }, rel: importPath.slice(best.length + 1) };
}
