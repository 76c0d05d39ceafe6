// `etcd-profiler source --fetch` on profiles of a real program built with -trimpath outside the module cache
// (testdata/srcprog: zstd, Unicode normalisation and xxhash from their real modules). The set-up builds it, runs it
// for a CPU and an allocation profile, and publishes its own source as example.com/srcprog@v0.1.0 on a local module
// proxy (the rest comes through to the public proxy, GOPROXY=local,https://proxy.golang.org; GONOSUMDB names the
// local module). With an empty module cache and an empty fetch cache, every dependency frame must open a file of
// the exact module version in which the frame's line exists and the function's first line names the function;
// main-module frames resolve through --main-module; standard-library frames through --go-version: from the local
// GOROOT when Go is installed at that version, and as the golang.org/toolchain module of that version when it is
// not (no go on PATH: the in-process download, its h1: hash checked against the checksum database through the
// proxy's /sumdb/). The toolchain's source (a ~70 MB zip) is kept under $ETCD_PROFILER_CACHE/source-test, keyed by
// its version, so reruns do not download it again.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeProfile } from '../../src/profile/decode.ts';
import { fetchModules, srcDir } from '../../src/source/fetchModule.ts';
import { readGoFetchEnv } from '../../src/source/goEnv.ts';
import { classifyBuildPath, toolchainModule } from '../../src/source/modules.ts';
import { entryData, readZipEntries } from '../../src/source/moduleZip.ts';
import type { FileResult } from '../../src/source/resolveFiles.ts';
import { makeZip, startGoProxy, UPSTREAM, type GoProxy } from './helpers/goProxy.ts';
import { buildAndProfile, buildVendoredAndProfile, cacheRoot, GO, MAIN, mainModule, repo } from './helpers/srcprog.ts';

const cli = path.join(repo, 'src/cli.ts');
const goVersion = execFileSync(GO, ['env', 'GOVERSION'], { env: { ...process.env, GOTOOLCHAIN: 'local' } }).toString().trim();
const goroot = execFileSync(GO, ['env', 'GOROOT'], { env: { ...process.env, GOTOOLCHAIN: 'local' } }).toString().trim();

let work: string;
let proxy: GoProxy;
const profiles: string[] = [];

/** A row of `etcd-profiler source --json`: the CLI prints the resolver's results as they are. */
type Row = FileResult;
interface Out {
  files: Row[];
  resolved: number;
  total: number;
}

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'ep-srcfetch-'));
  const { cpu, allocs } = buildAndProfile(work);
  profiles.push(cpu, allocs);
  proxy = await startGoProxy([mainModule()]);
});

after(async () => {
  await proxy?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function runSource(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: Out; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cli, 'source', ...args, '--json'], { env, maxBuffer: 32 << 20, timeout: 20 * 60_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      try {
        resolve({ code, out: JSON.parse(stdout) as Out, stderr });
      } catch {
        reject(new Error(`source exited ${code}: ${stderr}`));
      }
    });
  });
}

/** The environment of a user: an empty module cache, the local proxy before the public one. */
function userEnv(withGo: boolean): NodeJS.ProcessEnv {
  const gomodcache = mkdtempSync(path.join(work, 'gomodcache-'));
  // The machine's own settings (CA certificates, HTTP proxy) stay; the Go ones are the user's below.
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GO'))),
    PATH: withGo ? `${path.dirname(GO)}:${path.dirname(process.execPath)}:/usr/bin:/bin` : path.dirname(process.execPath),
    GOMODCACHE: gomodcache,
    GOPROXY: `${proxy.url},${UPSTREAM}`,
    GONOSUMDB: MAIN.path,
    GOSUMDB: 'sum.golang.org',
    GOFLAGS: '-mod=mod',
    GOTOOLCHAIN: 'local',
  };
  return env;
}

/** The frames (function, line) of a profile, each with its function's name and first line. */
function frames(file: string): { fn: string; file: string; line: number; start: number }[] {
  const p = decodeProfile(readFileSync(file), path.basename(file));
  const out = new Map<string, { fn: string; file: string; line: number; start: number }>();
  for (const loc of p.locations) {
    for (const l of loc.lines) {
      const f = p.functions[l.function];
      if (!f?.filename) continue;
      out.set(`${f.name}\0${l.line}`, { fn: f.name, file: f.filename, line: l.line, start: f.startLine });
    }
  }
  return [...out.values()];
}

