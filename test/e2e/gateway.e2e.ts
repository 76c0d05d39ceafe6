// The packaged extension in code-server, against the sandbox: right-click etcd-master-0 → Open pprof Gateway
// shows the gateway in the status bar; its entry offers the URL, a go tool pprof and a curl command, Open in go
// tool pprof and Stop; Open in go tool pprof on the gateway's heap and on a saved capture shows pprof's own web
// UI (the real Go 1.26 `go tool pprof -http`) in an editor tab; closing the tab ends the pprof process.
// Keeps test-results/e2e-gateway-*.png.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { filesUnder } from '../integration/helpers/keys.ts';
import { startSession, waitFor, type Session } from './harness.ts';
import { viewerFrame } from './viewerSteps.ts';

// The extension host inherits this environment: `go` on PATH, and the local toolchain only.
if (existsSync('/usr/local/go/bin/go') && !(process.env.PATH ?? '').split(':').includes('/usr/local/go/bin')) {
  process.env.PATH = `/usr/local/go/bin:${process.env.PATH ?? ''}`;
}
process.env.GOTOOLCHAIN = 'local';

/** pprof's page inside our webview tab (webview iframe → our document → the iframe with pprof's UI). */
function pprofPage(session: Session) {
  return session.webview().locator('iframe').contentFrame();
}

/** The output channel's log lines (a file under the session's user data). */
function outputLog(session: Session): string {
  const base = dirname(session.workspace);
  return filesUnder(base)
    .filter((f) => /etcd Profiler\.log$|etcd-profiler|output/i.test(f))
    .map((f) => readFileSync(f, 'utf8'))
    .filter((t) => t.includes('pprof gateway') || t.includes('go tool pprof'))
    .join('\n');
}

async function expectPprofUi(session: Session, sampleType: RegExp, screenshot: string): Promise<void> {
  const page = pprofPage(session);
  await page.locator('.header .title h1', { hasText: 'pprof' }).waitFor({ state: 'visible', timeout: 60_000 });
  await page.locator('#view .menu-name', { hasText: 'View' }).waitFor({ state: 'visible', timeout: 10_000 });
  // The flame graph (pprof's default view) is drawn, and the sample type is the profile's.
  await page.locator('#stack-chart, #flamegraph, .boxbg').first().waitFor({ state: 'attached', timeout: 30_000 });
  const title = await page.locator('title').textContent({ timeout: 10_000 });
  assert.match(title ?? '', sampleType);
  await session.screenshot(screenshot);
}

test('pprof gateway on etcd-master-0: status bar entry, pprof UI of the gateway and of a capture in editor tabs', { timeout: 10 * 60_000 }, async () => {
  const session = await startSession({ name: 'gateway' });
  try {
    await session.openProfilerView();
    await session.setSideBarWidth(480);
    await session.expandAll();
    const member = await session.waitForTreeItem('etcd-master-0');

    await session.contextMenu(member, 'Open pprof Gateway');
    const announced = await waitFor('the gateway notification', 60_000, async () => (await session.notifications()).find((n) => n.startsWith('pprof gateway for')));
    assert.match(announced, /^pprof gateway for openshift-etcd\/etcd-master-0 at 127\.0\.0\.1:\d+ \(by forward\)\.$/);
    const status = session.page.locator('.statusbar-item', { hasText: /1 pprof gateway/ }).first();
    await status.waitFor({ state: 'visible', timeout: 30_000 });
    await session.dismissHover();
    await session.screenshot('e2e-gateway-status-bar');

    // The status bar entry: the URL (token elided in the list), commands to copy, open, stop.
    await status.click();
    const rows = session.page.locator('.quick-input-widget .monaco-list-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    const labels = ['Copy URL', 'Copy go tool pprof Command', 'Copy curl Command', 'Open in go tool pprof', 'Stop'];
    assert.equal(texts.length, labels.length, texts.join(' | '));
    labels.forEach((l, i) => assert.ok(texts[i].startsWith(l), `row ${i}: ${texts[i]}`));
    assert.match(texts[0], /http:\/\/127\.0\.0\.1:\d+\/…\/debug\/pprof\/$/);
    assert.match(texts[1], /go tool pprof -http=: …\/profile\?seconds=30$/);
    assert.match(texts[2], /curl -sS -o heap\.pb\.gz …\/heap$/);
    await session.screenshot('e2e-gateway-actions');
    await session.pickQuickItem('Open in go tool pprof');
    await session.pickQuickItem(/^Heap/);
    await session.waitForEditorTab('pprof: Heap of etcd-master-0', 120_000);
    await expectPprofUi(session, /inuse_space/, 'e2e-gateway-pprof-heap');

    // A capture: Capture → Heap opens the profile viewer; Open in go tool pprof (palette) on that tab.
    await session.contextMenu(await session.waitForTreeItem('etcd-master-0'), 'Capture', 'Heap');
    await session.waitForEditorTab(/heap-.*\.pb\.gz/, 90_000);
    await session.runCommand('etcd Profiler: Open in go tool pprof');
    const tab = await session.waitForEditorTab(/pprof: heap-.*\.pb\.gz/, 90_000);
    await expectPprofUi(session, /inuse_space/, 'e2e-gateway-pprof-capture');

    // Closing the tab ends its pprof process.
    const log = await waitFor('the pprof line in the output log', 30_000, async () => {
      const text = outputLog(session);
      return /go tool pprof for heap-\S+\.pb\.gz: web UI on 127\.0\.0\.1:\d+ \(pid (\d+)\)/.exec(text) ?? undefined;
    });
    const pid = Number(log[1]);
    process.kill(pid, 0); // running now
    // Close it as a user does: its tab's close button (shown on hover), else View: Close Editor on it.
    await tab.click();
    await tab.hover();
    const close = tab.locator('.tab-actions .action-label');
    if (await close.first().isVisible().catch(() => false)) await close.first().click();
    else await session.runCommand('View: Close Editor');
    await waitFor('the pprof tab to close', 15_000, async () => ((await session.editorTabs()).some((t) => /pprof: heap-/.test(t)) ? undefined : true));
    await waitFor(`pprof process ${pid} to exit after its tab closed`, 15_000, async () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    });

    // The heap's viewer is the active editor again: let its webview load before using the status bar.
    await (await viewerFrame(session)).locator('.toolbar:not(.pending)').waitFor({ timeout: 60_000 });

    // Stop from the status bar: the entry goes away.
    await session.page.locator('.statusbar-item', { hasText: /1 pprof gateway/ }).first().click();
    await session.pickQuickItem('Stop');
    await session.page.locator('.statusbar-item', { hasText: /pprof gateway/ }).first().waitFor({ state: 'hidden', timeout: 30_000 });
    assert.doesNotMatch(outputLog(session), /\/[A-Za-z0-9_-]{32}\/debug\/pprof/, 'no gateway token in the output log');
  } finally {
    await session.close();
  }
});
