// Issue 13's viewer defects in the built panel (dist/webview.js and media/profile.css under the panel's CSP in
// Chromium, payloads from the host model on the committed real captures), without code-server: what the panel
// asks the host to open on a double-click, Ctrl+click, Shift+Enter and the Top location link; whether the Top
// table's numbers show whole at 1000 px; what an empty block profile says; the comparison's legend.
// viewerFirstHour.e2e.ts asserts the same in code-server (file and line opened, quick picks).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { FromWebview, ProfilePayload } from '../../src/protocol.ts';
import { buildView, defaultOptions, loadProfile, type LoadedProfile } from '../../src/views/profilePanel/model.ts';
import { repoRoot, resultsDir } from './harness.ts';
import { deliver, openPanelPage, stagePayload } from './webviewPage.ts';
import { cutNumbers } from './viewerSteps.ts';
import type { BrowserWindow } from './browserGlobals.ts';

// page.evaluate callbacks run in Chromium; see browserGlobals.ts.
declare const window: BrowserWindow;

const testdata = join(repoRoot, 'test', 'unit', 'testdata');

function load(name: string): LoadedProfile {
  const l = loadProfile(readFileSync(join(testdata, name)), name);
  if ('error' in l) throw new Error(l.error);
  return l;
}

function payload(name: string, base?: string): ProfilePayload {
  const l = load(name);
  return buildView(l, defaultOptions(l), base ? load(base) : undefined, { fileName: name, baseFileName: base }).payload;
}

async function show(page: Page, p: ProfilePayload): Promise<void> {
  await stagePayload(page, p);
  await deliver(page);
  await page.waitForTimeout(300);
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(resultsDir, { recursive: true });
  await page.screenshot({ path: join(resultsDir, `${name}.png`) });
}

interface Probe {
  describe(i: number): string[];
  locate(i: number): { x: number; y: number; w: number; h: number } | undefined;
  layout: { n: number; parent: Int32Array; data: { depth: ArrayLike<number>; frame: ArrayLike<number> } };
}

test('panel: a double-click on a deep frame asks for that frame, as Ctrl+click, Shift+Enter and the Top link do', { timeout: 120_000 }, async () => {
  const panel = await openPanelPage('dark', { width: 1000, height: 700 });
  try {
    const { page } = panel;
    await show(page, payload('etcd.cpu.pb.gz'));
    const target = await page.evaluate(() => {
      const f = (window.__profileApp as { flame: Probe }).flame;
      const file = (i: number) => (f.describe(i)[1] ?? '').replace(/:\d+$/, '');
      let best: { node: number; frame: number; depth: number; rect: { x: number; y: number; w: number; h: number } } | undefined;
      for (let i = 1; i < f.layout.n; i++) {
        const r = f.locate(i);
        const d = f.layout.data.depth[i];
        if (!r || r.w < 40 || d < 4 || !file(i) || file(i) === file(f.layout.parent[i])) continue;
        if (!best || d > best.depth) best = { node: i, frame: f.layout.data.frame[i], depth: d, rect: r };
      }
      return best;
    });
    assert.ok(target, 'a frame at depth >= 4 whose parent is in another file');
    const posted = () => page.evaluate(() => (window.__posted as FromWebview[]).filter((m) => m.type === 'openSource'));
    const canvas = page.locator('canvas.flame-canvas');
    const box = (await canvas.boundingBox())!;
    const x = box.x + target.rect.x + Math.min(target.rect.w / 2, 30);
    const y = box.y + target.rect.y + target.rect.h / 2;
    await page.mouse.dblclick(x, y);
    await page.waitForTimeout(200);
    await shot(page, 'e2e-first-hour-panel-dblclick');
    assert.deepEqual((await posted()).at(-1), { type: 'openSource', frame: target.frame }, `double-click at depth ${target.depth} opens that frame`);
    assert.deepEqual(await canvas.boundingBox(), box, 'the canvas did not move when the breadcrumb grew');

    await canvas.focus();
    await page.keyboard.press('Escape');
    await page.keyboard.down('Control');
    await page.mouse.click(x, y);
    await page.keyboard.up('Control');
    assert.deepEqual((await posted()).at(-1), { type: 'openSource', frame: target.frame }, 'Ctrl+click');
    await page.keyboard.press('Escape');
    await page.mouse.click(x, y);
    await page.keyboard.press('Shift+Enter');
    assert.deepEqual((await posted()).at(-1), { type: 'openSource', frame: target.frame }, 'Shift+Enter');
    const name = await page.evaluate((fr) => (window.__profileApp as { flame: { label(i: number): string } }).flame.label(fr), target.node);
    await page.locator('vscode-panel-tab#tab-top').click();
    await page.locator('vscode-text-field.search input').fill(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    await page.waitForTimeout(300);
    await page.locator('vscode-data-grid-row').nth(1).locator('vscode-data-grid-cell[grid-column="6"]').click();
    assert.deepEqual((await posted()).at(-1), { type: 'openSource', frame: target.frame }, 'the Top location link');
    assert.deepEqual(panel.problems, []);
  } finally {
    await panel.close();
  }
});

test('panel: every number in the Top table shows whole at 1000 px, plain and compared; the comparison has a legend', { timeout: 120_000 }, async () => {
  const panel = await openPanelPage('dark', { width: 1000, height: 700 });
  try {
    const { page } = panel;
    await show(page, payload('operator.heap.pb.gz'));
    assert.equal(await page.locator('.legend').isVisible(), false, 'no legend without a comparison');
    await page.locator('vscode-panel-tab#tab-top').click();
    await page.waitForTimeout(500);
    await shot(page, 'e2e-first-hour-panel-top-plain');
    const plain = await cutNumbers(page, 4);
    assert.ok(plain.checked >= 40, `numeric cells checked: ${plain.checked}`);
    assert.deepEqual(plain.cut, [], 'no number is cut off in the plain table');

    await show(page, payload('operator.heap.pb.gz', 'operator.allocs.pb.gz'));
    await page.waitForTimeout(500);
    await shot(page, 'e2e-first-hour-panel-top-compare');
    const compared = await cutNumbers(page, 5);
    assert.ok(compared.checked >= 50, `numeric cells checked: ${compared.checked}`);
    assert.deepEqual(compared.cut, [], 'no number (delta included) is cut off in the comparison');
    assert.match(await page.locator('.legend').innerText(), /red: grew[\s\S]*green: shrank/);
    assert.deepEqual(panel.problems, []);
  } finally {
    await panel.close();
  }
});

test('panel: an empty block profile names its kind and says why it is empty', { timeout: 120_000 }, async () => {
  const panel = await openPanelPage('dark', { width: 1000, height: 700 });
  try {
    const { page } = panel;
    await show(page, payload('etcd.block.pb.gz'));
    const header = await page.locator('.profile-header').innerText();
    assert.match(header, /kind\s+block(?!\s+or)/, `the header names the kind: ${header}`);
    const message = await page.locator('.messages').innerText();
    assert.match(message, /block profile has no samples/);
    assert.match(message, /runtime\.SetBlockProfileRate \(etcd does not by default\)/);
    await shot(page, 'e2e-first-hour-panel-empty-block');
    assert.deepEqual(panel.problems, []);
  } finally {
    await panel.close();
  }
});
