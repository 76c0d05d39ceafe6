// The seed runbook by hand, against the running sandbox, with the real kubectl and curl: what a support
// engineer does before this extension exists. Needs `npm run sandbox` (reads .sandbox/info.json).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO, SANDBOX_DIR, etcdPodNames, operatorPodName, sandboxInfo } from './helpers/sandbox.ts';

const info = sandboxInfo();
const adminKubeconfig = path.join(SANDBOX_DIR, 'kubeconfig');
const restrictedKubeconfig = path.join(SANDBOX_DIR, 'kubeconfig-restricted');
const env = { ...process.env, KUBECONFIG: adminKubeconfig };
const certDir = '/etc/kubernetes/static-pod-certs';
const kubernetesVersion = /^KUBERNETES_VERSION=(\S+)$/m.exec(readFileSync(path.join(REPO, 'test/sandbox/versions.env'), 'utf8'))![1];
const operatorPod = operatorPodName(info);
const members = etcdPodNames(info);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; a non-zero exit is a result, not an exception. */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: opts.env ?? env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function kubectl(...args: string[]): Promise<string> {
  const r = await run('kubectl', args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

interface Forward {
  port: number;
  close(): void;
}

/** `kubectl port-forward <pod> :<port>`: resolves with the local port kubectl chose once it forwards. */
function portForward(namespace: string, pod: string, remotePort: number, kubeconfig = adminKubeconfig): Promise<Forward> {
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig, 'port-forward', '-n', namespace, pod, `:${remotePort}`], { env });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`port-forward to ${pod}:${remotePort} not ready in 20 s: ${out}`));
    }, 20_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        assert.equal(Number(m[2]), remotePort);
        resolve({ port: Number(m[1]), close: () => child.kill() });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`port-forward to ${pod}:${remotePort} exited (${code}): ${out}`));
    });
  });
}

