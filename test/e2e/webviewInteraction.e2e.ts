// The built panel in Chromium on a real capture: keyboard (arrows, Enter, Escape), click to zoom and
// the breadcrumb, search with its share, icicle/flame, the top table's sorting and focus, the call
// tree's callers/callees, and what the panel posts to the host (open source, copy, SVG, options).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildView, defaultOptions, loadProfile } from '../../src/views/profilePanel/model.ts';
import type { FromWebview } from '../../src/protocol.ts';
import { repoRoot } from './harness.ts';
import { deliver, openPanelPage, stagePayload } from './webviewPage.ts';
import type { BrowserWindow } from './browserGlobals.ts';

// page.evaluate callbacks run in Chromium; see browserGlobals.ts.
declare const window: BrowserWindow;

interface FlameProbe {
  zoomNode: number;
  selectedNode: number;
  label(i: number): string;
  locate(i: number): { x: number; y: number; w: number; h: number } | undefined;
}

test('flame graph, top table and call tree respond to keyboard and mouse', { timeout: 120_000 }, async () => {
  const loaded = loadProfile(readFileSync(join(repoRoot, 'test/unit/testdata/operator.cpu.pb.gz')), 'operator.cpu.pb.gz');
  assert.ok(!('error' in loaded));
  const view = buildView(loaded, defaultOptions(loaded), undefined, { fileName: 'operator.cpu.pb.gz' });
  const panel = await openPanelPage('dark', { width: 1000, height: 700 });
  try {
    const { page } = panel;
    await stagePayload(page, view.payload);
    await deliver(page);
    const flame = () => page.evaluate(() => {
      const f = (window.__profileApp as { flame: FlameProbe }).flame;
      return { zoom: f.zoomNode, selected: f.selectedNode, selectedLabel: f.label(f.selectedNode), zoomLabel: f.label(f.zoomNode) };
    });
    const posted = () => page.evaluate(() => window.__posted as FromWebview[]);
    assert.deepEqual((await posted())[0], { type: 'ready' });

    // Keyboard: down to the widest child, right to its neighbour, Enter zooms, Escape resets.
    await page.locator('canvas.flame-canvas').focus();
    await page.keyboard.press('ArrowDown');
    const first = await flame();
    assert.notEqual(first.selected, 0);
    await page.keyboard.press('ArrowRight');
    const second = await flame();
    assert.notEqual(second.selected, first.selected, 'right moves to the next frame on the row');
    await page.keyboard.press('ArrowLeft');
    assert.equal((await flame()).selected, first.selected);
    await page.keyboard.press('Enter');
    const zoomed = await flame();
    assert.equal(zoomed.zoom, first.selected);
    assert.deepEqual(await page.locator('.crumbs .crumb').allInnerTexts(), ['all', first.selectedLabel]);
    await page.keyboard.press('Shift+Enter');
    assert.deepEqual((await posted()).at(-1), { type: 'openSource', frame: view.payload.flame.frame[first.selected] });
    await page.keyboard.press('Escape');
    assert.equal((await flame()).zoom, 0);

    // Click to zoom, breadcrumb back out, double-click opens the source.
    const target = await page.evaluate(() => {
      const f = (window.__profileApp as { flame: FlameProbe }).flame;
      for (let i = 1; i < 1000; i++) {
        const r = f.locate(i);
        if (r && r.w > 40 && r.y > 30) return { i, r };
      }
      return undefined;
    });
    assert.ok(target);
    const box = (await page.locator('canvas.flame-canvas').boundingBox())!;
    await page.mouse.click(box.x + target.r.x + 10, box.y + target.r.y + 5);
    assert.equal((await flame()).zoom, target.i);
    await page.locator('.crumbs button.crumb', { hasText: 'all' }).click();
    assert.equal((await flame()).zoom, 0);
    await page.mouse.dblclick(box.x + target.r.x + 10, box.y + target.r.y + 5);
    assert.equal(((await posted()).at(-1) as { type: string }).type, 'openSource');

    // Search: matches highlighted, share shown.
    const search = page.locator('vscode-text-field.search input');
    await search.fill('^main\\.');
    await page.waitForTimeout(200);
    assert.match(await page.locator('.search-share').innerText(), /\d+(\.\d+)?%\s+matched/);
    await search.fill('(');
    await page.waitForTimeout(100);
    assert.equal(await page.locator('vscode-text-field.search').getAttribute('class'), 'search invalid');
    await search.fill('');

    // Orientation toggle.
    await page.locator('vscode-button', { hasText: 'Flame' }).click();
    await page.locator('vscode-button', { hasText: 'Icicle' }).waitFor();

    // Copy as text (the zoomed subtree; Escape first for the whole graph) and SVG export go to the host.
    await page.locator('canvas.flame-canvas').focus();
    await page.keyboard.press('Escape');
    await page.locator('vscode-button', { hasText: 'Copy as text' }).click();
    const copy = (await posted()).at(-1) as { type: string; text: string };
    assert.equal(copy.type, 'copyText');
    assert.match(copy.text, /^100(\.0)?% \S+ all\n/);
    await page.locator('vscode-button', { hasText: 'Export SVG' }).click();
    const svg = (await posted()).at(-1) as { type: string; svg: string };
    assert.equal(svg.type, 'exportSvg');
    assert.match(svg.svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);

    // Granularity change asks the host for new views.
    await page.locator('vscode-dropdown[aria-label="Granularity"]').click();
    await page.locator('vscode-option', { hasText: 'lines' }).click();
    const opt = (await posted()).at(-1) as { type: string; options: { granularity: string } };
    assert.deepEqual([opt.type, opt.options.granularity], ['setOptions', 'lines']);

    // Top table: sort by cum, click a row to focus it in the flame graph.
    await page.locator('vscode-panel-tab#tab-top').click();
    await page.locator('vscode-data-grid-cell[cell-type="columnheader"]', { hasText: /^\s*cum\s*$/ }).click();
    await page.waitForTimeout(200);
    const cums = await page.locator('vscode-data-grid-row vscode-data-grid-cell[grid-column="4"]').allInnerTexts();
    const pct = cums.map((t) => t.trim()).filter((t) => /^[\d.]+%$/.test(t)).map((t) => parseFloat(t));
    assert.ok(pct.length > 3 && pct.every((v, i) => i === 0 || v <= pct[i - 1]), `cum% descending: ${pct.slice(0, 8)}`);
    const name = await page.locator('vscode-data-grid-row').nth(3).locator('vscode-data-grid-cell').nth(4).innerText();
    await page.locator('vscode-data-grid-row').nth(3).locator('vscode-data-grid-cell').nth(0).click();
    await page.waitForTimeout(300);
    assert.equal((await flame()).selectedLabel, name, 'the row is focused in the flame graph');

    // Call tree: select a function, see callers and callees; the tree expands with the keyboard.
    await page.locator('vscode-panel-tab#tab-tree').click();
    const rows = page.locator('.tree-row[role="treeitem"]');
    const before = await rows.count();
    await rows.first().click();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    assert.ok((await rows.count()) >= before);
    assert.equal(await page.locator('.callers-callees h3').count(), 2);
    await page.screenshot({ path: join(repoRoot, 'test-results', 'panel-interaction.png') });
    assert.deepEqual(panel.problems, []);
  } finally {
    await panel.close();
  }
});
