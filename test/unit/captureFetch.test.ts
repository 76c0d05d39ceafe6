// fetchPprof + checkCaptureResponse against a real etcd with mutual TLS and pprof on loopback (no Kubernetes):
// every kind, the identity check, refused and foreign certificates, 404 naming the switch, one CPU profile at a time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { fetchPprof, type HttpTarget } from '../../src/capture/fetch.ts';
import { CAPTURE_KINDS, captureKind, capturePath } from '../../src/capture/kinds.ts';
import { CaptureError, checkCaptureResponse } from '../../src/capture/validate.ts';
import { offNote, parsePprofIndex } from '../../src/capture/pprofIndex.ts';
import type { EtcdTls } from '../../src/cluster/etcdCerts.ts';
import { startLocalEtcd, type LocalEtcd } from './helpers/localEtcd.ts';

let etcd: LocalEtcd;
let tls: EtcdTls;

function target(overrides: Partial<HttpTarget> = {}): HttpTarget {
  return { scheme: 'https', host: '127.0.0.1', port: etcd.port, tls, ...overrides };
}

async function expectCaptureError(p: Promise<unknown>, code: string, pattern: RegExp): Promise<CaptureError> {
  const err = await p.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CaptureError, `not a CaptureError: ${String(err)}`);
  assert.equal(err.code, code, err.message);
  assert.match(err.message, pattern);
  return err;
}