/** `pkg.(*T).Method.func2[go.shape.int]` → `Method`; a closure's (`func2`, nested `func2.1`) first line is a `func` literal: `func`. */
function shortName(fn: string): string {
  const last = fn.slice(fn.lastIndexOf('/') + 1).replace(/\[[^\]]*\]/g, '');
  const parts = last.split('.');
  const name = parts[parts.length - 1];
  if (/^(func)?\d+$/.test(name)) return 'func';
  // The compiler's wrappers of `go f(x)` and `defer f(x)` start at that statement.
  if (/^gowrap\d+$/.test(name)) return 'go ';
  if (/^deferwrap\d+$/.test(name)) return 'defer ';
  return name;
}

const lineCache = new Map<string, string[]>();
function lines(file: string): string[] {
  let l = lineCache.get(file);
  if (!l) {
    l = readFileSync(file, 'utf8').split('\n');
    lineCache.set(file, l);
  }
  return l;
}

/** Every frame whose file is in `rows` and resolved: its line exists, its function's first line names it. */
function assertFramesAt(rows: Map<string, Row>, profile: string, kinds: Set<string>): number {
  let checked = 0;
  for (const fr of frames(profile)) {
    const row = rows.get(fr.file);
    assert.ok(row, `${fr.file} is listed`);
    const kind = classifyBuildPath(fr.file, [MAIN]).kind;
    if (!kinds.has(kind)) continue;
    assert.ok(row.local && row.exact, `${fr.fn} (${fr.file}): ${row.reason}`);
    const text = lines(row.local);
    assert.ok(fr.line >= 1 && fr.line <= text.length, `${row.local} has line ${fr.line}`);
    assert.ok(fr.start >= 1, `${fr.fn} has a start line`);
    // A package's own initializer (`hash/crc32.init`: its package-level variables) is made by the compiler and has
    // no line of its own (start line 1, the copyright): only its sampled line is checked, above. A CPU sample lands
    // in one now and then (CI failed on it once).
    if (/\.init$/.test(fr.fn)) {
      checked++;
      continue;
    }
    const name = shortName(fr.fn);
    assert.ok(text[fr.start - 1].includes(name), `${row.local}:${fr.start} names ${name}: ${JSON.stringify(text[fr.start - 1])}`);
    checked++;
  }
  return checked;
}

function assertDependencies(out: Out, cacheDir: string): void {
  const deps = out.files.filter((r) => classifyBuildPath(r.file).kind === 'module');
  assert.ok(deps.length >= 5, `the profiles have dependency files (${deps.length})`);
  const modules = new Set(deps.map((r) => `${r.module}@${r.version}`));
  for (const m of ['github.com/klauspost/compress@v1.18.0', 'golang.org/x/text@v0.21.0']) assert.ok(modules.has(m), `${m} is among ${[...modules]}`);
  for (const r of deps) {
    assert.equal(r.exact, true, `${r.file}: ${r.reason}`);
    // The exact version's folder in the fetch cache: `<cache>/…/module@version/<file in the module>`.
    assert.ok(r.local!.startsWith(cacheDir + path.sep), `${r.local} is in the fetch cache`);
    assert.ok(r.local!.endsWith(`${r.module}@${r.version}/${r.file.slice(r.file.indexOf('/', r.file.indexOf('@')) + 1)}`), r.local!);
  }
}

