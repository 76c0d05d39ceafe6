// The exec path's commands (curl, else wget) run on this machine, exactly as built for the container, against
// loopback servers: a real etcd with mutual TLS and pprof, and a server that drops a connection mid-body. Their
// real exit codes and stderr go through readToolResult, the same reading the exec path does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import type { ExecResult } from '../../src/cluster/exec.ts';
import { fetchCommand, readToolResult, type Tool } from '../../src/capture/execFetch.ts';
import { captureKind, capturePath } from '../../src/capture/kinds.ts';
import { CaptureError, checkCaptureResponse } from '../../src/capture/validate.ts';
import { freePort, startLocalEtcd, type LocalEtcd } from './helpers/localEtcd.ts';

const where = { namespace: 'ns', pod: 'pod', container: 'c' };

function installed(tool: Tool): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}

// In a container the tool's stderr is a pipe (curl opens /dev/stderr for its headers); Node's stdio "pipes" are
// sockets, which /dev/stderr cannot be opened on, so bash puts a real pipe in between.
const PIPED_STDERR = 'set -o pipefail; { "$@" 2>&1 >&3 3>&- | cat >&2 3>&-; } 3>&1';

/** Runs the command the exec path would run in the container, here. */
function run(argv: string[]): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', PIPED_STDERR, 'run', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => resolve({ stdout: Buffer.alloc(0), stderr: '', exitCode: 127, failure: err.message }));
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out), stderr, exitCode: code ?? 1 }));
  });
}

function captureError(fn: () => unknown): CaptureError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CaptureError, `not a CaptureError: ${String(err)}`);
    return err;
  }
  return assert.fail('expected a CaptureError');
}

let etcd: LocalEtcd;
let files: { ca: string; cert: string; key: string; otherCa: string };

before(async () => {
  etcd = await startLocalEtcd();
  const d = etcd.pki.dir;
  files = {
    ca: path.join(d, 'etcd-signer.crt'),
    cert: path.join(d, 'etcd-serving-node-a.crt'),
    key: path.join(d, 'etcd-serving-node-a.key'),
    otherCa: path.join(d, 'other-signer.crt'),
  };
});
after(async () => etcd?.stop());

function https(p: string, certs?: { ca: string; cert: string; key: string }) {
  return { ...where, scheme: 'https' as const, port: etcd.port, path: p, certs: certs && { container: 'c', ...certs }, maxSeconds: 20 };
}

async function fetchWith(tool: Tool, o: ReturnType<typeof https>) {
  const r = await run(fetchCommand(tool, o));
  return { r, read: () => readToolResult(tool, r, o) };
}

