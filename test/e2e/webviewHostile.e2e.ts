// Function names and file paths are rendered as text: a real capture whose frame names, file paths,
// file name and pod name are replaced by HTML and script goes through every view of the built panel
// in Chromium, under the panel's real Content Security Policy. No element of the payload's making
// appears, no script runs, and the strings show up verbatim as text.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildView, defaultOptions, loadProfile } from '../../src/views/profilePanel/model.ts';
import { repoRoot } from './harness.ts';
import { deliver, openPanelPage, stagePayload } from './webviewPage.ts';
import type { BrowserDocument, BrowserWindow, BrowserElement, BrowserRoot } from './browserGlobals.ts';

// page.evaluate callbacks run in Chromium; see browserGlobals.ts.
declare const window: BrowserWindow;
declare const document: BrowserDocument;

const HOSTILE = [
  '<img src=x onerror="alert(1)">main.evil',
  '<script>alert(2)</script>',
  '"><svg onload=alert(3)>',
  "</div><iframe src='javascript:alert(4)'></iframe>",
];

test('hostile names and paths stay text in the flame graph, top table, call tree, header and SVG', { timeout: 120_000 }, async () => {
  const loaded = loadProfile(readFileSync(join(repoRoot, 'test/unit/testdata/operator.cpu.pb.gz')), 'operator.cpu.pb.gz');
  assert.ok(!('error' in loaded));
  const view = buildView(loaded, defaultOptions(loaded), undefined, { fileName: 'x' });
  const p = view.payload;
  // The heaviest frames get the hostile names, so every view shows them.
  const heavy = [...p.top.frame].sort((a, b) => p.top.cum[p.top.frame.indexOf(b)] - p.top.cum[p.top.frame.indexOf(a)]).slice(0, HOSTILE.length);
  heavy.forEach((f, k) => {
    p.frames.names[f] = HOSTILE[k];
    p.frames.files[f] = `/tmp/${HOSTILE[(k + 1) % HOSTILE.length]}/x.go`;
  });
  p.header.fileName = HOSTILE[1] + '.pb.gz';
  p.header.capture = { pod: HOSTILE[0], namespace: HOSTILE[2] };

  const panel = await openPanelPage('dark');
  try {
    const { page } = panel;
    await stagePayload(page, p);
    await deliver(page);
    const box = (await page.locator('canvas.flame-canvas').boundingBox())!;
    await page.mouse.move(box.x + 40, box.y + 18 * 1 + 9); // a depth-1 frame: the heaviest stack
    await page.waitForTimeout(200);
    const tooltip = await page.locator('.tooltip').innerText();
    await page.mouse.click(box.x + 40, box.y + 18 * 1 + 9);
    await page.locator('vscode-panel-tab#tab-top').click();
    await page.locator('vscode-data-grid-row').nth(2).waitFor();
    await page.locator('vscode-panel-tab#tab-tree').click();
    await page.locator('.tree-row[role="treeitem"]').nth(1).click();
    await page.locator('.callers-callees h3').first().waitFor();
    await page.waitForTimeout(300);

    const dom = await page.evaluate(() => {
      const all: BrowserElement[] = [];
      const walk = (root: BrowserRoot) => {
        for (const e of Array.from(root.querySelectorAll('*'))) {
          all.push(e);
          if (e.shadowRoot) walk(e.shadowRoot);
        }
      };
      walk(document);
      const text = document.body.innerText;
      const gridText = Array.from(document.querySelectorAll('vscode-data-grid-cell')).map((c) => c.textContent ?? '').join('\n');
      const app = (window as unknown as { __profileApp: { svg(): string } }).__profileApp;
      return {
        injected: all.filter((e) => ['IMG', 'IFRAME', 'OBJECT', 'EMBED'].includes(e.tagName) || (e.tagName === 'svg' && e.hasAttribute('onload'))).map((e) => e.outerHTML),
        scripts: all.filter((e) => e.tagName === 'SCRIPT').length,
        handlers: all.filter((e) => Array.from(e.attributes).some((a) => a.name.startsWith('on'))).map((e) => e.tagName),
        text,
        gridText,
        svg: app.svg(),
      };
    });
    assert.deepEqual(dom.injected, [], 'no element from the payload');
    assert.equal(dom.scripts, 1, 'only our own script tag');
    assert.deepEqual(dom.handlers, [], 'no inline event handler attributes');
    for (const h of [HOSTILE[1] + '.pb.gz', HOSTILE[0], HOSTILE[2]]) assert.ok(dom.text.includes(h), `header shows ${h} as text`);
    assert.ok(HOSTILE.some((h) => tooltip.includes(h)), `tooltip shows a hostile name as text: ${tooltip}`);
    assert.ok(HOSTILE.every((h) => dom.gridText.includes(h)), 'the top table shows every hostile name as text');
    assert.ok(HOSTILE.some((h) => dom.text.includes(h)), 'the call tree shows hostile names as text');
    assert.ok(!/<img|<script|<iframe|<svg onload/.test(dom.svg.replace(/^<svg xmlns[^>]*>/, '')), 'the SVG export escapes names');
    assert.deepEqual(panel.problems, [], 'no alert, no CSP violation, no page error');
    await page.screenshot({ path: join(repoRoot, 'test-results', 'hostile-names-calltree.png') });
  } finally {
    await panel.close();
  }
});
