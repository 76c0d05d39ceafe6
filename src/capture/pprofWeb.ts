// `go tool pprof -http=127.0.0.1:<free> -no_browser SOURCE`: pprof's own web UI (graph, peek, source,
// disassembly) on a loopback port, for a profile file or a gateway URL. Finds `go` on PATH, waits until the UI
// answers, and kills the process on stop(). No vscode import: the editor tab lives in src/views/pprofWebPanel.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export class GoNotFoundError extends Error {
  constructor() {
    super('`go` is not on PATH: pprof\'s web UI needs a Go toolchain (go tool pprof). Install Go, or run `go tool pprof -http=:` with the gateway URL on a machine that has it.');
    this.name = 'GoNotFoundError';
  }
}

/** The first executable `go` on PATH (`go.exe` on Windows), or undefined. */
export function findGo(envPath = process.env.PATH ?? ''): string | undefined {
  const names = process.platform === 'win32' ? ['go.exe'] : ['go'];
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    for (const n of names) {
      const p = path.join(dir, n);
      try {
        if (existsSync(p) && statSync(p).isFile()) return p;
      } catch {
        // unreadable PATH entry
      }
    }
  }
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/ui/', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) < 500);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

export interface PprofWebOptions {
  /** A profile file or an http(s) URL (a gateway's `.../heap`, `.../profile?seconds=30`). */
  source: string;
  /** Defaults to the `go` found on PATH. */
  goBinary?: string;
  /** Extra environment (e.g. GOTOOLCHAIN=local). */
  env?: NodeJS.ProcessEnv;
  /** Fetching a CPU profile takes its duration: wait this long for the UI (ms, default 120 s). */
  startTimeoutMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export class PprofWebSession {
  readonly port: number;
  readonly source: string;
  private readonly child: ChildProcess;
  private exited = false;
  private readonly exitListeners = new Set<(code: number | null) => void>();

  constructor(child: ChildProcess, port: number, source: string) {
    this.child = child;
    this.port = port;
    this.source = source;
    child.on('exit', (code) => {
      this.exited = true;
      for (const l of this.exitListeners) l(code);
    });
  }

  /** pprof serves its UI under /ui/ (the root redirects there with an absolute path, which breaks behind a proxy). */
  get url(): string {
    return `http://127.0.0.1:${this.port}/ui/`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  onExit(listener: (code: number | null) => void): void {
    this.exitListeners.add(listener);
  }

  /** Kills the pprof process (TERM, then KILL after 3 s) and waits for it to exit. */
  stop(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      this.child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      this.child.kill('SIGTERM');
    });
  }
}

/** Starts pprof's web UI on a free loopback port and resolves once it answers; rejects with pprof's own words if it exits. */
export async function startPprofWeb(o: PprofWebOptions): Promise<PprofWebSession> {
  const go = o.goBinary ?? findGo();
  if (!go) throw new GoNotFoundError();
  const port = await freePort();
  const args = ['tool', 'pprof', `-http=127.0.0.1:${port}`, '-no_browser', o.source];
  // The source URL holds the gateway token: log the command without it.
  o.log?.(`Starting go tool pprof -http=127.0.0.1:${port} -no_browser ${o.source.replace(/\/[A-Za-z0-9_-]{20,}\/debug\//, '/<token>/debug/')}`);
  // A neutral working directory: a go.mod in the workspace must not make `go` fetch another toolchain.
  const child = spawn(go, args, { cwd: tmpdir(), env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const session = new PprofWebSession(child, port, o.source);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
  });
  child.stdout?.resume();
  const deadline = Date.now() + (o.startTimeoutMs ?? 120_000);
  // 'close', not 'exit': by then stderr has been read to the end.
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  try {
    for (;;) {
      if (o.signal?.aborted) throw Object.assign(new Error('Cancelled.'), { name: 'AbortError' });
      const r = await Promise.race([exited.then((code) => ({ code })), spawnError.then((error) => ({ error })), new Promise((res) => setTimeout(res, 300)).then(() => undefined)]);
      if (r && 'error' in r) throw new Error(`Could not run ${go}: ${r.error.message}`);
      if (r && 'code' in r) {
        const said = stderr.trim().split('\n').filter(Boolean).slice(-3).join('; ');
        throw new Error(`go tool pprof exited (code ${r.code}) before its web UI came up: ${said || 'no output'}`);
      }
      if (await answers(port)) return session;
      if (Date.now() > deadline) throw new Error(`go tool pprof did not serve its web UI within ${Math.round((o.startTimeoutMs ?? 120_000) / 1000)} s.`);
    }
  } catch (err) {
    await session.stop();
    throw err;
  }
}
