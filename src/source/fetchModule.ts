// Module source at an exact version, cached once per module@version under one folder:
//   <cache>/gomod/…            what `go mod download -json` wrote (GOMODCACHE pointed here) when Go is installed;
//   <cache>/src/<mod>@<ver>/   what the in-process download extracted, after the zip's h1: hash matched the
//                              checksum database (reached directly or through the proxy's /sumdb/, as the go
//                              command does). A mismatch is refused and nothing is written.
// Settings come from the go command's environment (goEnv.ts); nothing here reads a workspace setting.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { matchPrefixPatterns, parseProxyList, type GoFetchEnv } from './goEnv.ts';
import { escapePath, checkModulePath, checkVersion, type ModuleVersion } from './modules.ts';
import { checkModuleZip, extractModuleZip, MAX_ZIP_BYTES, readZipEntries, zipHash1 } from './moduleZip.ts';
import { lookupZipHash, parseGoSumDb, type SumDbGet } from './sumdb.ts';

export class FetchError extends Error {
  readonly kind: 'refused' | 'unavailable' | 'cancelled';
  constructor(message: string, kind: 'refused' | 'unavailable' | 'cancelled' = 'unavailable') {
    super(message);
    this.kind = kind;
  }
}

export interface FetchOptions {
  cacheDir: string;
  env: GoFetchEnv;
  signal?: AbortSignal;
  /** Called as each module is done (or fails). */
  progress?: (done: number, total: number, current: ModuleVersion) => void;
  /** Use the go command when env.goBin is set (default true). */
  useGo?: boolean;
}

export type FetchResult = { ok: true; dir: string; via: 'cache' | 'go' | 'proxy' } | { ok: false; error: FetchError };

const COMPLETE = '.etcd-profiler-complete';
const key = (m: ModuleVersion) => `${m.path}@${m.version}`;

export function srcDir(cacheDir: string, m: ModuleVersion): string {
  return path.join(cacheDir, 'src', ...`${escapePath(m.path)}@${escapePath(m.version)}`.split('/'));
}

