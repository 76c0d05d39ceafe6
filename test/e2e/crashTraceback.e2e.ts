// The packaged extension in code-server: a scratch operator stand-in (GOTRACEBACK=all) panics on POST /crash and
// its container restarts; the Pods view's row shows the restart and the last termination (↻ 1, Error exit 2);
// Open Crash Traceback on the row opens a `crash-etcd-operator-….goroutines.txt` tab whose text starts with the
// pod and its termination and holds the panic message, and the Goroutines view shows the panic message on top and
// the goroutines of the traceback grouped. Keeps test-results/e2e-crash-traceback.png.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { ForwardRegistry } from '../../src/cluster/forwardRegistry.ts';
import { adminConfig, createScratchOperator, deletePod, sandboxInfo, waitForPod } from '../integration/helpers/sandbox.ts';
import { repoRoot, startSession, waitFor } from './harness.ts';

const NS = 'openshift-etcd-operator';
const MESSAGE = 'panic: etcd-operator stand-in: crash requested (POST /crash?kind=panic)';

test('a crashed pod: its row shows the restart, Open Crash Traceback opens the traceback grouped', { timeout: 8 * 60_000 }, async () => {
  const kc = adminConfig();
  const info = sandboxInfo();
  const name = await createScratchOperator(kc, info, 'crash-e2e', info.nodes[2].name);
  const registry = new ForwardRegistry();
  let session;
  try {
    const fwd = await registry.start(kc, { namespace: NS, pod: name, remotePort: 6060 }, 0);
    const res = await fetch(`http://127.0.0.1:${fwd.localPort}/crash?kind=panic`, { method: 'POST' });
    assert.equal(res.status, 202);
    await registry.stopAll();
    await waitForPod(kc, NS, name, (p: V1Pod) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && !!p.status?.containerStatuses?.[0]?.state?.running, 90_000);

    session = await startSession({ name: 'crash-traceback', workspace: repoRoot, viewport: { width: 1500, height: 1000 } });
    await session.openProfilerView();
    await session.setSideBarWidth(620);
    const s = session;
    const rowText = await waitFor('the pod row with its restart', 60_000, async () => {
      await s.expandAll();
      return (await s.treeRows()).find((r) => r.includes(name) && /↻ 1, Error exit 2 \d+[smh] ago/.test(r));
    });
    // The row stays short (status and restart); the node is in the tooltip.
    assert.match(rowText, new RegExp(`^${name}\\s*↻ 1, Error exit 2 \\d+[smh] ago$`));

    await session.contextMenu(await session.waitForTreeItem(name), 'Open Crash Traceback');
    const tab = await session.waitForEditorTab(/^crash-etcd-operator-.*\.goroutines\.txt/, 60_000);
    assert.match((await tab.innerText()).replace(/\s+/g, ''), /^crash-etcd-operator-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.goroutines\.txt/);
    const text = await session.activeEditorText();
    assert.match(text, new RegExp(`^# Crash traceback of ${NS}/${name}, container etcd-operator, from the previous instance's log`, 'm'));
    assert.match(text, /^# Last termination: Error, exit code 2, at \S+Z; restarts: 1$/m);
    assert.ok(text.includes(MESSAGE), text.slice(0, 500));

    // The Goroutines view: the panic message first, then the summary and the groups.
    for (const title of ['Captures']) {
      const header = session.sideBar.locator(`.pane-header[aria-label^="${title}"]`).first();
      if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
    }
    const gpane = session.sideBar.locator('.pane', { has: session.page.locator('.pane-header[aria-label^="Goroutines"]') }).first();
    await gpane.locator('.monaco-list-row', { hasText: /goroutines in \d+ groups/ }).first().waitFor({ timeout: 60_000 });
    const rows = (await gpane.locator('.monaco-list-row').allInnerTexts()).map((r) => r.replace(/\s+/g, ' ').trim());
    assert.ok(rows[0].startsWith(MESSAGE), `first row: ${rows[0]}`);
    const summary = /(\d+) goroutines in (\d+) groups/.exec(rows[1]);
    assert.ok(summary, rows[1]);
    assert.ok(Number(summary[1]) > 20, 'GOTRACEBACK=all: every goroutine');
    assert.ok(Number(summary[2]) < Number(summary[1]), 'identical goroutines grouped');
    assert.ok(rows.some((r) => /^1 × running/.test(r)), `the crashing goroutine's group: ${JSON.stringify(rows)}`);
    const toast = (await session.notifications()).join('\n');
    assert.match(toast, new RegExp(`${name} \\(etcd-operator\\) crashed: ${MESSAGE.replace(/[()?]/g, '\\$&')} — ${summary[1]} goroutines\\.`));
    await session.page.waitForTimeout(500);
    await session.screenshot('e2e-crash-traceback');
  } catch (error) {
    await session?.screenshot('e2e-crash-traceback-failure').catch(() => undefined);
    throw error;
  } finally {
    await registry.stopAll();
    await session?.close();
    await deletePod(kc, NS, name, 0);
  }
});
