// Starts a real etcd (the binary from test/sandbox/build/build-binaries.sh) on loopback with mutual TLS and
// pprof, with a throwaway CA and certificates made by openssl, for tests that need no Kubernetes.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import https from 'node:https';

export const ETCD_BIN = path.join(process.env.ETCD_PROFILER_CACHE ?? path.join(homedir(), '.cache/etcd-profiler'), 'bin/etcd-v3.6.16');

export interface Pki {
  dir: string;
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
  /** A CA that signed nothing here, for negative tests. */
  otherCa: Buffer;
  /** A client certificate signed by the other CA. */
  strangerCert: Buffer;
  strangerKey: Buffer;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`], dir);
}

function makeLeaf(dir: string, ca: string, name: string, san: string, usage: string): void {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
  writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\nkeyUsage=digitalSignature,keyEncipherment\n`);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], dir);
}

export function makePki(): Pki {
  const dir = mkdtempSync(path.join(tmpdir(), 'ep-pki-'));
  makeCa(dir, 'etcd-signer');
  makeCa(dir, 'other-signer');
  makeLeaf(dir, 'etcd-signer', 'etcd-serving-node-a', 'DNS:node-a,DNS:localhost,IP:127.0.0.1,IP:10.0.0.5', 'serverAuth,clientAuth');
  makeLeaf(dir, 'etcd-signer', 'etcd-client', 'DNS:etcd-client', 'clientAuth');
  makeLeaf(dir, 'other-signer', 'stranger', 'DNS:stranger', 'clientAuth');
  const r = (f: string) => readFileSync(path.join(dir, f));
  return {
    dir,
    ca: r('etcd-signer.crt'),
    serverCert: r('etcd-serving-node-a.crt'),
    serverKey: r('etcd-serving-node-a.key'),
    clientCert: r('etcd-client.crt'),
    clientKey: r('etcd-client.key'),
    otherCa: r('other-signer.crt'),
    strangerCert: r('stranger.crt'),
    strangerKey: r('stranger.key'),
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface LocalEtcd {
  port: number;
  pki: Pki;
  stop(): Promise<void>;
}

/** Starts etcd with --client-cert-auth on https://127.0.0.1:<port>; `pprof` false leaves --enable-pprof off. */
export async function startLocalEtcd(options: { pprof?: boolean } = {}): Promise<LocalEtcd> {
  if (!existsSync(ETCD_BIN)) throw new Error(`${ETCD_BIN} missing: run test/sandbox/build/build-binaries.sh`);
  const pki = makePki();
  const port = await freePort();
  const peer = await freePort();
  const data = path.join(pki.dir, 'data');
  const f = (n: string) => path.join(pki.dir, n);
  const args = [
    '--name', 'node-a', '--data-dir', data,
    '--listen-client-urls', `https://127.0.0.1:${port}`, '--advertise-client-urls', `https://127.0.0.1:${port}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `node-a=http://127.0.0.1:${peer}`,
    '--cert-file', f('etcd-serving-node-a.crt'), '--key-file', f('etcd-serving-node-a.key'),
    '--client-cert-auth', '--trusted-ca-file', f('etcd-signer.crt'),
    '--log-level', 'error',
  ];
  if (options.pprof !== false) args.push('--enable-pprof');
  const child: ChildProcess = spawn(ETCD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`etcd exited: ${stderr.slice(-2000)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = https.get({ host: '127.0.0.1', port, path: '/health', ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`etcd not healthy after 20 s: ${stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    pki,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(pki.dir, { recursive: true, force: true });
    },
  };
}
