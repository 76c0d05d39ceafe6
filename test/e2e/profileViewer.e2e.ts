// The profile viewer in code-server, on CPU profiles captured from the sandbox's operator just now
// (kubectl port-forward + curl, as the runbook does): the capture opens in the viewer, the flame
// graph, top table and call tree render (screenshots in test-results/), double-clicking a frame of
// the operator's `main` package opens test/sandbox/operator's Go file at the function's line, and
// "Compare with…" opens the diff against a second capture.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, startSession, waitFor } from './harness.ts';
import { answerFileDialog, compareWithFile, viewerFrame } from './viewerSteps.ts';
import { withOperatorForward } from './runbookSteps.ts';
import type { BrowserWindow } from './browserGlobals.ts';

// page.evaluate callbacks run in Chromium; see browserGlobals.ts.
declare const window: BrowserWindow;

const NAMESPACE = 'openshift-etcd-operator';

/** Two CPU captures of the operator through a port-forward, saved where the Captures view keeps them. */
async function captureTwice(): Promise<{ pod: string; files: string[] }> {
  return withOperatorForward(async (pod, pprof) => {
    const dir = join(repoRoot, '.profiles', 'sandbox', NAMESPACE, pod);
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${pprof}/profile?seconds=3`);
      assert.equal(res.status, 200);
      const file = join(dir, `cpu-e2e-${Date.now()}-${i}.pb.gz`);
      writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
      files.push(file);
    }
    return { pod, files };
  });
}

function goFuncLine(name: string): { file: string; line: number } | undefined {
  // main.(*reconciler).statusWorker → receiver reconciler, method statusWorker; main.checksumLoop → checksumLoop
  const m = /^main\.(?:\(\*?(\w+)\)\.)?(\w+)$/.exec(name);
  if (!m) return undefined;
  const dir = join(repoRoot, 'test', 'sandbox', 'operator');
  const re = m[1] ? new RegExp(`^func \\(\\w+ \\*?${m[1]}\\) ${m[2]}\\(`) : new RegExp(`^func ${m[2]}\\(`);
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.go') && !x.endsWith('_test.go'))) {
    const lines = readFileSync(join(dir, f), 'utf8').split('\n');
    const i = lines.findIndex((l) => re.test(l));
    if (i >= 0) return { file: f, line: i + 1 };
  }
  return undefined;
}

test('profile viewer: a sandbox capture opens, frames link to source, compare shows a diff', { timeout: 10 * 60_000 }, async () => {
  const { pod, files } = await captureTwice();
  const session = await startSession({ name: 'profile-viewer', workspace: repoRoot });
  try {
    await session.openProfilerView(); // the extension's contributions are loaded once its view shows
    await session.runCommand('etcd Profiler: Open Profile…');
    await answerFileDialog(session, files[1]);
    await session.waitForEditorTab(/cpu-e2e-.*-1\.pb\.gz/);
    const frame = await viewerFrame(session);
    const header = await frame.locator('.profile-header').innerText();
    assert.match(header, /kind\s+cpu/);
    assert.match(header, new RegExp(`pod\\s+${pod}`));
    assert.match(header, /namespace\s+openshift-etcd-operator/);
    assert.match(header, /node\s+master-\d/);
    await frame.locator('.toolbar:not(.pending)').waitFor({ timeout: 30_000 });
    await session.page.waitForTimeout(500);
    await session.screenshot('e2e-profile-flame');

    // The widest named function of the operator's main package, and where the canvas draws it.
    const target = await frame.evaluate(() => {
      const app = (window as unknown as { __profileApp: { flame: { locate(i: number): { x: number; y: number; w: number; h: number } | undefined; label(i: number): string } } }).__profileApp;
      const perf = (window as unknown as { __profilePerf: { nodes: number } }).__profilePerf;
      let best = -1;
      let bestW = 0;
      for (let i = 1; i < perf.nodes; i++) {
        const name = app.flame.label(i);
        // A named function or method of package main (a closure's `main.f.func2` has no `func` line to check).
        if (!/^main\.(?:\(\*?\w+\)\.)?\w+$/.test(name)) continue;
        const r = app.flame.locate(i);
        if (r && r.w > bestW && r.w > 8) {
          best = i;
          bestW = r.w;
        }
      }
      return best < 0 ? undefined : { node: best, name: app.flame.label(best), rect: app.flame.locate(best)! };
    });
    assert.ok(target, 'the flame graph shows a frame of package main');
    const expected = goFuncLine(target.name);
    assert.ok(expected, `${target.name} is declared in test/sandbox/operator`);
    const canvas = await frame.locator('canvas.flame-canvas').boundingBox();
    assert.ok(canvas);
    const x = canvas.x + target.rect.x + Math.min(target.rect.w / 2, 20);
    const y = canvas.y + target.rect.y + target.rect.h / 2;
    await session.page.mouse.move(x, y);
    await session.page.waitForTimeout(300);
    await session.screenshot('e2e-profile-flame-hover');
    await session.page.mouse.dblclick(x, y);
    await session.waitForEditorTab(expected.file);
    const status = session.page.locator('.statusbar-item[id="status.editor.selection"]');
    await status.waitFor({ timeout: 30_000 });
    const deadline = Date.now() + 20_000;
    let pos = '';
    while (Date.now() < deadline) {
      pos = await status.innerText();
      if (pos.includes(`Ln ${expected.line},`)) break;
      await session.page.waitForTimeout(250);
    }
    assert.match(pos, new RegExp(`Ln ${expected.line},`), `${target.name} opens ${expected.file} at line ${expected.line}`);
    assert.match(await session.activeEditorText(), new RegExp(target.name.replace(/^main\.(\(\*?\w+\)\.)?/, '').replace(/\W/g, '.')));
    // Line annotations for this profile in the Go file.
    await session.runCommand('etcd Profiler: Toggle Profile Line Annotations');
    await session.page.waitForTimeout(1500);
    await session.screenshot('e2e-profile-source-annotations');
    await session.runCommand('etcd Profiler: Toggle Profile Line Annotations');

    // Back to the viewer: top table and call tree.
    await (await session.waitForEditorTab(/cpu-e2e-.*-1\.pb\.gz/)).click();
    const f2 = await viewerFrame(session);
    await f2.locator('vscode-panel-tab#tab-top').click();
    await f2.locator('vscode-data-grid-row').nth(3).waitFor({ timeout: 30_000 });
    await session.page.waitForTimeout(500);
    await session.screenshot('e2e-profile-top');
    await f2.locator('vscode-panel-tab#tab-tree').click();
    await f2.locator('.tree-row[role="treeitem"]').nth(2).click();
    await f2.locator('.callers-callees h3', { hasText: 'Callers' }).waitFor({ timeout: 10_000 });
    await session.page.waitForTimeout(300);
    await session.screenshot('e2e-profile-calltree');

    // Compare with the first capture.
    await f2.locator('vscode-panel-tab#tab-flame').click();
    await compareWithFile(session, f2, files[0]);
    await f2.locator('.hd-key', { hasText: 'compared with' }).waitFor({ timeout: 30_000 });
    assert.match(await f2.locator('.profile-header').innerText(), /compared with\s+cpu-e2e-.*-0\.pb\.gz/);
    await f2.locator('vscode-button', { hasText: 'End compare' }).waitFor({ timeout: 10_000 });
    await session.page.waitForTimeout(800);
    await session.screenshot('e2e-profile-compare-flame');
    await f2.locator('vscode-panel-tab#tab-top').click();
    await f2.locator('vscode-data-grid-cell[cell-type="columnheader"]', { hasText: 'delta' }).waitFor({ timeout: 10_000 });
    assert.match(await f2.locator('vscode-data-grid-cell[cell-type="columnheader"]', { hasText: 'delta' }).innerText(), /delta ▼/);
    await session.page.waitForTimeout(500);
    await session.screenshot('e2e-profile-compare-top');
  } finally {
    await session.close();
    for (const f of files) rmSync(f, { force: true });
  }
});

test('profile viewer follows the theme (high contrast, dark) and stays readable at a narrow width', { timeout: 6 * 60_000 }, async () => {
  const session = await startSession({
    name: 'profile-viewer-themes',
    workspace: repoRoot,
    settings: { 'workbench.colorTheme': 'Default High Contrast' },
    viewport: { width: 900, height: 800 },
  });
  try {
    await session.openProfilerView();
    await session.runCommand('etcd Profiler: Open Profile…');
    await answerFileDialog(session, join(repoRoot, 'test/unit/testdata/operator.cpu.pb.gz'));
    await session.waitForEditorTab('operator.cpu.pb.gz');
    const frame = await viewerFrame(session);
    await frame.locator('.toolbar:not(.pending)').waitFor({ timeout: 30_000 });
    assert.ok(await frame.evaluate(() => (window.document as { body: { className: string } }).body.className.includes('vscode-high-contrast')));
    await session.page.waitForTimeout(500);
    await session.screenshot('e2e-profile-theme-high-contrast');
    const hcBackground = await frame.evaluate(() => (window.__profileApp as { flame: { fillOf(i: number): { fill: string } } }).flame.fillOf(1).fill);

    await session.runCommand('Preferences: Color Theme');
    await session.pickQuickItem(/^Dark Modern/);
    // The theme change reaches the webview asynchronously (slower on a busy machine): wait for the body's
    // class, then for the redrawn colours, each bounded.
    await waitFor('the dark theme in the webview', 30_000, async () => ((await frame.evaluate(() => (window.document as { body: { className: string } }).body.className)).includes('vscode-dark') ? true : undefined));
    const fill = () => frame.evaluate(() => (window.__profileApp as { flame: { fillOf(i: number): { fill: string } } }).flame.fillOf(1).fill);
    const darkBackground = await waitFor('frame colours of the dark theme', 15_000, async () => {
      const f = await fill();
      return f !== hcBackground ? f : undefined;
    }).catch(fill);
    assert.notEqual(darkBackground, hcBackground, 'frame colours follow the theme');
    await session.screenshot('e2e-profile-theme-dark');
  } finally {
    await session.close();
  }
});
