// Resolves every source file of a profile, in the order the issue sets: the workspace and configured roots (with
// the local Go roots, sourceMap.ts), then — when fetching is on — the source at the exact version that built the
// binary: a dependency's module@version from its build path, the main module at the version the user or the
// capture gives, the standard library as the `golang.org/toolchain` module of the capture's Go version (or the
// local GOROOT when its version is the same), a vendored package (`…/vendor/<import path>/…`, a build without
// -trimpath) at the version the main module's go.mod requires.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fetchModules, FetchError, type FetchOptions, type FetchResult } from './fetchModule.ts';
import { classifyBuildPath, goModRequirements, toolchainModule, vendoredModule, type ModuleVersion, type Origin } from './modules.ts';
import { resolveSourcePath, type SourceRoots } from './sourceMap.ts';

export interface FileResult {
  /** The build path as the profile records it. */
  file: string;
  module: string | null;
  version: string | null;
  /** The local file, or null when none was found. */
  local: string | null;
  /** Whether `local` is the source of exactly the version that built the binary. */
  exact: boolean;
  /** Why `local` is null or not exact; null when it is exact. */
  reason: string | null;
}

export interface ResolveOptions {
  roots: SourceRoots;
  mainModules?: readonly ModuleVersion[];
  /** The Go version that built the binary (`go1.26.8`), from the capture or the user. */
  goVersion?: string;
  /** The local Go's version and GOROOT (used for standard-library frames when the versions match). */
  localGo?: { version: string; goroot: string };
  /** Set to fetch missing source; without it, nothing is downloaded. */
  fetch?: FetchOptions;
  /** Where to point the user when a file cannot be found: the setting or flag that maps build paths. */
  rewriteHint?: string;
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

function moduleOf(o: Origin, goVersion: string | undefined): ModuleVersion | undefined {
  if (o.kind === 'module' || o.kind === 'main') return { path: o.module, version: o.version };
  if (o.kind === 'stdlib' && goVersion) return toolchainModule(goVersion);
  return undefined;
}

function relOf(o: Origin): string | undefined {
  if (o.kind === 'stdlib') return `src/${o.rel}`;
  if (o.kind === 'module' || o.kind === 'main') return o.rel;
  return undefined;
}

export async function resolveFiles(files: readonly string[], opts: ResolveOptions): Promise<FileResult[]> {
  const hint = opts.rewriteHint ?? 'etcdProfiler.sourcePathRewrites';
  const localGoMatches = !!opts.goVersion && opts.localGo?.version === opts.goVersion;
  // A local GOROOT of another Go version would open the wrong lines: only used when no version is known or it matches.
  const roots: SourceRoots = opts.goVersion && !localGoMatches ? { ...opts.roots, goroot: undefined } : opts.roots;
  const origins = files.map((f) => classifyBuildPath(f, opts.mainModules));
  const out: FileResult[] = [];
  const pending: { i: number; m: ModuleVersion; rel: string }[] = [];
  const vendored: number[] = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    const o = origins[i];
    const mv = moduleOf(o, opts.goVersion);
    const r: FileResult = { file, module: mv?.path ?? null, version: mv?.version ?? null, local: null, exact: false, reason: null };
    if (o.kind === 'stdlib' && !opts.goVersion) r.module = r.version = null;
    out.push(r);
    const local = await resolveSourcePath(file, roots, isFile);
    if (local.found) {
      r.local = local.path;
      r.exact = local.via === 'modcache' || (local.via === 'goroot' && localGoMatches);
      if (r.exact) continue;
      r.reason = local.via === 'goroot' ? 'local GOROOT; the Go version that built the binary is not known (--go-version)' : `found in the ${local.via === 'suffix' ? 'workspace by file name' : local.via}; its version is not known`;
      // A local match of unknown version stays, as the workspace comes first; an exact fetch is not tried for it.
      continue;
    }
    if (o.kind === 'stdlib' && localGoMatches && opts.localGo) {
      const p = path.join(opts.localGo.goroot, 'src', ...o.rel.split('/'));
      if (await isFile(p)) {
        r.local = p;
        r.exact = true;
        continue;
      }
    }
    if (o.kind === 'vendored') {
      if (!opts.mainModules?.length) r.reason = `vendored package: its version is in the main module's go.mod; give the main module (--main-module PATH@VERSION) or map it with ${hint}`;
      else if (!opts.fetch) r.reason = `vendored package: not in the workspace, the roots or the module cache; fetching is off (--fetch)`;
      else vendored.push(i);
      continue;
    }
    const rel = relOf(o);
    if (!mv || !rel) {
      r.reason =
        o.kind === 'stdlib'
          ? 'standard library: the Go version that built the binary is not known (--go-version)'
          : `no module version in the build path: give the main module's version (--main-module PATH@VERSION) or map it with ${hint}`;
      continue;
    }
    if (!opts.fetch) {
      r.reason = `not in the workspace, the roots or the module cache; fetching ${mv.path}@${mv.version} is off (--fetch)`;
      continue;
    }
    pending.push({ i, m: mv, rel });
  }
  if (vendored.length && opts.fetch && opts.mainModules?.length) {
    // Vendored packages take their module versions from the main module's go.mod (fetched at its version).
    const mains = await fetchModules(opts.mainModules, opts.fetch);
    const requirements = new Map<string, string>();
    for (const m of opts.mainModules) {
      const res = mains.get(`${m.path}@${m.version}`);
      const goMod = res?.ok ? await readFile(path.join(res.dir, 'go.mod'), 'utf8').catch(() => '') : '';
      for (const [k, v] of goModRequirements(goMod)) if (!requirements.has(k)) requirements.set(k, v);
    }
    for (const i of vendored) {
      const o = origins[i] as { kind: 'vendored'; importPath: string };
      const found = vendoredModule(o.importPath, requirements);
      if (!found) {
        out[i].reason = `vendored package ${o.importPath}: no requirement of ${opts.mainModules.map((m) => `${m.path}@${m.version}`).join(', ')} provides it`;
        continue;
      }
      out[i].module = found.mv.path;
      out[i].version = found.mv.version;
      pending.push({ i, m: found.mv, rel: found.rel });
    }
  }
  if (pending.length && opts.fetch) {
    const results = await fetchModules(
      pending.map((p) => p.m),
      opts.fetch,
    );
    for (const p of pending) {
      const r = out[p.i];
      const res: FetchResult = results.get(`${p.m.path}@${p.m.version}`) ?? { ok: false, error: new FetchError('not fetched') };
      if (!res.ok) {
        r.reason = res.error.kind === 'refused' ? res.error.message : `${res.error.message}. Offline or forbidden? Map ${r.file} to a checkout with ${hint}.`;
        continue;
      }
      const local = path.join(res.dir, ...p.rel.split('/'));
      if (!local.startsWith(res.dir + path.sep) || !(await isFile(local))) {
        r.reason =
          origins[p.i].kind === 'stdlib'
            ? `not in the standard library of ${opts.goVersion}: a main module without a dot in its path? Give it with --main-module PATH@VERSION or map it with ${hint}`
            : `${p.m.path}@${p.m.version} has no file ${p.rel}`;
        r.module = r.version = null;
        continue;
      }
      r.local = local;
      r.exact = true;
    }
  }
  return out;
}
