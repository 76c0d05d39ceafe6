// Workspace trust in code-server (security.workspace.trust.enabled: true). The workspace is hostile: its
// .vscode/settings.json points etcdProfiler.kubeconfig at a kubeconfig whose exec auth plugin would create a marker
// file, and turns on insecureSkipTLSVerify. Untrusted: the marker never appears, a real profile opens in the viewer,
// the Pods view and a cluster command explain Restricted Mode. Trusted: the workspace values are still ignored
// (machine scope): the Pods view lists the sandbox from the user's $KUBECONFIG, and the marker never appears.
// Keeps test-results/e2e-trust-{restricted,restricted-command,trusted}.png.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, sandboxInfo, startSession, waitFor, type Session } from './harness.ts';

/** The text of the extension's log channel, as code-server writes it under the session's user-data folder. */
function extensionLog(): string {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 8) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (/etcd Profiler\.log$/.test(e.name)) found.push(p);
    }
  };
  for (const d of readdirSync(tmpdir()).filter((n) => n.startsWith('etcd-profiler-e2e-workspace-trust-'))) {
    const logs = join(tmpdir(), d, 'user-data', 'logs');
    if (existsSync(logs)) walk(logs, 0);
  }
  found.sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
  return found.map((f) => readFileSync(f, 'utf8')).join('\n');
}

async function viewerHeader(s: Session): Promise<string> {
  return waitFor('the profile viewer to render a profile', 90_000, async () => {
    for (const frame of s.page.frames()) {
      const header = frame.locator('.profile-header');
      if ((await header.count()) > 0) {
        const text = await header.first().innerText();
        if (/kind/.test(text)) return text;
      }
    }
    return undefined;
  });
}

test('an untrusted workspace cannot run its kubeconfig or weaken TLS; trusted, its values are still ignored', { timeout: 8 * 60_000 }, async (t) => {
  const info = sandboxInfo();
  const dir = mkdtempSync(join(tmpdir(), 'e2e-trust-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const workspace = join(dir, 'cloned-repo');
  const marker = join(dir, 'exec-plugin-ran');
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'stolen' } });
  writeFileSync(
    join(workspace, 'evil-kubeconfig'),
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: evil',
      'clusters:',
      `- name: evil\n  cluster:\n    server: ${info.server}\n    insecure-skip-tls-verify: true`,
      'users:',
      '- name: evil',
      '  user:',
      '    exec:',
      '      apiVersion: client.authentication.k8s.io/v1',
      '      interactiveMode: Never',
      '      command: /bin/sh',
      `      args: ["-c", ${JSON.stringify(`touch ${marker}; echo '${credential}'`)}]`,
      'contexts:',
      '- name: evil\n  context:\n    cluster: evil\n    user: evil',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(workspace, '.vscode', 'settings.json'),
    JSON.stringify({ 'etcdProfiler.kubeconfig': 'evil-kubeconfig', 'etcdProfiler.insecureSkipTLSVerify': true }, null, 2),
  );
  copyFileSync(join(repoRoot, 'test/unit/testdata/etcd.heap.pb.gz'), join(workspace, 'etcd.heap.pb.gz'));

  const session = await startSession({ name: 'workspace-trust', workspace, workspaceTrust: true });
  try {
    // --- Untrusted (Restricted Mode) ---
    await session.openProfilerView();
    const pane = session.sideBar;
    await pane.getByText('Restricted Mode: etcd Profiler does not contact clusters').first().waitFor({ timeout: 60_000 });
    assert.ok(await pane.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).first().isVisible());

    // A profile still opens in the viewer (Quick Open, as a user would).
    await session.page.locator('.monaco-workbench').first().focus().catch(() => undefined);
    await session.page.keyboard.press('Control+P');
    const input = session.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    await input.fill('etcd.heap.pb.gz');
    await session.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'etcd.heap.pb.gz' }).first().click();
    await session.waitForEditorTab('etcd.heap.pb.gz');
    assert.match(await viewerHeader(session), /kind\s+heap/);
    await session.screenshot('e2e-trust-restricted');

    // A cluster command says why it is off and how to turn it on.
    await session.runCommand('etcd Profiler: Capture…');
    const note = await waitFor('the Restricted Mode message', 30_000, async () => (await session.notifications()).find((n) => /Restricted Mode/.test(n)));
    assert.match(note, /does not contact clusters in Restricted Mode: this folder is not trusted.*trust the folder/);
    assert.ok(await session.page.locator('.notification-toast .monaco-button', { hasText: 'Manage Workspace Trust' }).first().isVisible());
    await session.screenshot('e2e-trust-restricted-command');
    assert.equal(existsSync(marker), false, 'the workspace kubeconfig exec plugin ran while untrusted');

    // --- Trusted ---
    await session.page.keyboard.press('Escape');
    await session.runCommand('Workspaces: Manage Workspace Trust');
    const trust = session.page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust( Folder)?$/ }).first();
    await trust.waitFor({ state: 'visible', timeout: 30_000 });
    await trust.click();
    // The trust editor is a modal editor in this version: close it before using the side bar.
    const modal = session.page.locator('.modal-editor-part');
    for (let i = 0; i < 3 && (await modal.count()) > 0 && (await modal.first().isVisible()); i++) {
      // Escape does not close it: its title bar's close button does.
      await modal.first().locator('.codicon-close, .codicon-close-all').last().click().catch(() => session.page.keyboard.press('Escape'));
      await session.page.waitForTimeout(500);
    }
    await modal.first().waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
    await session.openProfilerView();
    // The Pods view lists the sandbox from the user's $KUBECONFIG: the workspace's kubeconfig setting is ignored.
    await session.waitForTreeItem('etcd-master-0', 90_000);
    const rows = await session.treeRows();
    assert.ok(!rows.some((r) => /\bevil\b/.test(r)), `the workspace's context is listed: ${JSON.stringify(rows)}`);
    // The extension reads the user values and says so; the folder's attempt is named and ignored.
    const log = await waitFor('the security settings in the extension log', 30_000, async () => {
      const text = extensionLog();
      return /workspace trusted/.test(text) ? text : undefined;
    });
    assert.match(log, /Security settings in effect \(user settings only\): kubeconfig not set \(\$KUBECONFIG, else ~\/\.kube\/config\), insecureSkipTLSVerify off/);
    assert.match(log, /settings\.json sets etcdProfiler\.kubeconfig, etcdProfiler\.insecureSkipTLSVerify: ignored/);
    await session.screenshot('e2e-trust-trusted');
    assert.equal(existsSync(marker), false, 'the workspace kubeconfig exec plugin ran once trusted');
  } catch (error) {
    await session.screenshot('e2e-trust-failure').catch(() => undefined);
    throw error;
  } finally {
    await session.close();
  }
  assert.equal(existsSync(marker), false);
});
