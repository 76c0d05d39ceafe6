// Throughput of a 100 MB transfer through our port-forward (local listener → API server → node agent →
// pod) as a ratio of the same transfer from the same server reached directly, all measured in this run,
// rounds interleaved. The server is a throwaway hostNetwork pod on master-0 running a small Node HTTP server
// (the pod sees the host's files, so this very Node binary runs it); "direct" reaches it at the node's IP on
// the sandbox bridge, the forward at 127.0.0.1 inside the node's network namespace.
//
// Two clients read the bytes, each for both paths: a Node HTTP client in another process (what a browser,
// `go tool pprof` or curl pointed at a forward is), and the same client inside this process (sharing the
// event loop with the forward, as the extension's own captures do). `kubectl port-forward`, the runbook's
// way, is measured with the first client as a reference. For the forward, the CPU time each process of the
// chain spends per MB is printed: on a small machine every hop competes for the same cores.
// Needs a running sandbox.
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { CoreV1Api } from '@kubernetes/client-node';
import { startPortForward } from '../../src/cluster/portForward.ts';
import { goal } from './goals.ts';
import { adminConfig, createScriptPod, deletePod, sandboxInfo, SANDBOX_DIR, waitForPod } from '../integration/helpers/sandbox.ts';

const SIZE = 100 * 1024 * 1024;
const ROUNDS = 5;
const GOAL = 0.5;

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
}).listen(Number(process.env.PORT), '0.0.0.0', () => console.log('bench server pid ' + process.pid));
`;

// The client as its own process: prints bytes, milliseconds and its own CPU milliseconds.
const CLIENT = `
const http = require('node:http');
const [host, port, bytes] = process.argv.slice(1);
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
http.get({ host, port: Number(port), path: '/?bytes=' + bytes, agent: false }, (res) => {
  let n = 0;
  res.on('data', (c) => (n += c.length));
  res.on('end', () => {
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ received: n, ms: Number(process.hrtime.bigint() - t0) / 1e6, cpuMs: (c.user + c.system) / 1000 }));
  });
}).on('error', (err) => { console.error(err.message); process.exit(1); });
`;

interface Transfer {
  received: number;
  ms: number;
  cpuMs?: number;
}

function downloadHere(host: string, port: number, bytes: number): Promise<Transfer> {
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

function downloadInChild(host: string, port: number, bytes: number): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', CLIENT, host, String(port), String(bytes)], (err, stdout, stderr) => {
      if (err) reject(new Error(`client failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as Transfer);
    });
  });
}

/** CPU milliseconds used so far by a process (user + system), from /proc. */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** CPU milliseconds the whole machine has been busy (all cores), from /proc/stat. */
function machineBusyMs(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / 100;
}

/** The sandbox's own kube-apiserver and the node agent of `node`, found by their command lines. */
function chainPids(node: string): { apiserver?: number; nodeagent?: number } {
  const out: { apiserver?: number; nodeagent?: number } = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes(SANDBOX_DIR)) continue;
    const [exe, ...args] = cmd.split('\0');
    if (/kube-apiserver/.test(exe)) out.apiserver = Number(entry);
    if (/nodeagent/.test(exe) && args.includes(`--node=${node}`)) out.nodeagent = Number(entry);
  }
  return out;
}

