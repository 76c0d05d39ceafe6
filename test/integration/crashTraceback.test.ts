// Open Crash Traceback against the sandbox: a scratch operator stand-in (GOTRACEBACK=all, like the sandbox's) parks
// 7 goroutines, then crashes on POST /crash — a nil dereference (`panic:` with `[signal SIGSEGV …]`) or a runtime
// `fatal error` — and the node agent restarts its container. The pod status then shows the restart and the last
// termination; captureCrashTraceback (the command's code) reads the previous container's log through the API, and
// grouping the saved file in the extension's worker gives the traceback's goroutine count, its message, the 7
// parked goroutines as one group and the crashing goroutine. A container that exits without a traceback says so.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { captureCrashTraceback } from '../../src/capture/crashTraceback.ts';
import { CaptureError } from '../../src/capture/validate.ts';
import { ForwardRegistry } from '../../src/cluster/forwardRegistry.ts';
import { describePod } from '../../src/cluster/pods.ts';
import { GoroutineGrouper } from '../../src/profile/goroutineWorkerClient.ts';
import { parseGoroutineText } from '../../src/profile/goroutines.ts';
import { SANDBOX_DIR, adminConfig, createScratchOperator, createScriptPod, deletePod, sandboxInfo, waitForPod, waitForProfilingLog } from './helpers/sandbox.ts';

const NS = 'openshift-etcd-operator';
const PARK = 7;
const kc = adminConfig();
const core = kc.makeApiClient(CoreV1Api);
let folder: string;
let grouper: GoroutineGrouper;
const pods: string[] = [];

before(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'ep-crash-'));
  grouper = new GoroutineGrouper(new URL('../../src/profile/goroutineWorker.ts', import.meta.url));
});

after(async () => {
  grouper?.dispose();
  for (const p of pods) await deletePod(kc, NS, p, 0);
  rmSync(folder, { recursive: true, force: true });
});

const restarted = (p: V1Pod): boolean => {
  const s = p.status?.containerStatuses?.[0];
  return (s?.restartCount ?? 0) >= 1 && s?.lastState?.terminated !== undefined && s.state?.running !== undefined;
};

/** Parks PARK goroutines, then has the operator crash with `kind`; resolves once its container runs again. */
async function crash(kind: 'nil' | 'fatal'): Promise<{ name: string; pod: V1Pod }> {
  const info = sandboxInfo();
  const name = await createScratchOperator(kc, info, `crash-${kind}`, info.nodes[1].name);
  pods.push(name);
  const spec = await core.readNamespacedPod({ name, namespace: NS });
  assert.ok(spec.spec?.containers[0].env?.some((e) => e.name === 'GOTRACEBACK' && e.value === 'all'), 'the operator runs with GOTRACEBACK=all');
  const registry = new ForwardRegistry();
  try {
    const fwd = await registry.start(kc, { namespace: NS, pod: name, remotePort: 6060 }, 0);
    const park = await fetch(`http://127.0.0.1:${fwd.localPort}/park?n=${PARK}&state=select`, { method: 'POST' });
    assert.equal(park.status, 200, await park.text());
    const res = await fetch(`http://127.0.0.1:${fwd.localPort}/crash?kind=${kind}`, { method: 'POST' });
    assert.equal(res.status, 202);
  } finally {
    await registry.stopAll();
  }
  const pod = await waitForPod(kc, NS, name, restarted, 90_000);
  await waitForProfilingLog(kc, NS, name);
  return { name, pod };
}

