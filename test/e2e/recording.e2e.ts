// The packaged extension in code-server, against the sandbox: right-click the operator → Record… (goroutines,
// heap, allocs every 3 s, until stopped) while the test parks 3 goroutines on sync.WaitGroup.Wait every 2 s
// through the operator's POST /park. The status bar entry counts rounds; the Timeline panel opens and shows the
// goroutine-leak finding naming main.parkedOnRequest (also as one notification); hovering a chart shows a
// round's values; Shift+clicking two points of the goroutine chart opens the dump-to-dump compare; the status
// bar's Stop ends the recording, and the recording reopens from the Captures view. Keeps test-results/e2e-recording-*.png.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ForwardRegistry } from '../../src/cluster/forwardRegistry.ts';
import { loadKubeconfig } from '../../src/cluster/kubeconfig.ts';
import { sandboxDir, sandboxInfo, startSession, waitFor } from './harness.ts';

const OPERATOR_NS = 'openshift-etcd-operator';

test('record the operator from the Pods view: status bar, timeline with the finding, two points compared', { timeout: 8 * 60_000 }, async () => {
  const info = sandboxInfo();
  const operator = info.pods.find((p) => p.namespace === OPERATOR_NS)!.name;
  const admin = loadKubeconfig(join(sandboxDir, 'kubeconfig'));
  const registry = new ForwardRegistry();
  const forward = await registry.start(admin.forContext(admin.currentContext), { namespace: OPERATOR_NS, pod: operator, remotePort: 6060 }, 0);
  let parking: NodeJS.Timeout | undefined;
  let parked = 0;
  let session: Awaited<ReturnType<typeof startSession>> | undefined;
  try {
    session = await startSession({ name: 'recording' });
    await session.openProfilerView();
    await session.setSideBarWidth(520);
    await session.expandAll();
    const row = await session.waitForTreeItem(operator);
    await session.contextMenu(row, 'Record…');
    // Kinds: goroutines, heap and allocations are picked by default.
    const input = session.page.locator('.quick-input-widget input.input');
    await session.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Goroutines (debug=2 dump' }).waitFor({ state: 'visible', timeout: 30_000 });
    await session.screenshot('e2e-recording-kinds');
    await session.page.keyboard.press('Enter');
    await waitFor('the interval box', 30_000, async () => ((await input.inputValue().catch(() => '')) === '30s' ? true : undefined));
    await input.fill('3s');
    await session.page.keyboard.press('Enter');
    await session.pickQuickItem('Until stopped');

    parking = setInterval(() => {
      void fetch(`http://127.0.0.1:${forward.localPort}/park?n=3&state=wg`, { method: 'POST', headers: { connection: 'close' } }).then((r) => {
        if (r.ok) parked += 3;
      });
    }, 2000);

    const status = session.page.locator('.statusbar-item', { hasText: /\d+:\d\d · \d+ rounds?/ }).first();
    await status.waitFor({ state: 'visible', timeout: 60_000 });
    await waitFor('3 rounds in the status bar', 60_000, async () => (/· [3-9]\d* rounds|· \d{2,} rounds/.test(await status.innerText()) ? true : undefined));
    await session.screenshot('e2e-recording-status');

    // The finding: one notification, and in the timeline.
    const toast = session.page.locator('.notification-toast', { hasText: /Goroutine leak\?.*main\.parkedOnRequest · sync\.WaitGroup\.Wait/ }).first();
    await toast.waitFor({ state: 'visible', timeout: 90_000 });
    const web = session.webview();
    const finding = web.locator('.finding-goroutine-leak', { hasText: 'main.parkedOnRequest · sync.WaitGroup.Wait' }).first();
    await finding.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await finding.innerText(), /^Goroutine leak\? .*\+[\d.]+\/min main\.parkedOnRequest · sync\.WaitGroup\.Wait/);
    assert.equal(await web.locator('.finding-goroutine-leak').count(), 1);
    assert.equal(await session.page.locator('.notification-toast', { hasText: /Goroutine leak\?/ }).count(), 1, 'one notification per finding, not per round');
    const tabs = await session.editorTabs();
    assert.ok(tabs.some((t) => t.includes(`Timeline: ${operator}`)), JSON.stringify(tabs));
    await session.screenshot('e2e-recording-timeline');

    // Hover shows the values of a round.
    const chart = web.locator('.chart-box[data-chart$="/goroutines"]').first();
    const box = await chart.boundingBox();
    assert.ok(box);
    await chart.hover({ position: { x: box.width * 0.45, y: box.height / 2 } });
    const tip = web.locator('#timeline-tip');
    await tip.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await tip.innerText(), new RegExp(`${operator} · round \\d+ · \\d\\d:\\d\\d:\\d\\d\\s+total: \\d+[\\s\\S]*sync\\.WaitGroup\\.Wait: \\d+`));
    await session.screenshot('e2e-recording-hover');

    // Two points of the goroutine chart: the dump-to-dump compare opens.
    await chart.click({ position: { x: box.width * 0.2, y: box.height / 2 }, modifiers: ['Shift'] });
    await web.locator('.status', { hasText: /Round \d+ selected/ }).waitFor({ state: 'visible', timeout: 10_000 });
    await chart.click({ position: { x: box.width * 0.6, y: box.height / 2 }, modifiers: ['Shift'] });
    await session.waitForEditorTab(/goroutines debug=2 · .* vs goroutines debug=2 · /, 60_000);
    const diff = await session.activeEditorText();
    assert.match(diff, /(grew|appeared) \+\d+ \(\d+ → \d+\) \[sync\.WaitGroup\.Wait/);
    await session.screenshot('e2e-recording-compare');

    // Stop from the status bar.
    await status.click();
    await session.pickQuickItem(/Stop recording/);
    await session.page.locator('.notification-toast', { hasText: /Recording of .* stopped: \d+ rounds/ }).first().waitFor({ state: 'visible', timeout: 60_000 });
    await status.waitFor({ state: 'hidden', timeout: 30_000 });
    const dirRoot = join(session.workspace, '.profiles', 'sandbox', OPERATOR_NS);
    const recordings = existsSync(dirRoot) ? readdirSync(dirRoot).filter((d) => d.startsWith('recording-')) : [];
    assert.equal(recordings.length, 1, `one recording under ${dirRoot}`);
    assert.ok(existsSync(join(dirRoot, recordings[0], 'recording.jsonl')));
    assert.ok(readdirSync(join(dirRoot, recordings[0], operator)).some((f) => /^heap-.*\.pb\.gz$/.test(f)));
    await session.screenshot('e2e-recording-stopped');

    // The recording reopens from the Captures view: its index shows as "Timeline".
    await session.runCommand('View: Close All Editors');
    await session.page.locator('.tabs-container .tab').first().waitFor({ state: 'hidden', timeout: 30_000 }).catch(() => undefined);
    await session.expandAll();
    const item = await session.waitForTreeItem(/^Timeline/, 60_000);
    await item.click();
    await session.waitForEditorTab(`Timeline: ${operator}`, 60_000);
    const again = session.webview().locator('.finding-goroutine-leak', { hasText: 'main.parkedOnRequest · sync.WaitGroup.Wait' }).first();
    await again.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match(await session.webview().locator('.subtitle').innerText(), /openshift-etcd-operator · goroutine, heap, allocs every 3 s · \d+ rounds$/);
    await session.screenshot('e2e-recording-reopened');
    assert.ok(parked > 0);
  } finally {
    if (parking) clearInterval(parking);
    await fetch(`http://127.0.0.1:${forward.localPort}/release`, { method: 'POST' }).catch(() => undefined);
    await registry.stopAll();
    await session?.close();
  }
});
