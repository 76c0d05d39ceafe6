// The packaged extension in code-server, against the sandbox: right-click the context → Collect Profiling Bundle…
// (3 s CPU, default kinds) shows per-pod progress, then the bundle view: the members side by side with the leader
// marked; a member's heap opens from it in the profile viewer; Compare members diffs the leader's heap against a
// follower's. Then Capture from All Members → Heap opens ONE members view (one tab), not one editor per member.
// Keeps test-results/e2e-bundle-*.png and e2e-members-*.png.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startSession, waitFor, type Session } from './harness.ts';

async function answerInput(s: Session, value?: string): Promise<void> {
  const input = s.page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  if (value !== undefined) await input.fill(value);
  await s.page.keyboard.press('Enter');
}

/** Texts of the members table: header cells and the cells of the row labelled `label`. */
async function tableRow(s: Session, label: string): Promise<string[]> {
  return s.webview().locator(`table.members tr[data-label="${label}"] td`).allInnerTexts();
}

test('profiling bundle from the Pods view: progress, bundle view, a member\'s heap, Compare members; Capture from All Members opens one view', { timeout: 10 * 60_000 }, async () => {
  const session = await startSession({ name: 'bundle', viewport: { width: 1600, height: 1000 } });
  try {
    await session.openProfilerView();
    await session.setSideBarWidth(420);
    await session.expandAll();
    await session.waitForTreeItem('etcd-master-0');
    const contextRow = await session.waitForTreeItem(/^sandbox/);

    await session.contextMenu(contextRow, 'Collect Profiling Bundle…');
    await answerInput(session, '3'); // CPU seconds
    // Kinds: the defaults (block and mutex marked "where the process turned it on").
    await session.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'where the process turned it on' }).first().waitFor({ timeout: 30_000 });
    await answerInput(session);
    // Per-pod progress in a notification with Cancel.
    const progress = session.page.locator('.notification-toast', { hasText: 'Profiling bundle of sandbox' }).first();
    await progress.waitFor({ state: 'visible', timeout: 60_000 });
    await waitFor('per-pod progress', 30_000, async () => ((await progress.innerText()).match(/etcd-master-\d: (CPU profile \d+ s left|connecting|[a-z-]+)/) ? true : undefined));
    assert.ok(await progress.locator('.monaco-button', { hasText: 'Cancel' }).first().isVisible());
    await session.screenshot('e2e-bundle-progress');

    // The bundle view: four pods side by side, exactly one leader marked.
    await session.waitForEditorTab(/Bundle · bundle-.*\.tar\.gz/, 120_000);
    const view = session.webview();
    await view.locator('table.members th.member').nth(3).waitFor({ timeout: 60_000 });
    const heads = await view.locator('table.members th.member').allInnerTexts();
    assert.equal(heads.length, 4, heads.join(' | '));
    assert.equal(heads.filter((t) => t.includes('★ leader')).length, 1, heads.join(' | '));
    assert.match(heads[0], /etcd-master-\d\s+★ leader/); // the leader comes first
    const leader = /etcd-master-\d/.exec(heads[0])![0];
    const follower = /etcd-master-\d/.exec(heads.find((t) => /follower/.test(t))!)![0];
    assert.match(await view.locator('.summary-line').innerText(), /^bundle: (\d+) of \1 items$/);
    const roles = await tableRow(session, 'Role');
    assert.deepEqual(roles.slice(0, 3).map((r) => r.replace(' ★', '')).sort(), ['follower', 'follower', 'leader']);
    for (const v of (await tableRow(session, 'DB size (in use)')).slice(0, 3)) assert.match(v, /^\d+(\.\d+)?[kMG]?B \(/);
    for (const v of (await tableRow(session, 'CPU total')).slice(0, 4)) assert.match(v, /^\d+(\.\d+)?(ns|us|ms|s)$|^0$/);
    // An idle etcd member may take no CPU sample in 3 s; the operator stand-in burns CPU on purpose.
    const operatorCpuTop = view.locator('table.members tr[data-label="CPU top 10"] td').nth(3).locator('ol.top li');
    assert.ok((await operatorCpuTop.count()) > 0, `the operator's CPU top 10 lists functions: ${await view.locator('table.members tr[data-label="CPU top 10"] td').nth(3).innerText()}`);
    const workspaceFiles = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : []);
    const bundles = workspaceFiles(join(session.workspace, '.profiles', 'sandbox')).filter((f) => /^bundle-.*\.tar\.gz$/.test(f));
    assert.equal(bundles.length, 1, `one bundle file: ${bundles.join(', ')}`);
    // Nothing unpacked into the workspace.
    assert.deepEqual(workspaceFiles(join(session.workspace, '.profiles')).filter((f) => /\.pb\.gz$|\.txt$/.test(f)), []);
    await session.screenshot('e2e-bundle-view');

    // A follower's heap opens from the table in the profile viewer, as heap-<pod>.pb.gz.
    await view.locator(`button.file[data-pod="${follower}"][data-item="heap"]`).click();
    await session.waitForEditorTab(`heap-${follower}.pb.gz`, 60_000);
    const viewer = session.webview();
    await viewer.locator('.profile-header').waitFor({ timeout: 60_000 });
    assert.match(await viewer.locator('.profile-header').innerText(), /heap/);
    await session.screenshot('e2e-bundle-heap');

    // Compare members: the leader's heap against the follower's, in the profile viewer's compare mode.
    await (await session.waitForEditorTab(/Bundle · bundle-/)).click();
    const view2 = session.webview();
    await view2.locator('select.compare-item').selectOption('heap');
    await view2.locator('select.compare-target').selectOption(leader);
    await view2.locator('select.compare-base').selectOption(follower);
    await view2.locator('button.compare-go').click();
    await session.waitForEditorTab(`heap-${leader}.pb.gz − heap-${follower}.pb.gz`, 60_000);
    const diff = session.webview();
    await diff.locator('.toolbar', { hasText: 'End compare' }).waitFor({ timeout: 60_000 });
    assert.match(await diff.locator('.profile-header').innerText(), new RegExp(`heap-${follower}\\.pb\\.gz`));
    await session.screenshot('e2e-bundle-compare');

    // Capture from All Members: one members view, one tab, no editor per member.
    await session.runCommand('View: Close All Editors');
    await waitFor('editors closed', 30_000, async () => ((await session.editorTabs()).length === 0 ? true : undefined));
    await session.contextMenu(await session.waitForTreeItem('etcd-master-0'), 'Capture from All Members…');
    await session.pickQuickItem(/^Heap/);
    await session.waitForEditorTab(/Heap · all members/, 120_000);
    const members = session.webview();
    await members.locator('table.members th.member').nth(2).waitFor({ timeout: 60_000 });
    const mheads = await members.locator('table.members th.member').allInnerTexts();
    assert.equal(mheads.length, 3, mheads.join(' | '));
    assert.equal(mheads.filter((t) => t.includes('★ leader')).length, 1, mheads.join(' | '));
    for (const v of await tableRow(session, 'Total')) assert.match(v, /^\d+(\.\d+)?[kMG]?B inuse_space$/);
    assert.equal(await members.locator('table.members tr[data-label="Top 10 (flat)"] td').count(), 3);
    // Function names without their import path (the part that tells functions apart stays visible); the whole
    // name on hover.
    const first = members.locator('table.members tr[data-label="Top 10 (flat)"] td').first().locator('ol.top li').first();
    const shown = (await first.locator('.fn').innerText()).trim();
    const whole = (await first.getAttribute('title')) ?? '';
    assert.ok(!/^[\w.~-]+\//.test(shown) && whole.endsWith(shown) && whole.length >= shown.length, `shown "${shown}", title "${whole}"`);
    await members.locator('button.compare-go').waitFor();
    await session.page.waitForTimeout(500);
    const tabs = await session.editorTabs();
    assert.equal(tabs.length, 1, `one tab: ${JSON.stringify(tabs)}`);
    assert.equal(await session.page.locator('.editor-group-container').count(), 1);
    await session.screenshot('e2e-members-capture-all');

    // Each member's capture opens from it.
    const pod = /etcd-master-\d/.exec(mheads[1])![0];
    await members.locator(`button.file[data-pod="${pod}"]`).click();
    await session.waitForEditorTab(/heap-.*\.pb\.gz/, 60_000);
  } catch (error) {
    await session.screenshot('e2e-bundle-failure').catch(() => undefined);
    throw new Error(`${String(error)}; tabs: ${JSON.stringify(await session.editorTabs().catch(() => []))}; notifications: ${JSON.stringify(await session.notifications().catch(() => []))}`, { cause: error });
  } finally {
    await session.close();
  }
});