for (const withGo of [true, false]) {
  test(`${withGo ? 'go mod download' : 'in-process download (no go on PATH)'}: every frame of the -trimpath program resolves at its exact version`, { timeout: 20 * 60_000 }, async () => {
    const cacheDir = mkdtempSync(path.join(work, 'cache-'));
    const env = userEnv(withGo);
    if (!withGo) {
      // The toolchain's source, fetched once by the same in-process code and kept between runs.
      const tc = toolchainModule(goVersion);
      const keep = path.join(cacheRoot, 'fetch-cache');
      const fenv = await readGoFetchEnv({ ...env, GOPROXY: UPSTREAM });
      const r = (await fetchModules([tc], { cacheDir: keep, env: fenv })).get(`${tc.path}@${tc.version}`);
      assert.ok(r?.ok, `the toolchain source: ${r && !r.ok ? r.error.message : ''}`);
      mkdirSync(path.dirname(srcDir(cacheDir, tc)), { recursive: true });
      symlinkSync(srcDir(keep, tc), srcDir(cacheDir, tc));
    }
    for (const profile of profiles) {
      // Without --fetch nothing is downloaded: dependency frames say how to get them.
      const off = await runSource([profile], env);
      assert.equal(off.code, 0);
      const dep = off.out.files.find((r) => r.file.startsWith('github.com/klauspost/compress@v1.18.0/'));
      assert.ok(dep && dep.local === null && /fetching github\.com\/klauspost\/compress@v1\.18\.0 is off \(--fetch\)/.test(dep.reason ?? ''), JSON.stringify(dep));
      const main = off.out.files.find((r) => r.file === 'example.com/srcprog/main.go');
      assert.match(main?.reason ?? '', /--main-module PATH@VERSION/);

      const { code, out, stderr } = await runSource([profile, '--fetch', '--main-module', `${MAIN.path}@${MAIN.version}`, '--go-version', goVersion, '--cache', cacheDir], env);
      assert.equal(code, 0, stderr);
      assert.equal(out.total, out.files.length);
      assert.equal(out.resolved, out.total, JSON.stringify(out.files.filter((r) => !r.local)));
      assertDependencies(out, cacheDir);
      const rows = new Map(out.files.map((r) => [r.file, r]));
      const mainRow = rows.get('example.com/srcprog/main.go')!;
      assert.deepEqual([mainRow.module, mainRow.version, mainRow.exact], [MAIN.path, MAIN.version, true]);
      const stdlib = out.files.filter((r) => classifyBuildPath(r.file).kind === 'stdlib');
      assert.ok(stdlib.some((r) => r.file === 'runtime/proc.go'), 'runtime frames are in the profile');
      for (const r of stdlib) {
        assert.equal(r.exact, true, `${r.file}: ${r.reason}`);
        if (withGo) assert.equal(r.local, path.join(goroot, 'src', r.file), 'the local GOROOT is the same Go version');
        else {
          assert.deepEqual([r.module, r.version], ['golang.org/toolchain', `v0.0.1-${goVersion}.linux-amd64`]);
          assert.equal(r.local, path.join(srcDir(cacheDir, toolchainModule(goVersion)), 'src', r.file));
        }
      }
      const checked = assertFramesAt(rows, profile, new Set(['module', 'main', 'stdlib']));
      assert.ok(checked >= 20, `${checked} frames checked in ${path.basename(profile)}`);
    }
    // The user's (empty) module cache stays empty: fetched source goes to the fetch cache only.
    assert.deepEqual(readdirSync(env.GOMODCACHE!), []);
    // The main module came from the local proxy; the public modules fell through to the public proxy.
    assert.ok(proxy.requests.some((r) => r.startsWith('/example.com/srcprog/@v/v0.1.0.')), proxy.requests.join(' '));
    if (withGo) assert.ok(existsSync(path.join(cacheDir, 'gomod', 'github.com', 'klauspost', 'compress@v1.18.0')));
    else assert.ok(existsSync(path.join(cacheDir, 'src', 'github.com', 'klauspost', 'compress@v1.18.0', '.etcd-profiler-complete')));
  });
}

// A proxy that serves golang.org/x/text@v0.21.0 with one file changed (one comment line added to normalize.go):
// its h1: hash no longer matches the checksum database, which the proxy forwards from the public one. The download
// is refused with a message naming the module and the mismatch, and nothing of it is cached; the other modules
// (through to the public proxy) still resolve.
const TAMPERED = { path: 'golang.org/x/text', version: 'v0.21.0' };
for (const withGo of [true, false]) {
  test(`${withGo ? 'go mod download' : 'in-process download'}: a tampered module zip is refused and nothing is cached`, { timeout: 10 * 60_000 }, async (t) => {
    const prefix = `${TAMPERED.path}@${TAMPERED.version}/`;
    const real = Buffer.from(await (await fetch(`${UPSTREAM}/${TAMPERED.path}/@v/${TAMPERED.version}.zip`)).arrayBuffer());
    const goMod = await (await fetch(`${UPSTREAM}/${TAMPERED.path}/@v/${TAMPERED.version}.mod`)).text();
    const entries = readZipEntries(real);
    const files = entries.map((e) => {
      let data = entryData(real, e);
      if (e.name === `${prefix}unicode/norm/normalize.go`) data = Buffer.concat([data, Buffer.from('// changed on the way\n')]);
      return { name: e.name.slice(prefix.length), data };
    });
    const bad = await startGoProxy([{ ...TAMPERED, zip: makeZip(prefix, files), goMod }]);
    try {
      const cacheDir = mkdtempSync(path.join(work, 'tampered-'));
      const env = { ...userEnv(withGo), GOPROXY: `${bad.url},${UPSTREAM}`, GONOSUMDB: '' };
      const { code, out, stderr } = await runSource([profiles[0], '--fetch', '--cache', cacheDir], env);
      assert.equal(code, 0, stderr);
      const text = out.files.filter((r) => r.file.startsWith(prefix));
      assert.ok(text.length >= 1, 'the profile has golang.org/x/text frames');
      t.diagnostic(`what the user reads: ${text[0].reason}`);
      for (const r of text) {
        assert.equal(r.local, null);
        assert.match(r.reason ?? '', /^golang\.org\/x\/text@v0\.21\.0 refused: .*checksum mismatch/);
        if (withGo) assert.match(r.reason!, /SECURITY ERROR/);
        else assert.match(r.reason!, /the checksum database sum\.golang\.org has h1:\S+=.*nothing was cached/);
      }
      // The checksum database was reached through the proxy's /sumdb/, as the go command does.
      assert.ok(bad.requests.some((u) => u.startsWith(`/sumdb/sum.golang.org/lookup/${prefix.slice(0, -1)}`)), bad.requests.join(' '));
      const others = out.files.filter((r) => r.file.startsWith('github.com/klauspost/compress@v1.18.0/'));
      assert.ok(others.length > 0 && others.every((r) => r.exact), 'the untampered modules still resolve');
      // Nothing of the refused version is kept: no source folder, no download left-overs, no temp folder.
      const leftovers = (dir: string): string[] =>
        existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).filter((p) => p.includes('text@v0.21.0') || p.includes('v0.21.0.') || p.includes('.tmp-')) : [];
      assert.deepEqual(leftovers(path.join(cacheDir, 'src', 'golang.org')), []);
      assert.deepEqual(leftovers(path.join(cacheDir, 'gomod', 'golang.org')), []);
      assert.deepEqual(leftovers(path.join(cacheDir, 'gomod', 'cache', 'download', 'golang.org')), []);
    } finally {
      await bad.close();
    }
  });
}

