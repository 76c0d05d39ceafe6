// The pprof gateway's policy on request line and Host header: what passes to the pod, and the status and
// reason of everything refused. The integration test (test/integration/gateway.test.ts) sends the same
// requests to a real gateway and checks that none reached the member.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, normalisePath, quietSecondsOf } from '../../src/capture/gatewayPolicy.ts';

const token = 'T0kenT0kenT0kenT0kenT0kenT0kenAB';
const policy = { token, port: 4321 };
const host = '127.0.0.1:4321';
const get = (url: string, h = host, method = 'GET') => decide(policy, method, url, h);

test('pprof paths pass with their query re-serialised', () => {
  assert.deepEqual(get(`/${token}/debug/pprof/heap`), { allow: true, method: 'GET', upstreamPath: '/debug/pprof/heap' });
  assert.deepEqual(get(`/${token}/debug/pprof/`), { allow: true, method: 'GET', upstreamPath: '/debug/pprof/' });
  assert.deepEqual(get(`/${token}/debug/pprof/goroutine?debug=2`), { allow: true, method: 'GET', upstreamPath: '/debug/pprof/goroutine?debug=2' });
  assert.deepEqual(get(`/${token}/debug/pprof/profile?seconds=3`, 'localhost:4321', 'HEAD'), { allow: true, method: 'HEAD', upstreamPath: '/debug/pprof/profile?seconds=3' });
  // Normalised: double slashes, dots and %-escapes of plain characters.
  assert.deepEqual(get(`/${token}//debug/./pprof//%68eap`), { allow: true, method: 'GET', upstreamPath: '/debug/pprof/heap' });
  assert.deepEqual(get(`/${token}/debug/pprof`), { allow: false, status: 301, reason: 'Moved to /debug/pprof/.', location: `/${token}/debug/pprof/` });
});

test('methods other than GET and HEAD are 403', () => {
  for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT']) {
    const d = get(`/${token}/debug/pprof/heap`, host, m);
    assert.deepEqual(d, { allow: false, status: 403, reason: `Refused: only GET and HEAD pass the pprof gateway, not ${m}.` });
  }
});

test("etcd's APIs, /health, /metrics and /version are 403, also when reached by .. or %-encoding", () => {
  const api = (p: string) => `Refused: ${p} is refused: only /debug/pprof/ is served (etcd's KV, auth and maintenance APIs are not reachable through the gateway).`;
  const cases: Array<[string, string]> = [
    [`/${token}/v3/kv/range`, api('/v3/kv/range')],
    [`/${token}/v3/maintenance/status`, api('/v3/maintenance/status')],
    [`/${token}/v3/auth/authenticate`, api('/v3/auth/authenticate')],
    [`/${token}/health`, api('/health')],
    [`/${token}/debug/pprof/../../v3/kv/range`, api('/v3/kv/range')],
    [`/${token}/debug/pprof/%2e%2e/%2E%2E/v3/kv/range`, api('/v3/kv/range')],
    [`/${token}/debug/pprof/.%2e/.%2e/v3/kv/range`, api('/v3/kv/range')],
    [`/${token}/%76%33/kv/range`, api('/v3/kv/range')],
    [`/${token}/debug/pprof/../../../../v3/kv/range`, api('/v3/kv/range')],
    [`/${token}/metrics`, 'Refused: /metrics is refused unless the etcdProfiler.gateway.allowMetrics setting is on.'],
    [`/${token}/version`, 'Refused: /version is refused unless the etcdProfiler.gateway.allowMetrics setting is on.'],
    [`/${token}/debug/pprof/../../metrics`, 'Refused: /metrics is refused unless the etcdProfiler.gateway.allowMetrics setting is on.'],
  ];
  for (const [url, reason] of cases) assert.deepEqual(get(url), { allow: false, status: 403, reason }, url);
  const encoded = 'Refused: the path has an encoded "/" or "\\", a NUL or a bad %-escape.';
  for (const url of [`/${token}/debug/pprof/..%2f..%2fv3%2fkv%2frange`, `/${token}/debug/pprof/..%5c..%5cv3`, `/${token}/debug/pprof/%00`, `/${token}/debug/pprof/%zz`, `/${token}/debug/pprof/%2F`]) {
    assert.deepEqual(get(url), { allow: false, status: 403, reason: encoded }, url);
  }
  assert.equal((get(`/${token}/debug/pprof/heap;x=1`) as { reason: string }).reason, 'Refused: a path segment has characters no pprof endpoint uses.');
});

test('/metrics and /version pass with allowMetrics; /health and the APIs still do not', () => {
  const p = { ...policy, allowMetrics: true };
  assert.deepEqual(decide(p, 'GET', `/${token}/metrics`, host), { allow: true, method: 'GET', upstreamPath: '/metrics' });
  assert.deepEqual(decide(p, 'GET', `/${token}/version`, host), { allow: true, method: 'GET', upstreamPath: '/version' });
  assert.equal((decide(p, 'GET', `/${token}/health`, host) as { status: number }).status, 403);
  assert.equal((decide(p, 'GET', `/${token}/v3/kv/range`, host) as { status: number }).status, 403);
  assert.equal((decide(p, 'POST', `/${token}/metrics`, host) as { status: number }).status, 403);
});

test('a wrong, missing or %-encoded token is 404; the token is never normalised into place', () => {
  const notFound = { allow: false, status: 404, reason: 'Not found: the gateway URL has a token; copy it from etcd Profiler (status bar) or the CLI output.' };
  for (const url of ['/debug/pprof/heap', '/', `/${token.slice(0, -1)}X/debug/pprof/heap`, `/${token}x/debug/pprof/`, `/x/../${token}/debug/pprof/heap`, `/%${token}/debug/pprof/`, `//${token}/debug/pprof/heap`, `/${token.toLowerCase()}/debug/pprof/heap`]) {
    assert.deepEqual(get(url), notFound, url);
  }
  // A wrong token with a forbidden method is still 404: nothing tells a guesser more.
  assert.deepEqual(get('/nope/v3/kv/range', host, 'POST'), notFound);
});

test('a Host header other than 127.0.0.1:PORT or localhost:PORT is refused (DNS rebinding)', () => {
  const refused = { allow: false, status: 403, reason: 'Host header refused: only 127.0.0.1:4321 and localhost:4321 are served (DNS rebinding protection).' };
  for (const h of ['evil.example:4321', 'evil.example', '127.0.0.1', '127.0.0.1:80', 'localhost.evil.example:4321', '[::1]:4321', '', undefined]) {
    assert.deepEqual(decide(policy, 'GET', `/${token}/debug/pprof/heap`, h), refused, String(h));
  }
  assert.equal(get(`/${token}/debug/pprof/heap`, 'LOCALHOST:4321').allow, true);
  // Absolute-form targets are not served.
  assert.equal((get(`http://127.0.0.1:4321/${token}/debug/pprof/heap`) as { status: number }).status, 400);
});

test('normalisePath and the quiet time of CPU profiles and traces', () => {
  assert.deepEqual(normalisePath('/a/./b//c/../d/'), ['a', 'b', 'd']);
  assert.deepEqual(normalisePath('/../../x'), ['x']);
  assert.equal(normalisePath('/a%2fb'), undefined);
  assert.equal(quietSecondsOf('/debug/pprof/profile?seconds=3'), 3);
  assert.equal(quietSecondsOf('/debug/pprof/profile'), 30);
  assert.equal(quietSecondsOf('/debug/pprof/trace?seconds=5'), 5);
  assert.equal(quietSecondsOf('/debug/pprof/heap'), 0);
});
