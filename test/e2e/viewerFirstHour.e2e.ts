// What a new user met in the profile viewer in their first hour (issue 13), asserted as they see it in
// code-server, on real captures (the committed fixtures of test/unit/testdata and sandbox captures):
// - a double-click on a deep flame frame opens that frame's source, not its parent's; Ctrl+click, Shift+Enter
//   and the Top table's location link open the same place;
// - every number in the Top table is shown whole at a 1000 px wide editor, plain and in a comparison;
// - an empty block profile says it is a block profile and why it is empty; the pprof index marks it off;
// - "Compare with…" offers the other captures of the same kind (the same pod's first) before "Browse…",
//   the diff has a legend, and a base from another pod is warned about.
// Screenshots: test-results/e2e-first-hour-*.png.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { test } from 'node:test';
import type { Frame } from 'playwright-core';
import { repoRoot, sandboxInfo, startSession } from './harness.ts';
import { formatSize } from '../../src/views/captureFiles.ts';
import { compareWithFile, cutNumbers, openProfile, setEditorWidth, viewerFrame, waitForSource } from './viewerSteps.ts';
import { withOperatorForward } from './runbookSteps.ts';
import type { BrowserWindow } from './browserGlobals.ts';

// page.evaluate callbacks run in Chromium; see browserGlobals.ts.
declare const window: BrowserWindow;

const testdata = join(repoRoot, 'test', 'unit', 'testdata');
const settings = { 'remote.autoForwardPorts': false };

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface FlameProbe {
  label(i: number): string;
  describe(i: number): string[];
  locate(i: number): Rect | undefined;
  layout: { n: number; parent: Int32Array; data: { depth: Uint16Array | Int32Array } };
}

/** Frames drawn at least `minWidth` px wide, with depth, location and their parent's location. */
async function drawnFrames(frame: Frame, minWidth: number) {
  return frame.evaluate((minW) => {
    const f = (window.__profileApp as { flame: FlameProbe }).flame;
    const loc = (i: number) => {
      const d = f.describe(i);
      return d.length > 1 && /:\d+$/.test(d[1]) ? d[1] : '';
    };
    const out: { node: number; name: string; depth: number; loc: string; parentLoc: string; rect: Rect }[] = [];
    for (let i = 1; i < f.layout.n; i++) {
      const r = f.locate(i);
      if (!r || r.w < minW) continue;
      out.push({ node: i, name: f.label(i), depth: f.layout.data.depth[i], loc: loc(i), parentLoc: loc(f.layout.parent[i]), rect: r });
    }
    return out;
  }, minWidth);
}

/**
 * Where this machine holds a frame's file: the fixture's etcd was built with -trimpath, so its frames say
 * `go.etcd.io/etcd/server/v3@v3.6.16/embed/etcd.go` (module cache) or `bufio/bufio.go` (GOROOT/src).
 */
const goEnv = (() => {
  try {
    const [modcache, goroot] = execFileSync('go', ['env', 'GOMODCACHE', 'GOROOT'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } }).trim().split('\n');
    return { modcache, goroot };
  } catch {
    return { modcache: join(process.env.HOME ?? '/root', 'go', 'pkg', 'mod'), goroot: '/usr/local/go' };
  }
})();
function localFile(file: string): string | undefined {
  const candidates = isAbsolute(file) ? [file] : [join(goEnv.modcache, file), join(goEnv.goroot, 'src', file)];
  return candidates.find((c) => existsSync(c));
}

function fileAndLine(loc: string): { file: string; line: number } {
  const m = /^(.*):(\d+)$/.exec(loc);
  assert.ok(m, `a file:line location: ${loc}`);
  return { file: m[1], line: Number(m[2]) };
}

async function canvasBox(frame: Frame): Promise<Rect> {
  const b = await frame.locator('canvas.flame-canvas').boundingBox();
  assert.ok(b);
  return { x: b.x, y: b.y, w: b.width, h: b.height };
}

