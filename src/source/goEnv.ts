// The go command's module-download settings (GOPROXY, GONOPROXY/GOPRIVATE, GOSUMDB/GONOSUMDB, GOFLAGS,
// GOMODCACHE), read as the go command reads them: `go env -json` when Go is installed (it folds in the go env file),
// else the process environment with the go command's defaults.
import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import path from 'node:path';

export interface GoFetchEnv {
  GOPROXY: string;
  GONOPROXY: string;
  GOPRIVATE: string;
  GOSUMDB: string;
  GONOSUMDB: string;
  GOFLAGS: string;
  GOINSECURE: string;
  GOMODCACHE: string;
  GOROOT: string;
  /** `go1.26.8` of the local Go, '' when Go is not installed. */
  GOVERSION: string;
  /** Absolute path of the go command used, '' when none was found. */
  goBin: string;
}

const KEYS = ['GOPROXY', 'GONOPROXY', 'GOPRIVATE', 'GOSUMDB', 'GONOSUMDB', 'GOFLAGS', 'GOINSECURE', 'GOMODCACHE', 'GOROOT', 'GOVERSION'] as const;

/** The go command on PATH (no shell: each PATH entry is tried as a file). */
export async function findGo(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const { access, constants } = await import('node:fs/promises');
  const exe = process.platform === 'win32' ? 'go.exe' : 'go';
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir || !path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, exe);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

function runGoEnv(goBin: string, env: NodeJS.ProcessEnv): Promise<Record<string, string> | undefined> {
  return new Promise((resolve) => {
    execFile(goBin, ['env', '-json', ...KEYS], { timeout: 10_000, env: { ...env, GOTOOLCHAIN: 'local' } }, (err, stdout) => {
      if (err) return resolve(undefined);
      try {
        resolve(JSON.parse(stdout) as Record<string, string>);
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** The settings from `env` (default: this process's), through `go env` when the go command is on its PATH. */
export async function readGoFetchEnv(env: NodeJS.ProcessEnv = process.env): Promise<GoFetchEnv> {
  const goBin = await findGo(env);
  const fromGo = goBin ? await runGoEnv(goBin, env) : undefined;
  const get = (k: (typeof KEYS)[number]): string => (fromGo ? fromGo[k] : env[k]) ?? '';
  const gopath = (env.GOPATH || path.join(homedir(), 'go')).split(path.delimiter)[0];
  const out: GoFetchEnv = {
    GOPROXY: get('GOPROXY') || 'https://proxy.golang.org,direct',
    GONOPROXY: get('GONOPROXY') || get('GOPRIVATE'),
    GOPRIVATE: get('GOPRIVATE'),
    GOSUMDB: get('GOSUMDB') || 'sum.golang.org',
    GONOSUMDB: get('GONOSUMDB') || get('GOPRIVATE'),
    GOFLAGS: get('GOFLAGS'),
    GOINSECURE: get('GOINSECURE'),
    GOMODCACHE: get('GOMODCACHE') || path.join(gopath, 'pkg', 'mod'),
    GOROOT: get('GOROOT'),
    GOVERSION: fromGo ? get('GOVERSION') : '',
    goBin: fromGo && goBin ? goBin : '',
  };
  // GOFLAGS=-insecure is gone from the go command; GOINSECURE is the only switch, honoured by the go command itself.
  return out;
}

/**
 * golang.org/x/mod/module.MatchPrefixPatterns: whether a leading run of `target`'s path elements matches one of the
 * comma-separated glob patterns (GOPRIVATE, GONOPROXY, GONOSUMDB).
 */
export function matchPrefixPatterns(globs: string, target: string): boolean {
  for (let glob of globs.split(',')) {
    glob = glob.trim().replace(/\/+$/, '');
    if (!glob) continue;
    const n = glob.split('/').length;
    const elems = target.split('/');
    if (elems.length < n) continue;
    if (globMatch(glob, elems.slice(0, n).join('/'))) return true;
  }
  return false;
}

/** path.Match: `*` and `?` do not cross `/`; `[...]` classes. */
export function globMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return false;
      let cls = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (cls.startsWith('^')) cls = '^' + cls.slice(1);
      re += `[${cls}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += pattern[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  try {
    return new RegExp(re + '$').test(name);
  } catch {
    return false;
  }
}

/** One entry of GOPROXY: a URL, `direct` or `off`, and whether any error (`|`) or only 404/410 (`,`) falls through. */
export interface ProxyEntry {
  url: string;
  fallBackOnAnyError: boolean;
}

export function parseProxyList(goproxy: string): ProxyEntry[] {
  const out: ProxyEntry[] = [];
  let rest = goproxy.trim();
  while (rest) {
    const m = /^([^,|]*)([,|]?)(.*)$/s.exec(rest)!;
    const url = m[1].trim().replace(/\/+$/, '');
    if (url) out.push({ url, fallBackOnAnyError: m[2] === '|' });
    rest = m[3];
  }
  return out;
}