describe('fetch over mutual TLS from a local etcd', () => {
  before(async () => {
    etcd = await startLocalEtcd();
    const { pki } = etcd;
    tls = { ca: pki.ca, cert: pki.serverCert, key: pki.serverKey, source: 'test files', serverNames: ['node-a', '10.0.0.5', '127.0.0.1', 'localhost'] };
  });
  after(async () => etcd?.stop());

  for (const kind of CAPTURE_KINDS) {
    test(`kind ${kind.id}: valid answer`, async () => {
      const res = await fetchPprof(target(), capturePath(kind, 1));
      assert.equal(res.status, 200);
      checkCaptureResponse(kind, res.status, res.contentType, res.body, 'etcd');
      if (kind.format === 'profile') {
        const p = Profile.decode(gunzipSync(res.body));
        assert.ok(p.sampleType.length > 0, 'profile has sample types');
        if (kind.id === 'goroutine') assert.ok(p.sample.length > 0, 'goroutine profile has samples');
      } else if (kind.id === 'goroutine-debug2') {
        assert.match(res.body.toString('utf8'), /^goroutine \d+ \[/);
      }
    });
  }

  test('the client certificate may be the etcd-client one', async () => {
    const res = await fetchPprof(target({ tls: { ...tls, cert: etcd.pki.clientCert, key: etcd.pki.clientKey } }), '/debug/pprof/heap');
    checkCaptureResponse(captureKind('heap'), res.status, res.contentType, res.body, 'etcd');
  });

  test('identity: a certificate not valid for any expected name is rejected', async () => {
    await expectCaptureError(
      fetchPprof(target({ tls: { ...tls, serverNames: ['node-b', '10.9.9.9'] } }), '/debug/pprof/heap'),
      'tls',
      /TLS verification/,
    );
  });

  test('identity: the node name alone suffices', async () => {
    const res = await fetchPprof(target({ tls: { ...tls, serverNames: ['node-a'] } }), '/debug/pprof/heap');
    assert.equal(res.status, 200);
  });

  test('a CA that did not sign the server fails verification, skip-verify gets through', async () => {
    await expectCaptureError(fetchPprof(target({ tls: { ...tls, ca: etcd.pki.otherCa } }), '/debug/pprof/heap'), 'tls', /CA from the cluster does not match/);
    const res = await fetchPprof(target({ tls: { ...tls, ca: etcd.pki.otherCa }, insecureSkipVerify: true }), '/debug/pprof/heap');
    assert.equal(res.status, 200);
  });

  test('a client certificate from another CA is refused by the server', async () => {
    const stranger = { ...tls, cert: etcd.pki.strangerCert, key: etcd.pki.strangerKey };
    await expectCaptureError(fetchPprof(target({ tls: stranger }), '/debug/pprof/heap'), 'tls', /refused our client certificate|connection dropped/i);
  });

  test('plain http against the TLS port is explained', async () => {
    await expectCaptureError(fetchPprof(target({ scheme: 'http', tls: undefined }), '/debug/pprof/heap'), 'connection-dropped', /capture with https/);
  });

  test('https against a plain http port is explained', async () => {
    const server = http.createServer((_req, res) => res.end('plain'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      await expectCaptureError(fetchPprof(target({ port }), '/debug/pprof/heap'), 'tls', /speaks plain http/);
    } finally {
      server.close();
    }
  });

  test('the pprof index lists the profiles with their counts', async () => {
    const res = await fetchPprof(target(), '/debug/pprof/');
    const entries = parsePprofIndex(res.body.toString('utf8'));
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const name of ['allocs', 'block', 'goroutine', 'heap', 'mutex', 'profile', 'threadcreate', 'trace']) assert.ok(byName.has(name), name);
    assert.ok((byName.get('goroutine')!.count ?? 0) > 0);
    assert.deepEqual(byName.get('profile')!.kinds, ['cpu']);
    assert.deepEqual(byName.get('goroutine')!.kinds, ['goroutine', 'goroutine-debug1', 'goroutine-debug2']);
    assert.deepEqual(byName.get('cmdline')!.kinds, []);
    // Block and mutex entries with a zero count are marked off, naming the call that turns them on.
    for (const name of ['block', 'mutex']) {
      const e = byName.get(name)!;
      assert.equal(offNote(e) !== undefined, e.count === 0, `${name}: ${e.count}`);
      assert.match(offNote({ ...e, count: 0 })!, name === 'block' ? /runtime\.SetBlockProfileRate/ : /runtime\.SetMutexProfileFraction/);
    }
    assert.equal(offNote({ ...byName.get('heap')!, count: 0 }), undefined);
    assert.throws(() => parsePprofIndex('<html><body>hello</body></html>'), /Not a \/debug\/pprof\/ index/);
  });

  test('HTML where a profile was expected', async () => {
    const res = await fetchPprof(target(), '/debug/pprof/');
    assert.throws(
      () => checkCaptureResponse(captureKind('heap'), res.status, res.contentType, res.body, 'etcd'),
      (e: unknown) => e instanceof CaptureError && e.code === 'html',
    );
  });

  test('only one CPU profile at a time: the second gets a clear message', async () => {
    const cpu = captureKind('cpu');
    const first = fetchPprof(target(), capturePath(cpu, 2));
    await new Promise((r) => setTimeout(r, 300));
    const second = await fetchPprof(target(), capturePath(cpu, 1));
    assert.throws(
      () => checkCaptureResponse(cpu, second.status, second.contentType, second.body, 'etcd'),
      (e: unknown) => e instanceof CaptureError && e.code === 'already-running' && /one at a time/.test(e.message),
    );
    const ok = await first;
    checkCaptureResponse(cpu, ok.status, ok.contentType, ok.body, 'etcd');
  });

  test('cancel aborts a CPU profile at once', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    const p = fetchPprof(target(), capturePath(captureKind('cpu'), 20), { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    await expectCaptureError(p, 'cancelled', /cancelled/i);
    assert.ok(Date.now() - t0 < 3000, 'aborted quickly');
    // The server noticed the disconnect and released the CPU profiler.
    const res = await fetchPprof(target(), capturePath(captureKind('cpu'), 1));
    assert.equal(res.status, 200);
  });

  test('nothing listening', async () => {
    await expectCaptureError(fetchPprof(target({ port: 1 }), '/debug/pprof/heap'), 'connection-dropped', /connection refused/);
  });
});

describe('etcd without --enable-pprof', () => {
  let plain: LocalEtcd;
  before(async () => {
    plain = await startLocalEtcd({ pprof: false });
  });
  after(async () => plain?.stop());

  test('404 names the switch', async () => {
    const { pki } = plain;
    const res = await fetchPprof(
      { scheme: 'https', host: '127.0.0.1', port: plain.port, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, source: 't', serverNames: ['127.0.0.1'] } },
      '/debug/pprof/heap',
    );
    assert.equal(res.status, 404);
    assert.throws(
      () => checkCaptureResponse(captureKind('heap'), res.status, res.contentType, res.body, 'etcd'),
      (e: unknown) => e instanceof CaptureError && e.code === 'pprof-disabled' && /--enable-pprof/.test(e.message) && /ETCD_ENABLE_PPROF/.test(e.message),
    );
    assert.throws(() => checkCaptureResponse(captureKind('heap'), 404, undefined, Buffer.from('404'), 'operator'), /OPENSHIFT_PROFILE=web/);
  });
});