for (const tool of ['wget', 'curl'] as const) {
  describe(`${tool} as the exec path runs it`, () => {
    before(() => {
      // Not a skip: a skipped describe hides its tests from the counts. `npm test` installs both
      // (scripts/setup-machine.sh test).
      if (!installed(tool)) throw new Error(`${tool} is not installed here: apt-get install -y ${tool} (or bash scripts/setup-machine.sh test)`);
    });
    test('a heap profile over mutual TLS: binary stdout is the profile, headers give status and type', async () => {
      const answer = (await fetchWith(tool, https('/debug/pprof/heap', files))).read();
      assert.ok(answer, 'the tool ran');
      assert.equal(answer.status, 200);
      assert.equal(answer.contentType, 'application/octet-stream');
      checkCaptureResponse(captureKind('heap'), answer.status, answer.contentType, answer.body, 'etcd');
      assert.ok(Profile.decode(gunzipSync(answer.body)).sampleType.length > 0);
    });

    test('a 404 comes back as the answer, so the message names the pprof switch', async () => {
      const answer = (await fetchWith(tool, https('/debug/pprof/no-such-profile', files))).read();
      assert.equal(answer?.status, 404);
      const err = captureError(() => checkCaptureResponse(captureKind('heap'), answer!.status, answer!.contentType, answer!.body, 'etcd'));
      assert.equal(err.code, 'pprof-disabled');
      assert.match(err.message, /--enable-pprof/);
    });

    test("a second CPU profile: Go's 500 body reaches the check (already running)", async () => {
      const first = fetchWith(tool, https(capturePath(captureKind('cpu'), 3), files));
      await new Promise((r) => setTimeout(r, 1000));
      const answer = (await fetchWith(tool, https(capturePath(captureKind('cpu'), 1), files))).read();
      assert.equal(answer?.status, 500);
      assert.match(answer!.body.toString(), /already in use/);
      const err = captureError(() => checkCaptureResponse(captureKind('cpu'), answer!.status, answer!.contentType, answer!.body, 'etcd'));
      assert.equal(err.code, 'already-running');
      assert.equal((await first).read()?.status, 200);
    });

    test('client certificate files that do not exist: a tls error that says so (curl) or names them as a suspect (wget)', async () => {
      const { r, read } = await fetchWith(tool, https('/debug/pprof/heap', { ...files, cert: '/no/such/client.crt', key: '/no/such/client.key' }));
      const err = captureError(read);
      assert.equal(err.code, 'tls', `${err.message} (stderr: ${r.stderr})`);
      if (tool === 'curl') {
        assert.match(err.message, /curl could not use the client certificate or key files/);
      } else {
        assert.match(err.message, /the TLS connection failed and wget does not say why: it skips a client certificate or key it cannot read without a word/);
        assert.match(err.message, /\/no\/such\/client\.crt or \/no\/such\/client\.key is missing or unreadable/);
      }
    });

    // curl sees only "(16) Send failure: Connection reset by peer" (TLS 1.3 refuses the certificate after curl's handshake).
    test('a client certificate the server refuses (another CA signed it): curl names the certificate, wget both causes', async () => {
      const d = etcd.pki.dir;
      const { r, read } = await fetchWith(tool, https('/debug/pprof/heap', { ...files, cert: path.join(d, 'stranger.crt'), key: path.join(d, 'stranger.key') }));
      const err = captureError(read);
      assert.equal(err.code, 'tls', `${err.message} (stderr: ${r.stderr})`);
      if (tool === 'curl') assert.match(err.message, /it most likely refuses .*stranger\.crt/);
      else assert.match(err.message, /or the server refused them/);
    });

    if (tool === 'curl') {
      // The same refusal, as curl reported it across 300 runs on a loaded machine: the live test above meets one
      // of these at random, the rarest (1 in 100) made CI fail once.
      test('every way curl has reported that refusal reads as the refused certificate', () => {
        const seen: [number, string][] = [
          [16, 'curl: (16) Send failure: Connection reset by peer'],
          [55, 'curl: (55) Send failure: Connection reset by peer'],
          [55, 'curl: (55) getpeername() failed with errno 107: Transport endpoint is not connected'],
          [56, 'curl: (56) OpenSSL SSL_read: OpenSSL/3.0.19: error:0A000418:SSL routines::tlsv1 alert unknown ca, errno 0'],
        ];
        const o = https('/debug/pprof/heap', { ...files, cert: '/etc/stranger.crt', key: '/etc/stranger.key' });
        for (const [exitCode, stderr] of seen) {
          const err = captureError(() => readToolResult('curl', { stdout: Buffer.alloc(0), stderr: `${stderr}\n`, exitCode }, o));
          assert.equal(err.code, 'tls', err.message);
          assert.match(err.message, /it most likely refuses \/etc\/stranger\.crt/);
        }
      });
    }

    test('a CA that did not sign the server: a tls error about the CA file', async () => {
      const { r, read } = await fetchWith(tool, https('/debug/pprof/heap', { ...files, ca: files.otherCa }));
      const err = captureError(read);
      assert.equal(err.code, 'tls', `${err.message} (stderr: ${r.stderr})`);
      assert.match(err.message, /did not verify against the CA file/);
    });

    test('a CA file that does not exist: a tls error about reading the CA file', async () => {
      const { r, read } = await fetchWith(tool, https('/debug/pprof/heap', { ...files, ca: '/no/such/ca.crt' }));
      const err = captureError(read);
      assert.equal(err.code, 'tls', `${err.message} (stderr: ${r.stderr})`);
      assert.match(err.message, tool === 'wget' ? /wget could not read the CA file \/no\/such\/ca\.crt \(exit 5: ERROR: Failed to open cert/ : /could not read the CA file/);
    });

    test('nothing listening: connection refused, said plainly', async () => {
      const port = await freePort();
      const o = { ...where, scheme: 'http' as const, port, path: '/debug/pprof/heap', maxSeconds: 10 };
      const r = await run(fetchCommand(tool, o));
      const err = captureError(() => readToolResult(tool, r, o));
      assert.equal(err.code, 'connection-dropped');
      assert.match(err.message, /nothing listens on that port inside the pod \(connection refused\)/);
    });

    test('a connection dropped mid-body is an error, with no retry and no second copy on stdout', async () => {
      let requests = 0;
      const server = net.createServer((sock) => {
        requests++;
        sock.once('data', () => {
          // Promises 2000 bytes, sends 1000, hangs up.
          sock.write('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 2000\r\n\r\n');
          sock.end(Buffer.alloc(1000, 7));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const o = { ...where, scheme: 'http' as const, port: (server.address() as net.AddressInfo).port, path: '/debug/pprof/heap', maxSeconds: 10 };
        const r = await run(fetchCommand(tool, o));
        const err = captureError(() => readToolResult(tool, r, o));
        assert.equal(requests, 1, 'one request, no retry');
        assert.ok(r.stdout.length <= 1000, `stdout holds ${r.stdout.length} bytes`);
        if (tool === 'wget') assert.equal(err.code, 'connection-dropped', err.message);
      } finally {
        server.close();
      }
    });
  });
}
