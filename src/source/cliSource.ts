// `etcd-profiler source PROFILE [--fetch] [--main-module PATH@VERSION]… [--go-version goX.Y.Z] [--root DIR]…
// [--cache DIR] [--json]`: where each source file of a profile is on this machine, and whether it is the exact
// version that built the binary. With --fetch, missing module source is downloaded (go mod download, or in-process
// through GOPROXY with the checksum database) into the cache. Honours GOMODCACHE, GOPROXY, GONOPROXY/GOPRIVATE,
// GOSUMDB/GONOSUMDB and GOFLAGS as the go command reads them. A capture's sidecar (`.<file>.meta.json`, written by
// the extension's captures) supplies the Go version and main modules when the flags do not.
import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseCaptureMeta, sidecarPath } from '../profile/captureMeta.ts';
import { decodeProfile } from '../profile/decode.ts';
import { readGoFetchEnv } from './goEnv.ts';
import { isGoVersion, parseModuleVersion, type ModuleVersion } from './modules.ts';
import { resolveFiles, type FileResult } from './resolveFiles.ts';
import { parseModulePath, type SourceRoots, type WorkspaceModule } from './sourceMap.ts';

export const SOURCE_USAGE =
  'etcd-profiler source PROFILE [--fetch] [--main-module PATH@VERSION]... [--go-version goX.Y.Z] [--root DIR]... [--cache DIR] [--json]';

/** The default cache of fetched source: $XDG_CACHE_HOME/etcd-profiler/source (~/.cache/…). */
export function defaultSourceCache(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'etcd-profiler', 'source');
}

/** The distinct source files a profile's functions name, in first-seen order. */
export function profileFiles(bytes: Uint8Array, name: string): string[] {
  const p = decodeProfile(bytes, name);
  return [...new Set(p.functions.map((f) => f.filename).filter(Boolean))];
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.sandbox']);

/** The roots for the CLI: each --root as a workspace folder, with its go.mod modules, vendor folders and Go files. */
export async function cliRoots(dirs: readonly string[], goroot: string, modCache: string): Promise<SourceRoots> {
  const modules: WorkspaceModule[] = [];
  const vendorDirs: string[] = [];
  const workspaceFiles: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 12 || workspaceFiles.length >= 50_000) return;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && !SKIP_DIRS.has(e.name)) {
        if (e.name === 'vendor') vendorDirs.push(p);
        await walk(p, depth + 1);
      } else if (e.isFile() && e.name.endsWith('.go')) workspaceFiles.push(p);
      else if (e.isFile() && e.name === 'go.mod') {
        const mp = parseModulePath(await readFile(p, 'utf8'));
        if (mp) modules.push({ modulePath: mp, dir });
      }
    }
  };
  const folders: string[] = [];
  for (const d of dirs) {
    const abs = path.resolve(d);
    if (!(await stat(abs).then((s) => s.isDirectory(), () => false))) throw new Error(`--root ${d} is not a folder`);
    folders.push(abs);
    await walk(abs, 0);
  }
  return { workspaceFolders: folders, modules, vendorDirs, goroot: goroot || undefined, modCache: modCache || undefined, rewrites: [], workspaceFiles };
}

function text(results: readonly FileResult[]): string {
  const lines = results.map((r) => {
    const where = r.local ? `${r.exact ? 'exact' : 'found'}  ${r.local}` : `missing`;
    const mv = r.module ? `  [${r.module}@${r.version}]` : '';
    return `${r.file}${mv}\n    ${where}${r.reason ? `\n    ${r.reason}` : ''}`;
  });
  const resolved = results.filter((r) => r.local).length;
  return `${lines.join('\n')}\n${resolved} of ${results.length} files resolved, ${results.filter((r) => r.exact).length} at the exact version`;
}

export function sourceCliCommand(UserError: new (message: string) => Error): { usage: string; summary: string; run(args: string[]): Promise<string> } {
  return {
    usage: SOURCE_USAGE,
    summary: 'find (and with --fetch download, checked against the Go checksum database) the exact source of each file in a profile',
    async run(args: string[]): Promise<string> {
      let parsed;
      try {
        parsed = parseArgs({
          args,
          allowPositionals: true,
          strict: true,
          options: {
            fetch: { type: 'boolean', default: false },
            'main-module': { type: 'string', multiple: true },
            'go-version': { type: 'string' },
            root: { type: 'string', multiple: true },
            cache: { type: 'string' },
            json: { type: 'boolean', default: false },
          },
        });
      } catch (err) {
        throw new UserError(`${(err as Error).message.split('\n')[0]} Usage: ${SOURCE_USAGE}`);
      }
      const { values, positionals } = parsed;
      if (positionals.length !== 1) throw new UserError(`expected one PROFILE. Usage: ${SOURCE_USAGE}`);
      const mainModules: ModuleVersion[] = [];
      for (const s of values['main-module'] ?? []) {
        try {
          mainModules.push(parseModuleVersion(s));
        } catch (err) {
          throw new UserError(`--main-module ${(err as Error).message}`);
        }
      }
      let goVersion = values['go-version'];
      if (goVersion !== undefined && !isGoVersion(goVersion)) throw new UserError(`--go-version must look like go1.26.8, not "${goVersion}".`);
      let bytes: Uint8Array;
      try {
        bytes = await readFile(positionals[0]);
      } catch (err) {
        throw new UserError(`${positionals[0]}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
      }
      // What the capture recorded beside the file (the flags win): the Go version and the main modules' version.
      const meta = parseCaptureMeta(await readFile(sidecarPath(positionals[0]), 'utf8').catch(() => ''));
      goVersion ??= meta.goVersion;
      if (!values['main-module']?.length) {
        for (const s of meta.mainModules ?? []) {
          try {
            mainModules.push(parseModuleVersion(s));
          } catch {
            // a malformed entry is left out
          }
        }
      }
      const files = profileFiles(bytes, path.basename(positionals[0]));
      const env = await readGoFetchEnv();
      let roots: SourceRoots;
      try {
        roots = await cliRoots(values.root ?? [], env.GOROOT, env.GOMODCACHE);
      } catch (err) {
        throw new UserError((err as Error).message);
      }
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      let results: FileResult[];
      try {
        results = await resolveFiles(files, {
          roots,
          mainModules,
          goVersion,
          localGo: env.GOVERSION && env.GOROOT ? { version: env.GOVERSION.split(/\s/)[0], goroot: env.GOROOT } : undefined,
          rewriteHint: '--root (or the extension setting etcdProfiler.sourcePathRewrites)',
          fetch: values.fetch
            ? {
                cacheDir: path.resolve(values.cache ?? defaultSourceCache()),
                env,
                signal: controller.signal,
                progress: (done, total, m) => process.stderr.write(`fetched ${done}/${total}: ${m.path}@${m.version}\n`),
              }
            : undefined,
        });
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
      if (controller.signal.aborted) throw new UserError('cancelled.');
      if (values.json) {
        return JSON.stringify({ files: results, resolved: results.filter((r) => r.local).length, total: results.length });
      }
      return text(results);
    },
  };
}
