// The small real program of the source-fetch tests (testdata/srcprog: zstd, Unicode normalisation and xxhash from
// their real modules): built with -trimpath outside any module cache the tests resolve against, run for a CPU and
// an allocation profile, and its own source as the module example.com/srcprog@v0.1.0 for a local proxy.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeZip, type ServedModule } from './goProxy.ts';

export const repo = fileURLToPath(new URL('../../..', import.meta.url));
export const progDir = path.join(repo, 'test/integration/testdata/srcprog');
export const cacheRoot = path.join(process.env.ETCD_PROFILER_CACHE || path.join(homedir(), '.cache/etcd-profiler'), 'source-test');
export const GO = '/usr/local/go/bin/go';
export const MAIN = { path: 'example.com/srcprog', version: 'v0.1.0' };

/** Builds the program into `dir` and runs it: returns its CPU and allocation profiles. */
export function buildAndProfile(dir: string): { cpu: string; allocs: string } {
  // The dependencies go to a build-only module cache (kept between runs), never the one resolved against.
  const buildEnv = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod', GOMODCACHE: path.join(cacheRoot, 'build-modcache'), GOWORK: 'off' };
  const bin = path.join(dir, 'srcprog');
  execFileSync(GO, ['build', '-trimpath', '-o', bin, '.'], { cwd: progDir, env: buildEnv, stdio: 'pipe' });
  const cpu = path.join(dir, 'cpu.pb.gz');
  const allocs = path.join(dir, 'allocs.pb.gz');
  execFileSync(bin, [cpu, allocs], { stdio: 'pipe' });
  return { cpu, allocs };
}

/**
 * A copy of the program in `dir`, its dependencies vendored (`go mod vendor`), built with -mod=vendor and without
 * -trimpath, so its dependency frames are `<dir>/vendor/<import path>/file.go` with no version. Returns its CPU profile.
 */
export function buildVendoredAndProfile(dir: string): string {
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '', GOMODCACHE: path.join(cacheRoot, 'build-modcache'), GOWORK: 'off' };
  const src = path.join(dir, 'prog');
  cpSync(progDir, src, { recursive: true });
  execFileSync(GO, ['mod', 'vendor'], { cwd: src, env, stdio: 'pipe' });
  execFileSync(GO, ['build', '-mod=vendor', '-o', 'srcprog', '.'], { cwd: src, env, stdio: 'pipe' });
  const cpu = path.join(dir, 'vendored-cpu.pb.gz');
  execFileSync(path.join(src, 'srcprog'), [cpu, path.join(dir, 'vendored-allocs.pb.gz')], { stdio: 'pipe' });
  return cpu;
}

/** The program's source as a module version, for startGoProxy. */
export function mainModule(): ServedModule {
  const src = ['go.mod', 'go.sum', 'main.go'].map((name) => ({ name, data: readFileSync(path.join(progDir, name)) }));
  return { ...MAIN, zip: makeZip(`${MAIN.path}@${MAIN.version}/`, src), goMod: readFileSync(path.join(progDir, 'go.mod'), 'utf8') };
}
