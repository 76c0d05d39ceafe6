// The packaged extension in code-server, against the sandbox: right-click an etcd member → Capture → Heap saves
// the file under Captures and opens it; Capture → Goroutine Dump (debug=2) opens an editor tab; Start Port-Forward
// on the operator shows the forward in the status bar. Keeps test-results/e2e-capture-*.png.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { loadKubeconfig } from '../../src/cluster/kubeconfig.ts';
import { etcdKeys, filesUnder as allFiles, findKeyBytes, keyNeedles, readAll } from '../integration/helpers/keys.ts';
import { sandboxDir, sandboxInfo, startSession } from './harness.ts';
import { viewerFrame } from './viewerSteps.ts';

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

test('capture from the pods view: heap and goroutine dump of etcd-master-0, forward to the operator', { timeout: 8 * 60_000 }, async () => {
  const info = sandboxInfo();
  const operator = info.pods.find((p) => p.namespace === 'openshift-etcd-operator')!.name;
  const session = await startSession({ name: 'capture' });
  try {
    await session.openProfilerView();
    await session.setSideBarWidth(520);
    await session.expandAll();
    const member = await session.waitForTreeItem('etcd-master-0');
    const captures = join(session.workspace, '.profiles', 'sandbox', 'openshift-etcd', 'etcd-master-0');

    await session.contextMenu(member, 'Capture', 'Heap');
    await session.waitForEditorTab(/^heap · etcd-master-0 · \d\d:\d\d/, 90_000).catch(async (err: unknown) => {
      await session.screenshot('e2e-capture-failed');
      throw new Error(`${String(err)}; notifications: ${JSON.stringify(await session.notifications())}; files: ${filesUnder(session.workspace).join(', ')}`);
    });
    const heap = filesUnder(captures).filter((f) => /\/heap-[^/]+\.pb\.gz$/.test(f));
    assert.equal(heap.length, 1, `one heap file under ${captures}: ${filesUnder(session.workspace).join(', ')}`);
    await session.waitForTreeItem(/heap-.*\.pb\.gz/);
    // The viewer shows the heap profile (its header names kind and pod, the flame graph is drawn).
    const viewer = await viewerFrame(session);
    await viewer.locator('.toolbar:not(.pending)').waitFor({ timeout: 60_000 });
    const header = await viewer.locator('.profile-header').innerText();
    assert.match(header, /kind\s+heap/);
    assert.match(header, /pod\s+etcd-master-0/);
    await session.page.waitForTimeout(300);
    await session.screenshot('e2e-capture-heap');

    await session.contextMenu(await session.waitForTreeItem('etcd-master-0'), 'Capture', 'Goroutine Dump (debug=2)');
    await session.waitForEditorTab(/^goroutines debug=2 · /, 90_000);
    assert.match(await session.activeEditorText(), /^goroutine \d+ \[/);
    await session.screenshot('e2e-capture-goroutine-debug2');

    await session.contextMenu(await session.waitForTreeItem(operator), 'Start Port-Forward');
    const status = session.page.locator('.statusbar-item', { hasText: /1 forward/ }).first();
    await status.waitFor({ state: 'visible', timeout: 60_000 });
    await session.screenshot('e2e-capture-forward');

    // A forward on a port the pod declares: the picker lists etcd's declared ports with their names.
    await session.contextMenu(await session.waitForTreeItem('etcd-master-1'), 'Start Port-Forward on Port…');
    await session.pickQuickItem(/2380.*etcd-peer/);
    await session.page.locator('.statusbar-item', { hasText: /2 forwards/ }).first().waitFor({ state: 'visible', timeout: 60_000 });
    // The pod's row shows its forward.
    await session.waitForTreeItem(/etcd-master-1.*⇄ :\d+/, 30_000);
    await session.screenshot('e2e-capture-forward-on-port');

    // Issue 3, item 4: after the mTLS captures, nothing the extension wrote holds private key bytes: the
    // output channel's log file, user data and global storage (user-data/), the workspace and captures.
    await session.page.waitForTimeout(2000); // let the log output channel flush
    const base = dirname(session.workspace);
    // The installed extension's own code is not something it wrote (its download guard names the PEM header).
    const installed = join(base, 'extensions');
    const files = [...allFiles(base).filter((f) => !f.startsWith(`${installed}/`)), session.logFile];
    const hay = readAll(files);
    const outputLog = hay.find(([, data]) => data.includes('Client certificate from secret openshift-etcd/etcd-all-certs'));
    assert.ok(outputLog, `the output channel's log is among the ${files.length} scanned files`);
    const admin = loadKubeconfig(join(sandboxDir, 'kubeconfig'));
    const keys = await etcdKeys(admin.forContext(admin.currentContext));
    assert.deepEqual(findKeyBytes(hay, keys.flatMap(keyNeedles)), []);
    console.log(`key scan: ${files.length} files under ${base} and the code-server log, output channel log ${outputLog[0]}, ${keys.length} keys: clean`);
  } finally {
    await session.close();
  }
});