export function goModCacheDir(cacheDir: string, m: ModuleVersion): string {
  return path.join(cacheDir, 'gomod', ...`${escapePath(m.path)}@${escapePath(m.version)}`.split('/'));
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}
async function isDir(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

/** The cached folder of module@version, if a complete one is there. */
export async function cachedModule(cacheDir: string, m: ModuleVersion): Promise<string | undefined> {
  const own = srcDir(cacheDir, m);
  if (await isFile(path.join(own, COMPLETE))) return own;
  const go = goModCacheDir(cacheDir, m);
  const partial = path.join(cacheDir, 'gomod', 'cache', 'download', ...escapePath(m.path).split('/'), '@v', `${escapePath(m.version)}.partial`);
  if ((await isDir(go)) && !(await isFile(partial))) return go;
  return undefined;
}

/** Fetches the modules not yet cached; one result per module, in order. */
export async function fetchModules(modules: readonly ModuleVersion[], opts: FetchOptions): Promise<Map<string, FetchResult>> {
  const results = new Map<string, FetchResult>();
  const todo: ModuleVersion[] = [];
  for (const m of modules) {
    if (results.has(key(m))) continue;
    const bad = checkModulePath(m.path) ?? checkVersion(m.version);
    if (bad) {
      results.set(key(m), { ok: false, error: new FetchError(`${key(m)}: ${bad}`, 'refused') });
      continue;
    }
    const dir = await cachedModule(opts.cacheDir, m);
    if (dir) results.set(key(m), { ok: true, dir, via: 'cache' });
    else {
      results.set(key(m), { ok: false, error: new FetchError(`${key(m)}: not fetched`) });
      todo.push(m);
    }
  }
  let done = modules.length - todo.length;
  const total = modules.length;
  if (todo.length && opts.env.goBin && opts.useGo !== false) {
    for (const [k, r] of await goModDownload(todo, opts)) {
      results.set(k, r);
    }
    opts.progress?.(total, total, todo[todo.length - 1]);
    return results;
  }
  for (const m of todo) {
    if (opts.signal?.aborted) {
      results.set(key(m), { ok: false, error: new FetchError('cancelled', 'cancelled') });
      continue;
    }
    try {
      const dir = await downloadInProcess(m, opts);
      results.set(key(m), { ok: true, dir, via: 'proxy' });
    } catch (err) {
      const e = err instanceof FetchError ? err : new FetchError(`${key(m)}: ${(err as Error).message}`);
      results.set(key(m), { ok: false, error: opts.signal?.aborted ? new FetchError('cancelled', 'cancelled') : e });
    }
    opts.progress?.(++done, total, m);
  }
  return results;
}

interface GoDownloadJson {
  Path?: string;
  Version?: string;
  Error?: string;
  Dir?: string;
}

/** `go mod download -json m@v…` with GOMODCACHE in the cache folder: the go command verifies against GOSUMDB itself. */
function goModDownload(todo: readonly ModuleVersion[], opts: FetchOptions): Promise<Map<string, FetchResult>> {
  const gomod = path.join(opts.cacheDir, 'gomod');
  return mkdir(gomod, { recursive: true, mode: 0o700 }).then(
    () =>
      new Promise((resolve) => {
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          GOPROXY: opts.env.GOPROXY,
          GONOPROXY: opts.env.GONOPROXY,
          GOPRIVATE: opts.env.GOPRIVATE,
          GOSUMDB: opts.env.GOSUMDB,
          GONOSUMDB: opts.env.GONOSUMDB,
          GOFLAGS: opts.env.GOFLAGS,
          GOINSECURE: opts.env.GOINSECURE,
          GOMODCACHE: gomod,
          GOTOOLCHAIN: 'local',
          GOWORK: 'off',
          GO111MODULE: 'on',
        };
        // Arguments are validated module@version strings passed without a shell; cwd is the cache (no go.mod there).
        const args = ['mod', 'download', '-json', ...todo.map(key)];
        execFile(opts.env.goBin, args, { cwd: gomod, env, maxBuffer: 64 << 20, signal: opts.signal, timeout: 30 * 60_000 }, async (err, stdout, stderr) => {
          const out = new Map<string, FetchResult>();
          if (opts.signal?.aborted) {
            for (const m of todo) out.set(key(m), { ok: false, error: new FetchError('cancelled', 'cancelled') });
            return resolve(out);
          }
          const objs: GoDownloadJson[] = [];
          for (const chunk of stdout.split(/\n(?=\{)/)) {
            try {
              if (chunk.trim()) objs.push(JSON.parse(chunk) as GoDownloadJson);
            } catch {
              // not JSON: reported below through stderr
            }
          }
          for (const m of todo) {
            const o = objs.find((x) => x.Path === m.path && x.Version === m.version);
            if (o?.Dir && !o.Error) out.set(key(m), { ok: true, dir: o.Dir, via: 'go' });
            else {
              const msg = (o?.Error ?? (stderr.trim() || (err as Error | null)?.message || 'go mod download failed')).split('\n').slice(0, 6).join(' ').replace(/\s+/g, ' ');
              const refused = /SECURITY ERROR|checksum mismatch|verifying/.test(msg);
              out.set(key(m), { ok: false, error: new FetchError(refused ? `${key(m)} refused: ${msg}` : `${key(m)}: ${msg}`, refused ? 'refused' : 'unavailable') });
              if (refused) await forgetDownload(gomod, m);
            }
          }
          resolve(out);
        });
      }),
  );
}

/** After a refused download: the go command may keep the version's .info/.mod; drop them so nothing of it stays. */
async function forgetDownload(gomod: string, m: ModuleVersion): Promise<void> {
  const base = path.join(gomod, 'cache', 'download', ...escapePath(m.path).split('/'), '@v', escapePath(m.version));
  for (const ext of ['.info', '.mod', '.zip', '.ziphash', '.lock', '.partial']) await rm(base + ext, { force: true });
}

async function httpGet(url: string, signal: AbortSignal | undefined, limit: number): Promise<{ status: number; body?: Buffer }> {
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow' });
  } catch (err) {
    if (signal?.aborted) throw new FetchError('cancelled', 'cancelled');
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new FetchError(`${new URL(url).host}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    return { status: res.status };
  }
  const len = Number(res.headers.get('content-length') ?? 0);
  if (len > limit) {
    await res.body?.cancel();
    throw new FetchError(`${url}: ${len} bytes, over the ${limit}-byte limit`, 'refused');
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
    n += c.length;
    if (n > limit) throw new FetchError(`${url}: over the ${limit}-byte limit`, 'refused');
    chunks.push(Buffer.from(c));
  }
  return { status: 200, body: Buffer.concat(chunks) };
}

/** The proxies to ask for `module`, per GOPROXY and GONOPROXY; `direct` cannot be done in-process. */
function proxiesFor(m: ModuleVersion, env: GoFetchEnv): { url: string; fallBackOnAnyError: boolean }[] {
  if (matchPrefixPatterns(env.GONOPROXY, m.path)) {
    throw new FetchError(`${key(m)} is private (GONOPROXY/GOPRIVATE): it is fetched from its repository, which needs the go command on PATH`);
  }
  const list = parseProxyList(env.GOPROXY);
  const out: { url: string; fallBackOnAnyError: boolean }[] = [];
  for (const p of list) {
    if (p.url === 'off') break;
    if (p.url === 'direct') break;
    if (!/^https?:\/\//.test(p.url) && !p.url.startsWith('file://')) continue;
    out.push(p);
  }
  if (!out.length) throw new FetchError(`GOPROXY=${env.GOPROXY} names no proxy to fetch ${key(m)} from; install Go to fetch directly from repositories`);
  return out;
}

async function downloadZip(m: ModuleVersion, opts: FetchOptions): Promise<{ zip: Buffer; proxy: string }> {
  const proxies = proxiesFor(m, opts.env);
  const errors: string[] = [];
  for (const p of proxies) {
    const url = `${p.url}/${escapePath(m.path)}/@v/${escapePath(m.version)}.zip`;
    try {
      const r = await httpGet(url, opts.signal, MAX_ZIP_BYTES);
      if (r.body) return { zip: r.body, proxy: p.url };
      errors.push(`${p.url}: HTTP ${r.status}`);
      if (r.status !== 404 && r.status !== 410 && !p.fallBackOnAnyError) break;
    } catch (err) {
      if (err instanceof FetchError && err.kind === 'cancelled') throw err;
      errors.push((err as Error).message);
      if (!p.fallBackOnAnyError) break;
    }
  }
  throw new FetchError(`${key(m)} could not be downloaded (${errors.join('; ')})`);
}

/** How to reach the checksum database: GOSUMDB's own URL, else the first proxy that supports it, else directly. */
async function sumDbGetter(name: string, url: string | undefined, opts: FetchOptions): Promise<SumDbGet> {
  let base = url;
  if (!base) {
    for (const p of parseProxyList(opts.env.GOPROXY)) {
      if (p.url === 'off' || p.url === 'direct') break;
      const r = await httpGet(`${p.url}/sumdb/${name}/supported`, opts.signal, 1 << 16).catch(() => ({ status: 0 }));
      if (r.status === 200) {
        base = `${p.url}/sumdb/${name}`;
        break;
      }
      if (r.status !== 404 && r.status !== 410 && !p.fallBackOnAnyError) break;
    }
    base ??= `https://${name}`;
  }
  return async (p: string) => {
    const r = await httpGet(`${base}/${p}`, opts.signal, 1 << 20);
    if (r.status === 404 || r.status === 410) return undefined;
    if (!r.body) throw new FetchError(`checksum database ${base}: HTTP ${r.status} for ${p}`);
    return r.body;
  };
}

async function downloadInProcess(m: ModuleVersion, opts: FetchOptions): Promise<string> {
  const { zip } = await downloadZip(m, opts);
  const entries = readZipEntries(zip);
  const files = checkModuleZip(entries, `${m.path}@${m.version}/`);
  const got = zipHash1(zip, entries);
  const sumdb = matchPrefixPatterns(opts.env.GONOSUMDB, m.path) ? 'off' : parseGoSumDb(opts.env.GOSUMDB);
  if (sumdb !== 'off') {
    const get = await sumDbGetter(sumdb.verifier.name, sumdb.url, opts);
    let want: string;
    try {
      want = await lookupZipHash(m.path, m.version, sumdb.verifier, get);
    } catch (err) {
      if (err instanceof FetchError) throw err;
      throw new FetchError(`${key(m)} refused: ${(err as Error).message}`, 'refused');
    }
    if (want !== got) {
      throw new FetchError(
        `${key(m)} refused: checksum mismatch — the downloaded zip hashes to ${got}, the checksum database ${sumdb.verifier.name} has ${want}. ` +
          'The proxy served altered source; nothing was cached.',
        'refused',
      );
    }
  }
  const dest = srcDir(opts.cacheDir, m);
  await mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
  const tmp = await mkdtemp(path.join(path.dirname(dest), '.tmp-'));
  try {
    const keep = m.path === 'golang.org/toolchain' ? (rel: string) => rel.startsWith('src/') : undefined;
    await extractModuleZip(zip, files, tmp, keep);
    await writeFile(path.join(tmp, COMPLETE), `${key(m)} ${got}\n`, { flag: 'wx', mode: 0o444 });
    await rename(tmp, dest).catch(async (err: NodeJS.ErrnoException) => {
      // Another process cached it first: theirs is as good.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      await rm(tmp, { recursive: true, force: true });
    });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return dest;
}