// A download stopped part way (the local proxy sends half of the zip and holds the rest): the fetch ends at once as
// "cancelled", and no copy of the module is kept, whether the go command or the in-process download was fetching.
for (const withGo of [true, false]) {
  test(`${withGo ? 'go mod download' : 'in-process download'}: a cancelled fetch ends at once and keeps nothing`, { timeout: 5 * 60_000 }, async () => {
    const cacheDir = mkdtempSync(path.join(work, 'cancel-'));
    const env = await readGoFetchEnv(userEnv(withGo));
    assert.equal(Boolean(env.goBin), withGo, 'go is on PATH exactly when the test says so');
    const zip = `/${MAIN.path}/@v/${MAIN.version}.zip`;
    const before = proxy.requests.filter((r) => r === zip).length;
    proxy.stallZips = true;
    try {
      const controller = new AbortController();
      const fetching = fetchModules([MAIN], { cacheDir, env, signal: controller.signal });
      const deadline = Date.now() + 60_000;
      while (proxy.requests.filter((r) => r === zip).length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(Date.now() < deadline, 'the download started');
      await new Promise((r) => setTimeout(r, 300)); // half of the zip is on its way
      const stopped = Date.now();
      controller.abort();
      const ended = await Promise.race([fetching.then((r) => r.get(`${MAIN.path}@${MAIN.version}`)), new Promise<'still fetching'>((r) => setTimeout(() => r('still fetching'), 10_000))]);
      assert.notEqual(ended, 'still fetching', 'the fetch ended within 10 s of the cancel');
      const result = ended === 'still fetching' ? undefined : ended;
      assert.ok(Date.now() - stopped < 5_000, `ended ${Date.now() - stopped} ms after the cancel`);
      assert.ok(result && !result.ok && result.error.kind === 'cancelled', JSON.stringify(result && !result.ok ? result.error.message : result));
      const copies = readdirSync(cacheDir, { recursive: true })
        .map(String)
        .filter((p) => /srcprog@v0\.1\.0|srcprog\/@v\/v0\.1\.0\.zip$|\.tmp-/.test(p));
      assert.deepEqual(copies, []);
    } finally {
      proxy.stallZips = false;
    }
  });
}

// The committed real captures of the sandbox's etcd v3.6.16 (built with -trimpath by test/sandbox/build, captured
// by test/unit/testdata/capture-fixtures.sh): with an empty module cache, no go on PATH and an empty fetch cache,
// every dependency frame — etcd's own modules, grpc, bbolt, protobuf… — opens the exact version's file at a line
// that exists, its function named on its first line; the standard library at the capture's Go version.
test('etcd v3.6.16 captures: every dependency and standard-library frame resolves at its exact version', { timeout: 20 * 60_000 }, async (t) => {
  const cacheDir = mkdtempSync(path.join(work, 'etcd-'));
  const env = { ...userEnv(false), GOPROXY: UPSTREAM, GONOSUMDB: '' };
  const tc = toolchainModule(goVersion);
  mkdirSync(path.dirname(srcDir(cacheDir, tc)), { recursive: true });
  symlinkSync(srcDir(path.join(cacheRoot, 'fetch-cache'), tc), srcDir(cacheDir, tc));
  const fixtures = ['cpu', 'heap', 'goroutine', 'mutex'].map((k) => path.join(repo, `test/unit/testdata/etcd.${k}.pb.gz`));
  let modules = new Set<string>();
  const downloaded = new Set<string>();
  for (const profile of fixtures) {
    const started = Date.now();
    const { code, out, stderr } = await runSource([profile, '--fetch', '--go-version', goVersion, '--cache', cacheDir], env);
    assert.equal(code, 0, stderr);
    t.diagnostic(`${path.basename(profile)}: ${out.resolved} of ${out.total} files in ${Date.now() - started} ms`);
    // Each module version is downloaded once: a later profile takes what an earlier one fetched from the cache.
    for (const m of stderr.matchAll(/^fetched \d+\/\d+: (\S+)$/gm)) {
      assert.ok(!downloaded.has(m[1]), `${m[1]} downloaded again`);
      downloaded.add(m[1]);
    }
    const rows = new Map(out.files.map((r) => [r.file, r]));
    const main = rows.get('sandbox/etcd/main.go');
    if (main) assert.match(main.reason ?? '', /--main-module PATH@VERSION/);
    assert.equal(out.resolved, out.total - (main ? 1 : 0), JSON.stringify(out.files.filter((r) => !r.local && r !== main)));
    for (const r of out.files) if (classifyBuildPath(r.file).kind === 'module') modules.add(`${r.module}@${r.version}`);
    const checked = assertFramesAt(rows, profile, new Set(['module']));
    assert.ok(checked >= 20, `${checked} dependency frames checked in ${path.basename(profile)}`);
    for (const fr of frames(profile)) {
      if (fr.file === 'sandbox/etcd/main.go') continue;
      if (classifyBuildPath(fr.file).kind === 'stdlib') assert.ok(rows.get(fr.file)?.exact, fr.file);
    }
  }
  modules = new Set([...modules].filter((m) => m.startsWith('go.etcd.io/')));
  for (const m of ['go.etcd.io/etcd/server/v3@v3.6.16', 'go.etcd.io/bbolt@v1.4.3', 'go.etcd.io/raft/v3@v3.6.0']) assert.ok(modules.has(m), `${m} in ${[...modules]}`);
  assert.ok(downloaded.has('go.etcd.io/etcd/server/v3@v3.6.16'), [...downloaded].join(' '));
});

// A build with vendored dependencies and without -trimpath: dependency frames are `<build dir>/vendor/<import
// path>/file.go`, no version. With --main-module, the versions come from the main module's go.mod (the module
// fetched at that version from the local proxy), and every vendored frame opens the exact version's file.
test('vendored dependencies of a build without -trimpath resolve at the versions of the main module go.mod', { timeout: 10 * 60_000 }, async () => {
  const dir = mkdtempSync(path.join(work, 'vendored-'));
  const profile = buildVendoredAndProfile(dir);
  const cacheDir = mkdtempSync(path.join(work, 'vcache-'));
  const env = userEnv(true);
  const without = await runSource([profile, '--fetch', '--cache', cacheDir], env);
  const vfile = without.out.files.find((r) => classifyBuildPath(r.file).kind === 'vendored');
  assert.ok(vfile && vfile.file.startsWith(path.join(dir, 'prog', 'vendor') + '/'), JSON.stringify(without.out.files.map((r) => r.file)));
  assert.match(vfile.reason ?? '', /vendored package: its version is in the main module's go\.mod; give the main module \(--main-module PATH@VERSION\)/);

  const { code, out, stderr } = await runSource([profile, '--fetch', '--main-module', `${MAIN.path}@${MAIN.version}`, '--cache', cacheDir], env);
  assert.equal(code, 0, stderr);
  const rows = new Map(out.files.map((r) => [r.file, r]));
  const vendored = out.files.filter((r) => classifyBuildPath(r.file).kind === 'vendored');
  assert.ok(vendored.length >= 5, `${vendored.length} vendored files`);
  for (const r of vendored) {
    assert.ok(r.exact, `${r.file}: ${r.reason}`);
    assert.ok(['github.com/klauspost/compress@v1.18.0', 'golang.org/x/text@v0.21.0', 'github.com/cespare/xxhash/v2@v2.3.0'].includes(`${r.module}@${r.version}`), `${r.module}@${r.version}`);
  }
  const checked = assertFramesAt(rows, profile, new Set(['vendored']));
  assert.ok(checked >= 20, `${checked} vendored frames checked`);
});