for (const [kind, message] of [
  ['nil', 'panic: runtime error: invalid memory address or nil pointer dereference'],
  ['fatal', 'fatal error: sync: unlock of unlocked mutex'],
] as const) {
  test(`a ${kind} crash: the restarted pod's previous log opens as a grouped traceback`, { timeout: 180_000 }, async () => {
    const { name, pod } = await crash(kind);
    // What the pod row shows: the restart and the last termination from the pod status.
    const row = describePod(pod, kc.getCurrentContext(), 'operator');
    assert.equal(row.restarts, 1);
    assert.equal(row.lastTermination?.reason, 'Error');
    assert.equal(row.lastTermination?.exitCode, 2, 'a Go crash exits 2');
    assert.equal(row.lastTermination?.previous, true);
    assert.ok(Date.now() - Date.parse(row.lastTermination?.finishedAt ?? '') < 120_000, `finishedAt ${row.lastTermination?.finishedAt}`);

    const result = await captureCrashTraceback({ kubeConfig: kc, namespace: NS, pod: name, folder });
    assert.equal(result.log, 'previous');
    assert.equal(result.container, 'etcd-operator');
    assert.equal(result.tracebacks, 1);
    assert.equal(result.traceback.message, message);
    assert.equal(path.dirname(result.file), path.join(folder, kc.getCurrentContext().replace(/[/\\:]/g, '_'), NS, name));
    assert.match(path.basename(result.file), /^crash-etcd-operator-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.goroutines\.txt$/);

    // The reference: the previous container's log as the API gives it (kubectl logs --previous), headers counted.
    const previous = String(await core.readNamespacedPodLog({ name, namespace: NS, previous: true }));
    const headers = [...previous.matchAll(/^goroutine (\d+) [^\n]*\[[^\n]*\]:$/gm)].map((m) => Number(m[1]));
    assert.ok(headers.length >= PARK + 20, `GOTRACEBACK=all: ${headers.length} goroutines in the log`);
    assert.equal(result.traceback.goroutines, headers.length);
    const text = readFileSync(result.file, 'utf8');
    assert.match(text.split('\n')[0], new RegExp(`^# Crash traceback of ${NS}/${name}, container etcd-operator, from the previous instance's log`));
    assert.match(text, /^# Last termination: Error, exit code 2, at \S+Z; restarts: 1$/m);

    // Grouped as the Goroutines view groups it (the worker), the panic message is the crash header.
    const grouped = await grouper.group(text, path.basename(result.file));
    assert.ok(grouped.inWorker);
    const dump = grouped.dump;
    assert.equal(dump.goroutines, headers.length);
    assert.equal(dump.crash?.message, message);
    if (kind === 'nil') assert.match(dump.crash.lines.join('\n'), /^\[signal SIGSEGV: segmentation violation/m);
    assert.deepEqual(dump.groups.flatMap((g) => g.ids).sort((a, b) => a - b), [...headers].sort((a, b) => a - b));
    const parked = dump.groups.filter((g) => g.frames.some((f) => f.function === 'main.parkedOnRequest'));
    assert.deepEqual(parked.map((g) => [g.count, g.state]), [[PARK, 'select']], 'the parked goroutines are one group');
    const crashed = dump.groups.filter((g) => g.state === 'running' && g.frames.some((f) => /sandbox\/operator\/crash\.go$/.test(f.file)));
    assert.equal(crashed.length, 1, 'the crashing goroutine, with frames in crash.go');
    // Frames carry file and line for source links, and the index finds each group's first goroutine in the file.
    assert.ok(crashed[0].frames.every((f) => f.file !== '' && f.line > 0));
    const lines = text.split('\n');
    for (const line of grouped.index.groupLines) assert.match(lines[line], /^goroutine \d+ /);

    // The same traceback as a support engineer pastes it: the real `kubectl logs --prefix --timestamps
    // --previous` output (every line `[pod/<name>/<container>] <RFC 3339 time> …`) reads as the unwrapped log.
    const kubectl = await new Promise<string>((resolve, reject) =>
      execFile('kubectl', ['logs', '--prefix', '--timestamps', '--previous', '-n', NS, `pod/${name}`], { env: { ...process.env, KUBECONFIG: path.join(SANDBOX_DIR, 'kubeconfig') }, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
        err ? reject(new Error(`kubectl logs: ${stderr || String(err)}`)) : resolve(stdout),
      ),
    );
    assert.match(kubectl.split('\n')[0], new RegExp(`^\\[pod/${name}/etcd-operator\\] \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d+Z `));
    const wrapped = parseGoroutineText(kubectl);
    assert.ok(wrapped, 'a dump is found in the kubectl --prefix --timestamps output');
    assert.equal(wrapped.unwrapped, true);
    assert.equal(wrapped.goroutines, headers.length);
    assert.deepEqual(
      wrapped.groups.map((g) => [g.count, g.state, g.ids]),
      dump.groups.map((g) => [g.count, g.state, g.ids]),
    );
  });
}

test('a container that exits without a traceback: the message names the termination', { timeout: 120_000 }, async () => {
  const name = `crash-none-${Math.random().toString(36).slice(2, 7)}`;
  pods.push(name);
  await createScriptPod(kc, { namespace: NS, name, node: sandboxInfo().nodes[2].name, script: "console.log('starting'); setTimeout(() => process.exit(3), 300);" });
  const pod = await waitForPod(kc, NS, name, (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && p.status?.containerStatuses?.[0]?.lastState?.terminated !== undefined, 90_000);
  const at = new Date(pod.status!.containerStatuses![0].lastState!.terminated!.finishedAt!).toISOString();
  await assert.rejects(captureCrashTraceback({ kubeConfig: kc, namespace: NS, pod: name, folder }), (err: unknown) => {
    assert.ok(err instanceof CaptureError && err.code === 'no-traceback', String(err));
    // The container keeps exiting: the message names the last termination at the time it was read.
    const m = /^No crash traceback in the previous and current logs of (\S+) \(container server\): Error: exit 3 at (\S+), no traceback\.$/.exec(err.message);
    assert.ok(m, err.message);
    assert.equal(m[1], `${NS}/${name}`);
    assert.ok(Date.parse(m[2]) >= Date.parse(at), `${m[2]} is the termination seen, or a later one, than ${at}`);
    return true;
  });
});