describe('runbook by hand: kubectl and curl against the sandbox', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'ep-runbook-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('kubectl version shows the built kube-apiserver', async () => {
    const v = JSON.parse(await kubectl('version', '-o', 'json')) as { serverVersion: { gitVersion: string; major: string } };
    assert.equal(v.serverVersion.gitVersion, kubernetesVersion);
    assert.equal(v.serverVersion.major, '1');
  });

  test('get pods -A -o wide lists the four pods Running and Ready on master-0..2', async () => {
    const rows = (await kubectl('get', 'pods', '-A', '-o', 'wide', '--no-headers'))
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    // NAMESPACE NAME READY STATUS RESTARTS AGE IP NODE ...
    const byName = new Map(rows.map((r) => [`${r[0]}/${r[1]}`, r]));
    assert.equal(info.pods.length, 4);
    for (const pod of info.pods) {
      const row = byName.get(`${pod.namespace}/${pod.name}`);
      assert.ok(row, `${pod.namespace}/${pod.name} not listed:\n${[...byName.keys()].join('\n')}`);
      const [ready, total] = row[2].split('/');
      assert.equal(ready, total, `${pod.name} READY ${row[2]}`);
      assert.equal(row[3], 'Running', `${pod.name} STATUS`);
      // RESTARTS may read "0" or "1 (5m ago)": the node is the column after AGE and IP
      const node = row.find((c) => /^master-\d$/.test(c));
      assert.equal(node, pod.node, `${pod.name} NODE`);
    }
    assert.deepEqual(members, ['etcd-master-0', 'etcd-master-1', 'etcd-master-2']);
    assert.deepEqual(info.pods.filter((p) => p.namespace === 'openshift-etcd').map((p) => p.node).sort(), ['master-0', 'master-1', 'master-2']);
    assert.match(operatorPod, /^etcd-operator-[0-9a-f]{10}-[a-z0-9]{5}$/);
  });

  test('the etcd members carry the labels, containers and pprof switch the runbook relies on', async () => {
    const pod = JSON.parse(await kubectl('get', 'pod', '-n', 'openshift-etcd', 'etcd-master-0', '-o', 'json')) as {
      metadata: { labels: Record<string, string> };
      spec: { hostNetwork: boolean; containers: Array<{ name: string; env?: Array<{ name: string; value: string }> }> };
    };
    assert.equal(pod.metadata.labels.app, 'etcd');
    assert.equal(pod.metadata.labels.etcd, 'true');
    assert.equal(pod.metadata.labels['k8s-app'], 'etcd');
    assert.equal(pod.spec.hostNetwork, true);
    assert.deepEqual(pod.spec.containers.map((c) => c.name), ['etcd', 'etcdctl', 'etcd-metrics', 'etcd-readyz']);
    assert.equal(pod.spec.containers[0].env?.find((e) => e.name === 'ETCD_ENABLE_PPROF')?.value, 'true');
  });

  test('logs of the operator show the profiling line in klog format', async () => {
    const pods = await kubectl('get', 'pods', '-n', 'openshift-etcd-operator', '-l', 'app=etcd-operator', '-o', 'name');
    assert.ok(pods.split('\n').includes(`pod/${operatorPod}`), pods);
    const log = await kubectl('logs', '-n', 'openshift-etcd-operator', operatorPod);
    assert.match(log, /^I\d{4} \d\d:\d\d:\d\d\.\d{6}\s+\d+ profiler\.go:\d+\] Starting profiling endpoint at http:\/\/127\.0\.0\.1:6060\/debug\/pprof\/$/m);
  });

  test('exec ls in etcd-master-0 lists the certificates of every node', async () => {
    const out = await kubectl('exec', 'etcd-master-0', '-c', 'etcd', '-n', 'openshift-etcd', '--', 'ls', `${certDir}/secrets/etcd-all-certs`);
    const expected = info.nodes.flatMap((n) => ['peer', 'serving'].flatMap((k) => [`etcd-${k}-${n.name}.crt`, `etcd-${k}-${n.name}.key`]));
    assert.deepEqual(out.trim().split('\n').sort(), expected.sort());
    // and a path that is not in the pod's mounts does not exist there
    const missing = await run('kubectl', ['exec', 'etcd-master-0', '-c', 'etcd', '-n', 'openshift-etcd', '--', 'ls', `${certDir}/secrets/no-such-dir`]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No such file or directory/);
  });

  test("port-forward to the operator's 6060 serves /debug/pprof/", async () => {
    const fwd = await portForward('openshift-etcd-operator', operatorPod, 6060);
    try {
      const index = await run('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${fwd.port}/debug/pprof/`]);
      assert.equal(index.code, 0, index.stderr);
      assert.match(index.stdout, /<title>\/debug\/pprof\/<\/title>/);
      for (const p of ['goroutine', 'heap', 'mutex', 'block', 'profile']) assert.match(index.stdout, new RegExp(`href='?"?${p}`));
      const dump = await run('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${fwd.port}/debug/pprof/goroutine?debug=1`]);
      assert.match(dump.stdout, /^goroutine profile: total \d+/);
    } finally {
      fwd.close();
    }
  });

  for (const [i, member] of members.entries()) {
    const node = `master-${i}`;
    test(`port-forward to ${member}:2379 serves /debug/pprof/ with ${node}'s serving cert and refuses a client without one`, async () => {
      const dir = mkdtempSync(path.join(tmp, `${node}-`));
      const cert = path.join(dir, `etcd-serving-${node}.crt`);
      const key = path.join(dir, `etcd-serving-${node}.key`);
      const ca = path.join(dir, 'ca-bundle.crt');
      for (const [file, item] of [[cert, `etcd-serving-${node}.crt`], [key, `etcd-serving-${node}.key`]]) {
        const b64 = await kubectl('get', 'secret', 'etcd-all-certs', '-n', 'openshift-etcd', '-o', `jsonpath={.data.${item.replace(/\./g, '\\.')}}`);
        writeFileSync(file, Buffer.from(b64, 'base64'), { mode: 0o600 });
      }
      writeFileSync(ca, await kubectl('get', 'configmap', 'etcd-serving-ca', '-n', 'openshift-etcd', '-o', 'jsonpath={.data.ca-bundle\\.crt}'));
      const fwd = await portForward('openshift-etcd', member, 2379);
      try {
        const url = `https://127.0.0.1:${fwd.port}/debug/pprof/`;
        // as in the runbook: -k, with the node's serving cert as client cert
        const ok = await run('curl', ['-sS', '--max-time', '10', '-k', '--cert', cert, '--key', key, url]);
        assert.equal(ok.code, 0, ok.stderr);
        assert.match(ok.stdout, /<title>\/debug\/pprof\/<\/title>/);
        // the server behind the forward is this node's member: verify it as <node>, a name only its cert has
        const named = await run('curl', ['-sS', '--max-time', '10', '--cacert', ca, '--cert', cert, '--key', key,
          '--resolve', `${node}:${fwd.port}:127.0.0.1`, `https://${node}:${fwd.port}/debug/pprof/`]);
        assert.equal(named.code, 0, `${member} did not present ${node}'s serving cert: ${named.stderr}`);
        const other = `master-${(i + 1) % 3}`;
        const wrongName = await run('curl', ['-sS', '--max-time', '10', '--cacert', ca, '--cert', cert, '--key', key,
          '--resolve', `${other}:${fwd.port}:127.0.0.1`, `https://${other}:${fwd.port}/debug/pprof/`]);
        assert.notEqual(wrongName.code, 0, `${member}'s cert should not be valid for ${other}`);
        // without a client certificate: the member asks for one (etcd --client-cert-auth), then ends the TLS
        // session with "certificate required" (TLS 1.3 sends that alert after the client's Finished; through the
        // forward, the close may reach curl before the alert does: exit 56 with the alert, or 55)
        const noCert = await run('curl', ['-v', '--max-time', '10', '-k', url]);
        assert.equal(noCert.stdout, '', 'a response without a client cert');
        assert.doesNotMatch(noCert.stderr, /^< HTTP\//m, 'an HTTP response without a client cert');
        assert.match(noCert.stderr, /TLS handshake, Request CERT/);
        assert.ok([35, 55, 56].includes(noCert.code), `curl exit ${noCert.code}: ${noCert.stderr.split('\n').filter((l) => l.startsWith('curl:')).join(' ')}`);
        // and the forward itself is fine: the same request with the cert still works
        const again = await run('curl', ['-sS', '--max-time', '10', '-k', '--cert', cert, '--key', key, url]);
        assert.equal(again.code, 0, again.stderr);
      } finally {
        fwd.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test(`exec curl inside ${member} with its cert reaches that member`, async () => {
      const certs = `${certDir}/secrets/etcd-all-certs`;
      const curl = ['exec', '-n', 'openshift-etcd', member, '-c', 'etcd', '--', 'curl', '-sS', '--max-time', '10',
        '--cacert', `${certDir}/configmaps/etcd-serving-ca/ca-bundle.crt`,
        '--cert', `${certs}/etcd-serving-${node}.crt`, '--key', `${certs}/etcd-serving-${node}.key`];
      const index = await kubectl(...curl, 'https://127.0.0.1:2379/debug/pprof/');
      assert.match(index, /<title>\/debug\/pprof\/<\/title>/);
      // the member answering on the pod's 127.0.0.1:2379 is this pod's own
      const list = JSON.parse(await kubectl(...curl, '-X', 'POST', '-d', '{}', 'https://127.0.0.1:2379/v3/cluster/member/list')) as {
        header: { member_id: string };
        members: Array<{ ID: string; name: string }>;
      };
      assert.equal(list.members.length, 3);
      assert.equal(list.members.find((m) => m.ID === list.header.member_id)?.name, node);
    });
  }

  test('auth can-i: the restricted user may not get secrets nor port-forward in openshift-etcd', async () => {
    const canI = async (...args: string[]): Promise<string> =>
      (await run('kubectl', ['--kubeconfig', restrictedKubeconfig, 'auth', 'can-i', ...args])).stdout.trim();
    assert.equal(await canI('get', 'secrets', '-n', 'openshift-etcd'), 'no');
    // `can-i create pods/portforward` would ask about a pod *named* portforward: name the subresource
    assert.equal(await canI('create', 'pods', '--subresource=portforward', '-n', 'openshift-etcd'), 'no');
    // what it may do, so that the "no"s above come from its Role and not from a broken login
    assert.equal(await canI('get', 'pods', '-n', 'openshift-etcd'), 'yes');
    assert.equal(await canI('create', 'pods', '--subresource=exec', '-n', 'openshift-etcd'), 'yes');
    assert.equal(await canI('create', 'pods', '--subresource=portforward', '-n', 'openshift-etcd-operator'), 'yes');

    const secrets = await run('kubectl', ['--kubeconfig', restrictedKubeconfig, 'get', 'secrets', '-n', 'openshift-etcd']);
    assert.notEqual(secrets.code, 0);
    assert.match(secrets.stderr, /Forbidden.*User "restricted-user" cannot list resource "secrets" in API group "" in the namespace "openshift-etcd"/);
    await assert.rejects(portForward('openshift-etcd', 'etcd-master-0', 2379, restrictedKubeconfig),
      /User "restricted-user" cannot create resource "pods\/portforward" in API group "" in the namespace "openshift-etcd"/);
  });

  test('a wrong token gets 401 from the API server', async () => {
    const bad = await run('kubectl', ['--token', 'not-a-sandbox-token', 'get', 'pods', '-n', 'openshift-etcd']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Unauthorized/);
    const status = async (token: string): Promise<string> =>
      (await run('curl', ['-sS', '--max-time', '10', '--cacert', info.caFile, '-H', `Authorization: Bearer ${token}`,
        '-o', '/dev/null', '-w', '%{http_code}', `${info.server}/api/v1/namespaces/openshift-etcd/pods`])).stdout;
    assert.equal(await status('not-a-sandbox-token'), '401');
    assert.equal(await status(info.adminToken), '200');
  });
});
