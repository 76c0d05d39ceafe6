// Where a pod serves net/http/pprof, found without touching the network: from the line Go programs built on
// library-go log at start, or from etcd's flags and environment in the pod spec. Pure functions only.
import type { V1Container, V1Pod } from '@kubernetes/client-node';

export interface ProfilingEndpoint {
  scheme: 'http' | 'https';
  /** Host to reach from inside the pod's network namespace (wildcard listeners become 127.0.0.1). */
  host: string;
  port: number;
  /** Always ends with `/`, e.g. `/debug/pprof/`. */
  path: string;
  /** How it was found: the start-up log line, the pod spec, the "Other Go pods" setting, or a known default. */
  source: 'log' | 'spec' | 'setting' | 'default';
}

/** The endpoint as a URL string, e.g. `https://127.0.0.1:2379/debug/pprof/`. */
export function endpointUrl(e: ProfilingEndpoint): string {
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  return `${e.scheme}://${host}:${e.port}${e.path}`;
}

const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '[::]', '*']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * Parses one listen URL such as `https://0.0.0.0:2379`, `http://:6060/debug/pprof/` or
 * `https://${LISTEN_ON_ALL_IPS}:2379` (a shell variable in OpenShift's etcd start script).
 */
interface ListenUrl {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  path: string;
  /** 'loopback' for 127.0.0.1/localhost/::1, 'any' for wildcards and shell variables, else 'specific'. */
  kind: 'loopback' | 'any' | 'specific';
}

function parseListenUrl(raw: string): ListenUrl | undefined {
  const m = /^(https?):\/\/(\[[^\]]*\]|\$\{\w+\}|[^/:]*)(?::(\d+))?(\/\S*)?$/.exec(raw.trim());
  if (!m) return undefined;
  const scheme = m[1] as 'http' | 'https';
  let host = m[2];
  let kind: ListenUrl['kind'] = 'specific';
  if (host.startsWith('$') || WILDCARD_HOSTS.has(host)) {
    host = '127.0.0.1';
    kind = 'any';
  } else if (LOOPBACK_HOSTS.has(host)) {
    kind = 'loopback';
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = m[3] ? Number(m[3]) : scheme === 'https' ? 443 : 80;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { scheme, host, port, path: m[4] ?? '/', kind };
}

const PROFILING_LINE = /Starting profiling endpoint at (https?:\/\/[^\s"'\\]+)/;

/**
 * Finds `Starting profiling endpoint at http://HOST:PORT/debug/pprof/` in a log (klog or JSON lines) and returns
 * that endpoint; the first occurrence wins.
 */
export function parseProfilingLogLine(log: string): ProfilingEndpoint | undefined {
  const m = PROFILING_LINE.exec(log);
  if (!m) return undefined;
  const url = parseListenUrl(m[1]);
  if (!url) return undefined;
  const path = url.path.endsWith('/') ? url.path : `${url.path}/`;
  return { scheme: url.scheme, host: url.host, port: url.port, path, source: 'log' };
}

/**
 * Splits a command line into words: whitespace separates, single and double quotes group, backslash-newline
 * joins lines. Good enough for the `exec etcd --flag=value \` scripts etcd pods run under `/bin/sh -c`.
 */
export function shellWords(script: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && script[i + 1] === '\n') {
      i++;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Every word of a container's command and args, with `sh -c` scripts split into their words. */
function containerWords(c: V1Container): string[] {
  return [...(c.command ?? []), ...(c.args ?? [])].flatMap((part) => shellWords(part));
}

/** Value of `--name=value` or `--name value` (also `-name`), the last one winning as in Go's flag package. */
function flagValue(words: string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i].replace(/^--?/, '-');
    if (w === `-${name}`) {
      const next = words[i + 1];
      value = next === undefined || next.startsWith('-') ? '' : next;
    } else if (w.startsWith(`-${name}=`)) {
      value = w.slice(name.length + 2);
    }
  }
  return value;
}

function isTrue(v: string | undefined): boolean {
  return v !== undefined && /^(|1|t|true)$/i.test(v.trim());
}

export interface EtcdSpecResult {
  /** The container that runs etcd. */
  container: string;
  endpoint?: ProfilingEndpoint;
  /** Why there is no endpoint, naming the switch to turn on. */
  note?: string;
}

/** The container running etcd: named `etcd`, else the first whose command mentions etcd. */
function etcdContainer(pod: V1Pod): V1Container | undefined {
  const containers = pod.spec?.containers ?? [];
  return (
    containers.find((c) => c.name === 'etcd') ??
    containers.find((c) => containerWords(c).some((w) => /(^|\/)etcd$/.test(w)))
  );
}

/**
 * etcd serves pprof on its client URLs when started with `--enable-pprof` (or env `ETCD_ENABLE_PPROF=true`).
 * The client URL comes from `--listen-client-urls` (or `ETCD_LISTEN_CLIENT_URLS`), default `https://127.0.0.1:2379`:
 * a loopback URL is preferred, then a wildcard one, then the first.
 */
export function parseEtcdPodSpec(pod: V1Pod): EtcdSpecResult | undefined {
  const c = etcdContainer(pod);
  if (!c) return undefined;
  const words = containerWords(c);
  const env = new Map((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));
  const pprofFlag = flagValue(words, 'enable-pprof');
  const enabled = pprofFlag !== undefined ? isTrue(pprofFlag) : isTrue(env.get('ETCD_ENABLE_PPROF') ?? 'false');
  if (!enabled) {
    return { container: c.name, note: 'pprof is off: etcd needs --enable-pprof (or env ETCD_ENABLE_PPROF=true)' };
  }
  const listen = flagValue(words, 'listen-client-urls') ?? env.get('ETCD_LISTEN_CLIENT_URLS') ?? 'https://127.0.0.1:2379';
  const urls = listen
    .split(',')
    .map((u) => parseListenUrl(u))
    .filter((u) => u !== undefined);
  const pick = urls.find((u) => u.kind === 'loopback') ?? urls.find((u) => u.kind === 'any') ?? urls[0];
  if (!pick) return { container: c.name, note: `cannot read --listen-client-urls=${listen}` };
  return {
    container: c.name,
    endpoint: { scheme: pick.scheme, host: pick.host, port: pick.port, path: '/debug/pprof/', source: 'spec' },
  };
}
