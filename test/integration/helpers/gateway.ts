// Helpers for the pprof gateway tests: the real `go tool pprof` (Go 1.26, GOTOOLCHAIN=local), raw HTTP requests
// whose path and Host header are sent exactly as written, and the CLI gateway as a child process.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findGo } from '../../../src/capture/pprofWeb.ts';
import { REPO } from './sandbox.ts';

/** The Go toolchain the tests use: $GO, /usr/local/go/bin/go, else `go` on PATH. Throws when none exists. */
export function goBinary(): string {
  const candidates = [process.env.GO, '/usr/local/go/bin/go', findGo()].filter((x): x is string => !!x);
  const go = candidates.find((p) => existsSync(p));
  if (!go) throw new Error('No Go toolchain (set GO, or install Go 1.26 at /usr/local/go): the gateway tests run the real go tool pprof.');
  return go;
}

/** pprof saves fetched profiles under PPROF_TMPDIR: a directory of the test's, scanned for keys afterwards. */
export const PPROF_TMPDIR = mkdtempSync(path.join(tmpdir(), 'ep-pprof-'));

export function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: 'local', PPROF_TMPDIR, GOFLAGS: '' };
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(file: string, args: string[], timeoutMs = 120_000, env = goEnv()): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: tmpdir(), env, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0, stdout, stderr });
    });
  });
}

/** `go tool pprof ARGS`. */
export function pprof(args: string[], timeoutMs?: number): Promise<Ran> {
  return run(goBinary(), ['tool', 'pprof', ...args], timeoutMs);
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request with the target and Host header exactly as given (Node does not normalise either). */
export function rawRequest(port: number, method: string, target: string, host = `127.0.0.1:${port}`, signal?: AbortSignal): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers: { host }, agent: false, signal, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(method === 'POST' || method === 'PUT' ? '{"key":"Zm9v"}' : undefined);
  });
}

export interface CliGateway {
  child: ChildProcess;
  url: string;
  port: number;
  token: string;
  /** stderr so far. */
  stderr(): string;
  exited: Promise<number | null>;
}

/** Starts `etcd-profiler gateway ...` and resolves once its first stdout line (the URL) is out. */
export function startCliGateway(args: string[]): Promise<CliGateway> {
  const child = spawn(process.execPath, [path.join(REPO, 'src/cli.ts'), 'gateway', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`CLI gateway printed no URL in 60 s; stderr: ${err}`)), 60_000);
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`CLI gateway exited ${code} before printing its URL; stderr: ${err}`));
    });
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(t);
      const line = out.slice(0, nl);
      const m = /^pprof gateway for (\S+) at (http:\/\/127\.0\.0\.1:(\d+)\/([^/]+)\/debug\/pprof\/)$/.exec(line);
      if (!m) {
        reject(new Error(`unexpected first line: ${line}`));
        return;
      }
      resolve({ child, url: m[2], port: Number(m[3]), token: m[4], stderr: () => err, exited });
    });
  });
}
