// What the pprof gateway lets through, decided on the request line and Host header alone (pure, no I/O).
// Only GET/HEAD of `/<token>/debug/pprof/...` reach the pod: the same client certificate also opens etcd's KV,
// auth and maintenance APIs, which must stay out of reach of anything else on this machine (a browser page,
// another local user's process). The path is normalised before it is checked: percent-encoding decoded per
// segment, `.`/`..` resolved, empty segments (double slashes) dropped; an encoded `/` or `\` is refused.
import { timingSafeEqual } from 'node:crypto';

export interface GatewayPolicy {
  token: string;
  port: number;
  /** Also pass `/metrics` and `/version` (the `etcdProfiler.gateway.allowMetrics` setting). */
  allowMetrics?: boolean;
}

export type GatewayDecision =
  | { allow: true; upstreamPath: string; method: 'GET' | 'HEAD' }
  | { allow: false; status: number; reason: string; location?: string };

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

function refuse(status: number, reason: string): GatewayDecision {
  return { allow: false, status, reason };
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `/a/./b//c/../d` → ['a', 'b', 'd']; undefined for a segment that decodes to a slash, a backslash or a NUL, or bad %-escapes. */
export function normalisePath(rawPath: string): string[] | undefined {
  const out: string[] = [];
  for (const raw of rawPath.split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (/[/\\\0]/.test(seg)) return undefined;
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out;
}

function validHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const h = host.toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}`;
}

/** Decides one request. `url` is the raw request target (`req.url`), `host` the Host header. */
export function decide(policy: GatewayPolicy, method: string | undefined, url: string | undefined, host: string | undefined): GatewayDecision {
  if (!validHost(host, policy.port)) {
    return refuse(403, `Host header refused: only 127.0.0.1:${policy.port} and localhost:${policy.port} are served (DNS rebinding protection).`);
  }
  const target = url ?? '';
  if (!target.startsWith('/')) return refuse(400, 'Only origin-form request targets (/path) are served.');
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const rawQuery = q < 0 ? '' : target.slice(q + 1);
  // The token is the first segment exactly as sent: no decoding, no normalisation to reach it.
  const firstEnd = rawPath.indexOf('/', 1);
  const given = rawPath.slice(1, firstEnd < 0 ? undefined : firstEnd);
  if (!sameToken(given, policy.token)) return refuse(404, 'Not found: the gateway URL has a token; copy it from etcd Profiler (status bar) or the CLI output.');
  const rest = firstEnd < 0 ? '' : rawPath.slice(firstEnd);
  const segs = normalisePath(rest);
  if (!segs) return refuse(403, 'Refused: the path has an encoded "/" or "\\", a NUL or a bad %-escape.');
  if (method !== 'GET' && method !== 'HEAD') {
    return refuse(403, `Refused: only GET and HEAD pass the pprof gateway, not ${String(method).slice(0, 16)}.`);
  }
  if (!segs.every((s) => SEGMENT.test(s))) return refuse(403, 'Refused: a path segment has characters no pprof endpoint uses.');
  const isPprof = segs[0] === 'debug' && segs[1] === 'pprof';
  const isMetrics = segs.length === 1 && (segs[0] === 'metrics' || segs[0] === 'version');
  if (isPprof && segs.length === 2 && !rest.endsWith('/')) {
    return { allow: false, status: 301, reason: 'Moved to /debug/pprof/.', location: `/${policy.token}/debug/pprof/` };
  }
  if (!isPprof && !(isMetrics && policy.allowMetrics)) {
    const what = isMetrics
      ? `/${segs[0]} is refused unless the etcdProfiler.gateway.allowMetrics setting is on`
      : `/${segs.join('/')} is refused: only /debug/pprof/ is served (etcd's KV, auth and maintenance APIs are not reachable through the gateway)`;
    return refuse(403, `Refused: ${what}.`);
  }
  // Re-serialised so nothing but well-formed name=value pairs reaches the pod.
  const query = rawQuery ? new URLSearchParams(rawQuery).toString() : '';
  const path = `/${segs.join('/')}${isPprof && segs.length === 2 ? '/' : ''}`;
  return { allow: true, method, upstreamPath: query ? `${path}?${query}` : path };
}

/** The `seconds` parameter of a CPU profile or trace request: how long the pod may stay silent. */
export function quietSecondsOf(upstreamPath: string): number {
  const q = upstreamPath.indexOf('?');
  const n = q < 0 ? NaN : Number(new URLSearchParams(upstreamPath.slice(q + 1)).get('seconds'));
  if (Number.isFinite(n) && n > 0) return Math.min(n, 24 * 3600);
  return /\/(profile|trace)$/.test(q < 0 ? upstreamPath : upstreamPath.slice(0, q)) ? 30 : 0;
}
