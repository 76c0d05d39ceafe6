// The packaged extension in code-server: a forward to a pod started from the pods view (Start Port-Forward on
// Port…, the port the pod declares); the pod's container restarts; within the extension's 10 s check a warning
// says so and offers Reconnect; Reconnect forwards the same local port to the new process.
// Keeps test-results/e2e-forward-restarted.png.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { adminConfig, createScriptPod, deletePod, sandboxInfo, waitForPod } from '../integration/helpers/sandbox.ts';
import { startSession, waitFor } from './harness.ts';

const NS = 'openshift-etcd-operator';

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

test('a forward whose pod restarts says so and reconnects from the notification', { timeout: 5 * 60_000 }, async () => {
  const kc = adminConfig();
  const name = `forward-restart-e2e-${Math.random().toString(36).slice(2, 7)}`;
  const port = 33000 + Math.floor(Math.random() * 1000);
  // Answers its pid; exits on /exit so the node agent restarts it.
  const server = `require('node:http').createServer((req, res) => { res.end(String(process.pid)); if (req.url === '/exit') setTimeout(() => process.exit(3), 50); }).listen(${port}, '127.0.0.1');`;
  await createScriptPod(kc, { namespace: NS, name, node: sandboxInfo().nodes[2].name, script: server, ports: { http: port }, readinessPort: port });
  const session = await startSession({ name: 'forward-restart' });
  try {
    await waitForPod(kc, NS, name, (p) => p.status?.containerStatuses?.[0]?.ready === true);
    await session.openProfilerView();
    await session.setSideBarWidth(520);
    await session.expandAll();
    await session.contextMenu(await session.waitForTreeItem(name), 'Start Port-Forward on Port…');
    await session.pickQuickItem(new RegExp(`${port}.*http`));
    await session.page.locator('.statusbar-item', { hasText: /1 forward/ }).first().waitFor({ state: 'visible', timeout: 60_000 });
    // The same local port as the pod's when free, which it is here.
    const first = await waitFor('the first answer through the forward', 30_000, () => get(port, '/'));
    await get(port, '/exit').catch(() => undefined);

    const toast = session.page.locator('.notification-toast', { hasText: /restarted/ }).first();
    await toast.waitFor({ state: 'visible', timeout: 60_000 });
    const text = (await toast.innerText()).replace(/\s+/g, ' ');
    assert.match(text, new RegExp(`Port-forward to ${name}: a container of ${NS}/${name} restarted — server \\(1\\)`));
    await session.screenshot('e2e-forward-restarted');
    // The status bar marks the stale forward.
    assert.match((await session.page.locator('.statusbar-item', { hasText: /1 forward/ }).first().innerText()).replace(/\s+/g, ' '), /1 forward.*1/);

    await toast.locator('.monaco-button', { hasText: 'Reconnect' }).click();
    const second = await waitFor('an answer from the new process', 60_000, async () => {
      const pid = await get(port, '/');
      return pid !== first ? pid : undefined;
    });
    assert.match(second, /^\d+$/);
    assert.notEqual(second, first);
  } finally {
    await session.close();
    await deletePod(kc, NS, name, 0);
  }
});