test('double-click on a deep flame frame opens that frame, as Ctrl+click, Shift+Enter and the Top link do', { timeout: 8 * 60_000 }, async () => {
  const session = await startSession({ name: 'first-hour-dblclick', workspace: repoRoot, settings });
  try {
    await session.openProfilerView();
    await setEditorWidth(session, 1000);
    const frame = await openProfile(session, join(testdata, 'etcd.cpu.pb.gz'));
    await session.page.waitForTimeout(500);
    // The deepest frame at depth >= 4 whose source is on this machine and whose parent lives in another file.
    const frames = (await drawnFrames(frame, 40)).filter(
      (f) => f.depth >= 4 && f.loc && f.parentLoc && fileAndLine(f.loc).file !== fileAndLine(f.parentLoc).file && localFile(fileAndLine(f.loc).file) !== undefined,
    );
    assert.ok(frames.length > 0, 'the flame graph draws a frame at depth >= 4 whose parent is in another file');
    const target = frames.sort((a, b) => b.depth - a.depth || b.rect.w - a.rect.w)[0];
    const want = fileAndLine(target.loc);
    const wantName = basename(want.file);
    console.log(`target: ${target.name} at depth ${target.depth}, ${target.loc}; parent at ${target.parentLoc}`);

    const canvas = await canvasBox(frame);
    const x = canvas.x + target.rect.x + Math.min(target.rect.w / 2, 30);
    const y = canvas.y + target.rect.y + target.rect.h / 2;
    // A double-click as the browser sends it: the first click (which zooms and grows the breadcrumb), then
    // the second one as a double-click. Between them the canvas must stay under the pointer.
    await session.page.mouse.move(x, y);
    await session.page.mouse.down();
    await session.page.mouse.up();
    await session.page.waitForTimeout(150);
    const afterFirstClick = await canvasBox(frame);
    await session.page.mouse.down({ clickCount: 2 });
    await session.page.mouse.up({ clickCount: 2 });
    assert.deepEqual(afterFirstClick, canvas, 'the canvas did not move when the first click zoomed and the breadcrumb changed');
    await waitForSource(session, wantName, want.line);
    await session.page.waitForTimeout(500);
    await session.screenshot('e2e-first-hour-dblclick');

    // Ctrl+click on the same frame (zoom reset first) opens the same place.
    const back = async () => {
      await (await session.waitForEditorTab('etcd.cpu.pb.gz')).click();
      const f = await viewerFrame(session, 'etcd.cpu.pb.gz');
      await f.locator('canvas.flame-canvas').focus();
      await session.page.keyboard.press('Escape');
      return f;
    };
    let f = await back();
    const at = async (fr: Frame) => {
      const c = await canvasBox(fr);
      const r = (await drawnFrames(fr, 1)).find((d) => d.node === target.node);
      assert.ok(r, 'the target frame is drawn again after the zoom reset');
      return { x: c.x + r.rect.x + Math.min(r.rect.w / 2, 30), y: c.y + r.rect.y + r.rect.h / 2 };
    };
    let p = await at(f);
    await session.page.keyboard.down('Control');
    await session.page.mouse.click(p.x, p.y);
    await session.page.keyboard.up('Control');
    await waitForSource(session, wantName, want.line);

    // A click selects (and zooms); Shift+Enter opens the selected frame.
    f = await back();
    p = await at(f);
    await session.page.mouse.click(p.x, p.y);
    await session.page.keyboard.press('Shift+Enter');
    await waitForSource(session, wantName, want.line);

    // The Top table's location link of the same function.
    f = await back();
    await f.locator('vscode-panel-tab#tab-top').click();
    await f.locator('vscode-text-field.search input').fill(`^${target.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const row = f.locator('vscode-data-grid-row').nth(1);
    await row.waitFor({ timeout: 10_000 });
    await row.locator('vscode-data-grid-cell[grid-column="6"]').click();
    await waitForSource(session, wantName, want.line);
  } finally {
    await session.close();
  }
});

test('the Top table shows every number whole at a 1000 px editor, plain and compared', { timeout: 8 * 60_000 }, async () => {
  const session = await startSession({ name: 'first-hour-top', workspace: repoRoot, settings });
  try {
    await session.openProfilerView();
    await setEditorWidth(session, 1000);
    const frame = await openProfile(session, join(testdata, 'operator.heap.pb.gz'));
    await frame.locator('vscode-panel-tab#tab-top').click();
    await frame.locator('vscode-data-grid-row').nth(10).waitFor({ timeout: 30_000 });
    await session.page.waitForTimeout(800);
    await session.screenshot('e2e-first-hour-top-plain');
    const plain = await cutNumbers(frame, 4);
    assert.ok(plain.checked >= 40, `numeric cells checked: ${plain.checked}`);
    assert.deepEqual(plain.cut, [], 'no number is cut off in the plain table');
    // A location shortened in the middle keeps file and line, and shows the whole path on hover.
    const shortened = frame.locator('vscode-data-grid-cell[grid-column="6"]', { hasText: '…' }).first();
    const shown = (await shortened.innerText()).trim();
    assert.match(shown, /…[^…]*\.go:\d+$/);
    await shortened.hover();
    const full = (await shortened.getAttribute('title')) ?? '';
    assert.ok(full.startsWith('/') && !full.includes('…') && full.endsWith(shown.slice(shown.indexOf('…') + 1)), `hover shows ${full} for ${shown}`);

    await compareWithFile(session, frame, join(testdata, 'operator.allocs.pb.gz'));
    await frame.locator('.hd-key', { hasText: 'compared with' }).waitFor({ timeout: 30_000 });
    await frame.locator('vscode-panel-tab#tab-top').click();
    await frame.locator('vscode-data-grid-cell[cell-type="columnheader"]', { hasText: 'delta' }).waitFor({ timeout: 10_000 });
    await frame.locator('vscode-data-grid-row').nth(10).waitFor({ timeout: 30_000 });
    await session.page.waitForTimeout(800);
    await session.screenshot('e2e-first-hour-top-compare');
    const compared = await cutNumbers(frame, 5);
    assert.ok(compared.checked >= 50, `numeric cells checked: ${compared.checked}`);
    assert.deepEqual(compared.cut, [], 'no number (delta included) is cut off in the comparison');
  } finally {
    await session.close();
  }
});

test('an empty block profile names its kind and says why it is empty; the pprof index marks it off', { timeout: 8 * 60_000 }, async () => {
  const session = await startSession({ name: 'first-hour-empty', workspace: repoRoot, settings });
  try {
    await session.openProfilerView();
    const frame = await openProfile(session, join(testdata, 'etcd.block.pb.gz'));
    const header = await frame.locator('.profile-header').innerText();
    assert.match(header, /kind\s+block(?!\s+or)/, `the header names the kind: ${header}`);
    const message = await frame.locator('.messages').innerText();
    assert.match(message, /block profile has no samples/);
    assert.match(message, /runtime\.SetBlockProfileRate/);
    assert.match(message, /etcd does not/);
    await session.page.waitForTimeout(500);
    await session.screenshot('e2e-first-hour-empty-block');

    // The sandbox's etcd members do not set a block profile rate: their index counts 0 block records.
    sandboxInfo();
    await session.runCommand('etcd Profiler: Open pprof Index');
    await session.pickQuickItem('etcd-master-0');
    const block = session.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Block profile' }).first();
    await block.waitFor({ state: 'visible', timeout: 90_000 });
    const text = (await block.innerText()).replace(/\s+/g, ' ');
    assert.match(text, /block: 0 · off/, `the index marks block off: ${text}`);
    assert.match(text, /SetBlockProfileRate/);
    await session.screenshot('e2e-first-hour-pprof-index');
    await session.page.keyboard.press('Escape');
  } finally {
    await session.close();
  }
});

/** Two heap captures of the sandbox's operator (kubectl port-forward + curl, as the runbook does). */
async function operatorHeaps(): Promise<{ pod: string; bodies: Uint8Array[] }> {
  return withOperatorForward(async (pod, pprof) => {
    const bodies: Uint8Array[] = [];
    for (let i = 0; i < 2; i++) {
      if (i) await new Promise((r) => setTimeout(r, 1500));
      const res = await fetch(`${pprof}/heap`);
      assert.equal(res.status, 200);
      bodies.push(new Uint8Array(await res.arrayBuffer()));
    }
    return { pod, bodies };
  });
}

test('Compare with… offers earlier captures of the same kind, shows a legend and warns about another pod', { timeout: 8 * 60_000 }, async () => {
  // A workspace whose captures folder holds: two heaps of the operator pod (captured now), a cpu profile of
  // the same pod (not a base for a heap), and a heap of etcd-master-0 (another pod).
  const { pod, bodies } = await operatorHeaps();
  const workspace = mkdtempSync(join(tmpdir(), 'etcd-profiler-e2e-compare-ws-'));
  const captures = join(workspace, '.profiles', 'sandbox');
  const opDir = join(captures, 'openshift-etcd-operator', pod);
  const etcdDir = join(captures, 'openshift-etcd', 'etcd-master-0');
  mkdirSync(opDir, { recursive: true });
  mkdirSync(etcdDir, { recursive: true });
  const older = join(opDir, 'heap-2026-12-03T09-00-00Z.pb.gz');
  const newer = join(opDir, 'heap-2026-12-03T09-05-00Z.pb.gz');
  writeFileSync(older, bodies[0]);
  writeFileSync(newer, bodies[1]);
  copyFileSync(join(testdata, 'operator.cpu.pb.gz'), join(opDir, 'cpu-2026-12-03T09-01-00Z.pb.gz'));
  const otherPod = join(etcdDir, 'heap-2026-12-03T09-03-00Z.pb.gz');
  copyFileSync(join(testdata, 'etcd.heap.pb.gz'), otherPod);
  const session = await startSession({ name: 'first-hour-compare', workspace, settings });
  try {
    await session.openProfilerView();
    await setEditorWidth(session, 1000);
    const frame = await openProfile(session, newer);
    await frame.locator('vscode-button', { hasText: 'Compare with…' }).click();
    const rows = session.page.locator('.quick-input-widget .monaco-list-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    await session.page.waitForTimeout(500);
    const offered = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    await session.screenshot('e2e-first-hour-compare-picker');
    assert.equal(offered.length, 3, `two earlier heaps and Browse…: ${JSON.stringify(offered)}`);
    assert.match(offered[0], new RegExp(`^heap-2026-12-03T09-00-00Z\\.pb\\.gz.*${pod} · 2026-12-03 09:00:00 UTC · \\d`), 'the same pod first, with time and size');
    assert.ok(offered[0].includes(formatSize(statSync(older).size)), `the size ${formatSize(statSync(older).size)} is shown: ${offered[0]}`);
    assert.match(offered[1], /^heap-2026-12-03T09-03-00Z\.pb\.gz.*etcd-master-0 · 2026-12-03 09:03:00 UTC/, 'then the other pod');
    assert.match(offered[2], /Browse…/);
    await session.pickQuickItem('heap-2026-12-03T09-00-00Z.pb.gz');
    await frame.locator('.hd-key', { hasText: 'compared with' }).waitFor({ timeout: 30_000 });
    const legend = frame.locator('.legend');
    await legend.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await legend.innerText(), /red: grew[\s\S]*green: shrank/);
    assert.equal(await frame.locator('.messages .warning').count(), 0, 'no warning for a base of the same pod and kind');
    await session.page.waitForTimeout(800);
    await session.screenshot('e2e-first-hour-compare-legend');

    // A base from another pod: compared, with a warning.
    await frame.locator('vscode-button', { hasText: 'End compare' }).click();
    await frame.locator('vscode-button', { hasText: 'Compare with…' }).click();
    await session.pickQuickItem('heap-2026-12-03T09-03-00Z.pb.gz');
    const warning = frame.locator('.messages .warning', { hasText: 'another' }).or(frame.locator('.messages .warning', { hasText: 'etcd-master-0' }));
    await warning.first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await warning.first().innerText(), new RegExp(`captured from openshift-etcd/etcd-master-0, this profile from openshift-etcd-operator/${pod}`));
    await session.page.waitForTimeout(500);
    await session.screenshot('e2e-first-hour-compare-other-pod');
  } finally {
    await session.close();
    rmSync(workspace, { recursive: true, force: true });
  }
});