function mbps(t: Transfer): number {
  return t.received / (1024 * 1024) / (t.ms / 1000);
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/** `kubectl port-forward` to the pod; resolves with its local port once it forwards. */
async function kubectlForward(namespace: string, pod: string, port: number): Promise<{ port: number; stop: () => void } | undefined> {
  const child = spawn('kubectl', ['--kubeconfig', `${SANDBOX_DIR}/kubeconfig`, '-n', namespace, 'port-forward', `pod/${pod}`, `:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      resolve(undefined);
    }, 20_000);
    child.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), stop: () => child.kill() });
      }
    });
  });
}

async function run(): Promise<void> {
  const info = sandboxInfo();
  const kc = adminConfig();
  const node = info.nodes[0];
  const namespace = 'openshift-etcd-operator';
  const name = `bench-throughput-${Math.random().toString(36).slice(2, 7)}`;
  const port = 30000 + Math.floor(Math.random() * 9000);
  const core = kc.makeApiClient(CoreV1Api);
  await createScriptPod(kc, { namespace, name, node: node.name, hostNetwork: true, script: SERVER, env: { PORT: String(port) }, labels: { app: 'bench' } });
  let kubectl: { port: number; stop: () => void } | undefined;
  try {
    await waitForPod(kc, namespace, name, (p) => p.status?.phase === 'Running');
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await downloadHere(node.ip, port, 1024);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const log = await core.readNamespacedPodLog({ name, namespace });
    const serverPid = Number(/bench server pid (\d+)/.exec(log)?.[1]);
    const chain = chainPids(node.name);

    const forward = await startPortForward({ kubeConfig: kc, namespace, pod: name, remotePort: port, localPort: 0 });
    kubectl = await kubectlForward(namespace, name, port);
    try {
      await downloadHere('127.0.0.1', forward.localPort, 1024 * 1024); // warm up the path
      if (kubectl) await downloadInChild('127.0.0.1', kubectl.port, 1024 * 1024);
      const results: Record<string, number[]> = { directChild: [], forwardChild: [], kubectlChild: [], directHere: [], forwardHere: [] };
      const cpu = { forwarder: 0, apiserver: 0, nodeagent: 0, server: 0, client: 0, machine: 0, seconds: 0, mb: 0 };
      const check = (t: Transfer, what: string): Transfer => {
        if (t.received !== SIZE) throw new Error(`short transfer (${what}): ${t.received} of ${SIZE} bytes`);
        return t;
      };
      for (let i = 0; i < ROUNDS; i++) {
        results.directChild.push(mbps(check(await downloadInChild(node.ip, port, SIZE), 'direct')));
        const before = {
          forwarder: process.cpuUsage(),
          apiserver: chain.apiserver ? cpuMsOf(chain.apiserver) : 0,
          nodeagent: chain.nodeagent ? cpuMsOf(chain.nodeagent) : 0,
          server: serverPid ? cpuMsOf(serverPid) : 0,
          machine: machineBusyMs(),
        };
        const f = check(await downloadInChild('127.0.0.1', forward.localPort, SIZE), 'forward');
        const used = process.cpuUsage(before.forwarder);
        cpu.forwarder += (used.user + used.system) / 1000;
        if (chain.apiserver) cpu.apiserver += cpuMsOf(chain.apiserver) - before.apiserver;
        if (chain.nodeagent) cpu.nodeagent += cpuMsOf(chain.nodeagent) - before.nodeagent;
        if (serverPid) cpu.server += cpuMsOf(serverPid) - before.server;
        cpu.client += f.cpuMs ?? 0;
        cpu.machine += machineBusyMs() - before.machine;
        cpu.seconds += f.ms / 1000;
        cpu.mb += SIZE / (1024 * 1024);
        results.forwardChild.push(mbps(f));
        if (kubectl) results.kubectlChild.push(mbps(check(await downloadInChild('127.0.0.1', kubectl.port, SIZE), 'kubectl')));
        results.directHere.push(mbps(check(await downloadHere(node.ip, port, SIZE), 'direct, in process')));
        results.forwardHere.push(mbps(check(await downloadHere('127.0.0.1', forward.localPort, SIZE), 'forward, in process')));
      }
      const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.length ? median(v) : 0]));
      const list = (xs: number[]) => `[${xs.map((x) => x.toFixed(0)).join(', ')}]`;
      const ratio = m.forwardChild / m.directChild;
      const ratioHere = m.forwardHere / m.directHere;
      console.log(`forward-throughput: 100 MB x ${ROUNDS} rounds, interleaved (medians, MB/s)`);
      console.log(`  client in its own process:`);
      console.log(`    direct  (node IP ${node.ip}:${port}):          ${m.directChild.toFixed(0).padStart(5)}   ${list(results.directChild)}`);
      console.log(`    forward (127.0.0.1:${forward.localPort} → API server → pod): ${m.forwardChild.toFixed(0).padStart(5)}   ${list(results.forwardChild)}`);
      if (kubectl) console.log(`    kubectl port-forward (reference):      ${m.kubectlChild.toFixed(0).padStart(5)}   ${list(results.kubectlChild)}`);
      else console.log('    kubectl port-forward (reference): skipped (no kubectl on PATH)');
      console.log(`  client in this process (sharing the event loop with the forward, as captures do):`);
      console.log(`    direct:  ${m.directHere.toFixed(0).padStart(5)}   ${list(results.directHere)}`);
      console.log(`    forward: ${m.forwardHere.toFixed(0).padStart(5)}   ${list(results.forwardHere)}`);
      const per = (ms: number) => (ms / cpu.mb).toFixed(2);
      console.log(
        `  CPU ms per MB through the forward: extension ${per(cpu.forwarder)}, kube-apiserver ${per(cpu.apiserver)}, node agent ${per(cpu.nodeagent)}, pod server ${per(cpu.server)}, client ${per(cpu.client)}` +
          ` (total ${per(cpu.forwarder + cpu.apiserver + cpu.nodeagent + cpu.server + cpu.client)} on ${cpus().length} cores)`,
      );
      // What the cores could carry through the chain if the extension's share cost nothing: the ceiling the
      // other hops (and whatever else keeps the machine busy meanwhile) set for the ratio on this machine.
      const chainMs = cpu.forwarder + cpu.apiserver + cpu.nodeagent + cpu.server + cpu.client;
      const backgroundPerSecond = Math.max(0, cpu.machine - chainMs) / cpu.seconds;
      const others = (cpu.apiserver + cpu.nodeagent + cpu.server + cpu.client) / cpu.mb;
      const ceiling = (cpus().length * 1000 - backgroundPerSecond) / others;
      console.log(`  other work meanwhile: ${(backgroundPerSecond / 10).toFixed(0)}% of a core (sandbox etcd, operator, API server upkeep)`);
      console.log(`  ceiling: with the extension's share at zero, the rest of ${cpus().length} cores carries at most ${ceiling.toFixed(0)} MB/s through the other hops = ratio ${(ceiling / m.directChild).toFixed(2)}`);
      console.log(`  ratio forward/direct, client in its own process: ${ratio.toFixed(3)} (goal >= ${GOAL}: ${ratio >= GOAL ? 'met' : 'NOT met'})`);
      console.log(`  ratio forward/direct, client in this process:    ${ratioHere.toFixed(3)}`);
      if (kubectl) console.log(`  ratio kubectl port-forward/direct (reference):   ${(m.kubectlChild / m.directChild).toFixed(3)}; ours/kubectl ${(m.forwardChild / m.kubectlChild).toFixed(2)}`);
      goal(`forward-throughput: forward/direct ratio ${ratio.toFixed(3)} ≥ ${GOAL}`, ratio >= GOAL);
    } finally {
      kubectl?.stop();
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
