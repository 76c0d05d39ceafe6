// The harness's own helpers against code-server's built-in features, without a cluster: the palette runs a
// command, a quick pick is answered, an editor tab opens with its text, and a webview's document is reachable.
// When this fails, the other end-to-end tests' failures are the harness's, not the extension's.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startSession } from './harness.ts';

test('harness helpers drive code-server: palette, quick pick, editor, webview', { timeout: 3 * 60_000 }, async () => {
  const workspace = mkdtempSync(join(tmpdir(), 'etcd-profiler-e2e-harness-ws-'));
  writeFileSync(join(workspace, 'note.md'), '# Harness check\n\nPlain *markdown*.\n');
  const session = await startSession({ name: 'harness', workspace, kubeconfig: join(workspace, 'no-kubeconfig') });
  try {
    await session.runCommand('Go to File');
    await session.page.keyboard.type('note.md');
    await session.pickQuickItem('note.md');
    await session.waitForEditorTab('note.md');
    assert.match(await session.activeEditorText(), /# Harness check/);

    await session.runCommand('Markdown: Open Preview');
    await session.waitForEditorTab(/Preview note\.md/);
    const heading = session.webview().locator('h1');
    await heading.waitFor({ timeout: 30_000 });
    assert.equal((await heading.innerText()).trim(), 'Harness check');
    assert.deepEqual(await session.editorTabs(), ['note.md', 'Preview note.md']);

    await session.openProfilerView();
    assert.ok(await session.sideBar.locator('.pane-header', { hasText: 'Pods' }).first().isVisible(), 'the Pods view is in the etcd Profiler container');
  } finally {
    await session.close();
    rmSync(workspace, { recursive: true, force: true });
  }
});
