// The pods view's empty states in code-server, one session through three kubeconfigs written in turn to the
// path the setting names: missing (welcome: add a kubeconfig), unreachable server (the error and Retry), then the
// sandbox's (the pods appear without a manual refresh: the view watches its kubeconfig file).
// Keeps test-results/e2e-welcome-{no-kubeconfig,unreachable,recovered}.png.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandboxDir, sandboxInfo, startSession } from './harness.ts';

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

test('the pods view explains a missing kubeconfig and an unreachable cluster, then recovers', { timeout: 5 * 60_000 }, async (t) => {
  sandboxInfo();
  const dir = mkdtempSync(join(tmpdir(), 'e2e-welcome-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, 'config');
  const session = await startSession({
    name: 'pods-welcome',
    kubeconfig: join(dir, 'unused'),
    settings: { 'etcdProfiler.kubeconfig': kubeconfig },
  });
  try {
    await session.openProfilerView();
    const pane = session.sideBar;
    // Welcome-view buttons are `.monaco-button` anchors.
    const button = (label: string) => pane.locator('.monaco-button', { hasText: label }).first();

    await pane.getByText('No kubeconfig found. etcd Profiler reads').first().waitFor({ timeout: 60_000 });
    await session.screenshot('e2e-welcome-no-kubeconfig');
    assert.ok(await button('Add Kubeconfig File').isVisible());

    const port = await closedPort();
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: offline',
        'clusters:',
        `- name: offline\n  cluster:\n    server: https://127.0.0.1:${port}`,
        'users:',
        '- name: u\n  user:\n    token: t',
        'contexts:',
        '- name: offline\n  context:\n    cluster: offline\n    user: u',
        '',
      ].join('\n'),
    );
    await pane.getByText('The API server of the selected context cannot be reached').first().waitFor({ timeout: 60_000 });
    // The cause, next to the view's title.
    await pane.getByText(`offline: connect ECONNREFUSED 127.0.0.1:${port}`).first().waitFor({ timeout: 10_000 });
    await session.screenshot('e2e-welcome-unreachable');
    assert.ok(await button('Retry').isVisible());
    assert.ok(await button('Switch Context').isVisible());

    copyFileSync(join(sandboxDir, 'kubeconfig'), kubeconfig);
    await session.waitForTreeItem('etcd-master-0', 60_000);
    await session.screenshot('e2e-welcome-recovered');
  } catch (error) {
    // The output channel says what the extension saw.
    await session.runCommand('etcd Profiler: Show Output').catch(() => undefined);
    await session.page.waitForTimeout(1000);
    await session.screenshot('e2e-welcome-failure');
    throw error;
  } finally {
    await session.close();
  }
});
