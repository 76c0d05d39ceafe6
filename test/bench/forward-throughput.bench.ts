// Throughput of a 100 MB transfer through a port-forward (local listener → API server → kubelet stand-in →
// pod) as a ratio of the same transfer from the same server reached directly, both measured in this run.
// The server is a throwaway hostNetwork pod on master-0 running a small Node HTTP server (the pod sees the
// host's files, so this very Node binary runs it); "direct" reaches it at the node's IP on the sandbox bridge,
// the forward reaches it at 127.0.0.1 inside the node's network namespace. Needs a running sandbox.
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { CoreV1Api } from '@kubernetes/client-node';
import { startPortForward } from '../../src/cluster/portForward.ts';
import { adminConfig, deletePod, sandboxInfo, waitForPod } from '../integration/helpers/sandbox.ts';

const SIZE = 100 * 1024 * 1024;
const ROUNDS = 3;

const SERVER = `
const http = require('node:http');
const chunk = Buffer.alloc(256 * 1024, 120);
http.createServer((req, res) => {
  const n = Number(new URL(req.url, 'http://x').searchParams.get('bytes') || 0);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
  let left = n;
  const pump = () => {
    while (left > 0) {
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= part.length;
      if (!res.write(part)) return res.once('drain', pump);
    }
    res.end();
  };
  pump();
}).listen(Number(process.env.PORT), '0.0.0.0', () => console.log('bench server on', process.env.PORT));
`;

function download(host: string, port: number, bytes: number): Promise<{ ms: number; received: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.get({ host, port, path: `/?bytes=${bytes}`, agent: false }, (res) => {
      let received = 0;
      res.on('data', (c: Buffer) => (received += c.length));
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, received }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

function mbps(bytes: number, ms: number): number {
  return bytes / (1024 * 1024) / (ms / 1000);
}

async function run(): Promise<{ directMBps: number; forwardMBps: number; ratio: number }> {
  const info = sandboxInfo();
  const kc = adminConfig();
  const node = info.nodes[0];
  const namespace = 'openshift-etcd-operator';
  const name = `bench-throughput-${Math.random().toString(36).slice(2, 7)}`;
  const port = 30000 + Math.floor(Math.random() * 9000);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, namespace, labels: { app: 'bench' } },
      spec: {
        nodeName: node.name,
        hostNetwork: true,
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'server', image: 'sandbox/node', command: [process.execPath, '-e', SERVER], env: [{ name: 'PORT', value: String(port) }] }],
      },
    },
  });
  try {
    await waitForPod(kc, namespace, name, (p) => p.status?.phase === 'Running');
    // Up once it answers directly.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await download(node.ip, port, 1024);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const forward = await startPortForward({ kubeConfig: kc, namespace, pod: name, remotePort: port, localPort: 0 });
    try {
      await download('127.0.0.1', forward.localPort, 1024 * 1024); // warm up the path
      const direct: number[] = [];
      const forwarded: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const d = await download(node.ip, port, SIZE);
        const f = await download('127.0.0.1', forward.localPort, SIZE);
        if (d.received !== SIZE || f.received !== SIZE) throw new Error(`short transfer: direct ${d.received}, forward ${f.received}`);
        direct.push(mbps(SIZE, d.ms));
        forwarded.push(mbps(SIZE, f.ms));
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const directMBps = median(direct);
      const forwardMBps = median(forwarded);
      const ratio = forwardMBps / directMBps;
      console.log(`forward-throughput: 100 MB x ${ROUNDS} rounds (medians)`);
      console.log(`  direct  (node IP ${node.ip}:${port}):     ${directMBps.toFixed(1)} MB/s   [${direct.map((x) => x.toFixed(0)).join(', ')}]`);
      console.log(`  forward (127.0.0.1:${forward.localPort} → API server → pod): ${forwardMBps.toFixed(1)} MB/s   [${forwarded.map((x) => x.toFixed(0)).join(', ')}]`);
      console.log(`  ratio forward/direct: ${ratio.toFixed(3)} (goal >= 0.5: ${ratio >= 0.5 ? 'met' : 'NOT met'})`);
      return { directMBps, forwardMBps, ratio };
    } finally {
      await forward.stop();
    }
  } finally {
    await deletePod(kc, namespace, name, 0);
  }
}

// Runs on load, like the other benches (`npm run bench` runs each file).
try {
  await run();
} catch (err) {
  console.error(`forward-throughput failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}
