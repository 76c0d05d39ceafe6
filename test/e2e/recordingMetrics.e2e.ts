// The packaged extension in code-server, against the sandbox: right-click an etcd member → Record… with
// goroutines only and *Triggers…* ticked in the kinds list, every 3 s until stopped, trigger `goroutines>1
// cooldown=5m` (any etcd has more than one goroutine, so round 1 fires). The Timeline shows the member's
// /metrics charts (db size total and in use, WAL fsync p99, leader changes) with their values on hover, and one
// trigger mark (never a second one within the cool-down) whose dump link opens the triggered goroutine dump.
// Keeps test-results/e2e-recording-metrics-*.png.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sandboxInfo, startSession, waitFor } from './harness.ts';

// evaluateAll callbacks run in Chromium (the project's tsconfig has no DOM lib; see browserGlobals.ts).
declare function getComputedStyle(el: unknown): { stroke: string };

test('record an etcd member with a trigger: /metrics charts and one trigger mark whose dump opens', { timeout: 6 * 60_000 }, async () => {
  const info = sandboxInfo();
  const member = info.pods.find((p) => p.namespace === 'openshift-etcd')!.name;
  let session: Awaited<ReturnType<typeof startSession>> | undefined;
  try {
    session = await startSession({ name: 'recording-metrics' });
    await session.openProfilerView();
    await session.setSideBarWidth(520);
    await session.expandAll();
    const row = await session.waitForTreeItem(member);
    await session.contextMenu(row, 'Record…');
    const page = session.page;
    const input = page.locator('.quick-input-widget input.input');
    const rowOf = (text: string) => page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
    await rowOf('Goroutines (debug=2 dump').waitFor({ state: 'visible', timeout: 30_000 });
    // Goroutines only, and the triggers.
    for (const label of ['Heap (in use)', 'Allocations (rate between rounds)', 'Triggers: also capture']) await rowOf(label).click();
    await waitFor('only goroutines and triggers ticked', 10_000, async () => {
      const ticked = await page.locator('.quick-input-widget .monaco-list-row[aria-checked="true"]').allInnerTexts();
      return ticked.length === 2 && ticked.some((t) => t.includes('Goroutines')) && ticked.some((t) => t.includes('Triggers')) ? true : undefined;
    });
    await session.screenshot('e2e-recording-metrics-kinds');
    await page.keyboard.press('Enter');
    await waitFor('the interval box', 30_000, async () => ((await input.inputValue().catch(() => '')) === '30s' ? true : undefined));
    await input.fill('3s');
    await page.keyboard.press('Enter');
    await session.pickQuickItem('Until stopped');
    await waitFor('the triggers box', 30_000, async () => ((await input.inputValue().catch(() => '')) === 'goroutines>5000 heap>512MiB cooldown=5m' ? true : undefined));
    // A heap threshold without heap among the kinds is refused while typing.
    await input.fill('heap>1MiB');
    await page.locator('.quick-input-widget', { hasText: 'A heap threshold needs Heap among the kinds' }).waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('goroutines>1 cooldown=5m');
    await page.keyboard.press('Enter');

    const web = session.webview();
    for (const title of ['etcd db size (from /metrics)', 'etcd WAL fsync p99 (between rounds, from /metrics)', 'etcd leader changes seen (from /metrics)']) {
      await web.locator('.chart-card h3', { hasText: title }).first().waitFor({ state: 'visible', timeout: 90_000 });
    }
    const mark = web.locator('.marks .mark-triggered').first();
    await mark.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match(await mark.innerText(), /^Round 1: trigger \(goroutines \d+ ≥ 1\): captured goroutine dump and heap profile/);
    // Three more rounds, all over the threshold: still one trigger (cool-down 5 min).
    const status = page.locator('.statusbar-item', { hasText: /\d+:\d\d · \d+ rounds?/ }).first();
    await waitFor('4 rounds in the status bar', 90_000, async () => (/· ([4-9]|\d{2,}) rounds/.test(await status.innerText()) ? true : undefined));
    assert.equal(await web.locator('.marks .mark-triggered').count(), 1);

    // Hover the db size chart: total and in use of a round, read from /metrics.
    const chart = web.locator('.chart-box[data-chart$="/etcd_db_size"]').first();
    const box = await chart.boundingBox();
    assert.ok(box);
    await chart.hover({ position: { x: box.width * 0.5, y: box.height / 2 } });
    const tip = web.locator('#timeline-tip');
    await tip.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await tip.innerText(), new RegExp(`${member} · round \\d+ · \\d\\d:\\d\\d:\\d\\d\\s+total: [\\d.]+ KB\\s+in use: [\\d.]+ KB\\s+read from the member's /metrics`));
    // The lines are drawn in the theme's chart colours (the CSP refuses inline styles: colours come from classes).
    const strokes = await chart.locator('path.series').evaluateAll((els) => els.map((el) => getComputedStyle(el).stroke));
    assert.equal(strokes.length, 2);
    for (const s of strokes) assert.match(s, /^rgb/, `stroke ${s}`);
    assert.notEqual(strokes[0], strokes[1]);
    await session.screenshot('e2e-recording-metrics-timeline');

    // The trigger's dump opens from its link.
    await mark.locator('.mark-file', { hasText: /triggered-goroutine-debug2-/ }).click();
    await session.waitForEditorTab(/triggered-goroutine-debug2-|triggered goroutines debug=2/, 60_000);
    assert.match(await session.activeEditorText(), /^goroutine \d+ \[/);
    await session.screenshot('e2e-recording-metrics-dump');

    await status.click();
    await session.pickQuickItem(/Stop recording/);
    await page.locator('.notification-toast', { hasText: /Recording of .* stopped: \d+ rounds/ }).first().waitFor({ state: 'visible', timeout: 60_000 });
  } finally {
    await session?.close();
  }
});
