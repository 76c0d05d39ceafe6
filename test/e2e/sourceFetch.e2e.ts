// Source at the exact version, in code-server: a heap capture of the sandbox member etcd-master-0 (etcd v3.6.16,
// built -trimpath), taken from the Pods view into a workspace that holds no etcd source, with an empty module cache
// (GOMODCACHE) and fresh extension storage. The capture's sidecar records etcd's version. Double-clicking a deep
// etcd frame shows the fetch progress, then opens go.etcd.io/etcd/server/v3@v3.6.16's file read-only at the
// function's first line, the tab titled `file.go — go.etcd.io∕etcd∕server∕v3@v3.6.16`; typing changes nothing; the
// note on OpenShift's fork shows. Screenshots: test-results/e2e-source-fetch-*.png.
// Second test: a main-module frame (no version in its -trimpath build path) of a real program's CPU profile opens
// at the version its capture sidecar names (`mainModules`), fetched from a local module proxy that publishes the
// program's source (GOPROXY=local,public and GONOSUMDB for it, in the extension host's environment). The sidecar
// is written by the test, as a capture from a cluster would have written it. The third asks for the main module's
// version; the fourth cancels a fetch from its progress notification, then tries in Restricted Mode.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseCaptureMeta, sidecarPath } from '../../src/profile/captureMeta.ts';
import { decodeProfile } from '../../src/profile/decode.ts';
import { classifyBuildPath } from '../../src/source/modules.ts';
import { startGoProxy, UPSTREAM } from '../integration/helpers/goProxy.ts';
import { buildAndProfile, GO, MAIN, mainModule } from '../integration/helpers/srcprog.ts';
import { startSession, waitFor, type Session } from './harness.ts';
import { openProfile, viewerFrame, waitForSource } from './viewerSteps.ts';
import type { BrowserWindow } from './browserGlobals.ts';

declare const window: BrowserWindow;

interface Probe {
  describe(i: number): string[];
  label(i: number): string;
  locate(i: number): { x: number; y: number; w: number; h: number } | undefined;
  layout: { n: number; data: { depth: ArrayLike<number> } };
}

/** Sets variables of this process's environment (the extension host inherits it); returns what undoes it. */
function setEnv(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** Double-clicks the flame graph's widest-enough `main.work` frame in the viewer of `fileName`. */
async function dblclickMainWork(session: Session, fileName: string): Promise<void> {
  const frame = await viewerFrame(session, fileName);
  const rect = await frame.evaluate(() => {
    const f = (window.__profileApp as { flame: Probe }).flame;
    for (let i = 1; i < f.layout.n; i++) {
      const r = f.locate(i);
      if (r && r.w >= 30 && f.label(i) === 'main.work') return r;
    }
    return undefined;
  });
  assert.ok(rect, 'main.work is drawn');
  const canvas = (await frame.locator('canvas.flame-canvas').boundingBox())!;
  await session.page.mouse.dblclick(canvas.x + rect.x + Math.min(rect.w / 2, 20), canvas.y + rect.y + rect.h / 2);
}

/**
 * What of example.com/srcprog@v0.1.0 the extension's source cache (global storage) holds: an extracted folder, a
 * complete zip in the go command's download cache, or a temporary folder. The go command's own `.partial` and
 * `.lock` files of an interrupted download are not copies (the go command resumes or replaces them).
 */
function keptCopies(session: Session): string[] {
  const cache = join(session.userData, 'User', 'globalStorage', 'etcd-profiler.etcd-profiler', 'source');
  if (!existsSync(cache)) return [];
  return readdirSync(cache, { recursive: true })
    .map(String)
    .filter((p) => /srcprog@v0\.1\.0|srcprog\/@v\/v0\.1\.0\.zip$|\.tmp-/.test(p));
}

/**
 * The main-module tests' set-up: the real program's CPU profile in a fresh workspace, its `main.work` function, a
 * local module proxy publishing the program's source, and an environment with an empty module cache that fetches
 * from that proxy. `cleanUp` closes the proxy, restores the environment and removes the folder.
 */
async function mainModuleSetup(prefix: string) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const workspace = join(work, 'workspace');
  mkdirSync(workspace);
  const { cpu } = buildAndProfile(work);
  const profile = join(workspace, 'srcprog-cpu.pb.gz');
  copyFileSync(cpu, profile);
  const fn = decodeProfile(readFileSync(profile), 'cpu').functions.find((f) => f.name === 'main.work');
  assert.ok(fn && fn.filename === 'example.com/srcprog/main.go', JSON.stringify(fn));
  const proxy = await startGoProxy([mainModule()]);
  mkdirSync(join(work, 'gomodcache'));
  const restoreEnv = setEnv({ GOMODCACHE: join(work, 'gomodcache'), GOPROXY: `${proxy.url},${UPSTREAM}`, GONOSUMDB: MAIN.path });
  const cleanUp = async () => {
    await proxy.close();
    restoreEnv();
    rmSync(work, { recursive: true, force: true });
  };
  return { workspace, profile, fn, proxy, cleanUp };
}

test('a deep etcd frame of a sandbox member capture opens the exact version fetched, read-only, titled module@version', { timeout: 10 * 60_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'ep-e2e-srcfetch-'));
  const workspace = join(work, 'workspace');
  mkdirSync(workspace);
  // The extension host inherits this environment: an empty module cache, so nothing of etcd is on this machine.
  mkdirSync(join(work, 'gomodcache'));
  const restoreEnv = setEnv({ GOMODCACHE: join(work, 'gomodcache') });
  const session = await startSession({ name: 'source-fetch', workspace });
  try {
    await session.openProfilerView();
    await session.setSideBarWidth(420);
    await session.expandAll();
    await session.contextMenu(await session.waitForTreeItem('etcd-master-0'), 'Capture', 'Heap');
    await session.waitForEditorTab(/^heap · etcd-master-0 · \d\d:\d\d/, 90_000);
    const folder = join(workspace, '.profiles', 'sandbox', 'openshift-etcd', 'etcd-master-0');
    const file = await waitFor('the heap capture', 30_000, async () => {
      const f = readdirSync(folder).find((n) => /^heap-.*\.pb\.gz$/.test(n));
      return f ? join(folder, f) : undefined;
    });
    // The capture's sidecar: etcd's version from the member's /version.
    const meta = await waitFor('the capture sidecar', 30_000, async () => (existsSync(sidecarPath(file)) ? parseCaptureMeta(readFileSync(sidecarPath(file), 'utf8')) : undefined));
    assert.equal(meta.etcdVersion, '3.6.16');
    // The Captures view lists the capture, not its sidecar.
    await session.waitForTreeItem(/heap-.*\.pb\.gz/);
    assert.deepEqual((await session.treeRows()).filter((r) => r.includes('meta.json')), []);
    const functions = new Map(decodeProfile(readFileSync(file), basename(file)).functions.map((f) => [f.name, f]));
    const frame = await viewerFrame(session);
    await frame.locator('.toolbar:not(.pending)').waitFor({ timeout: 30_000 });
    // The deepest frame of etcd's server module drawn wide enough to aim at.
    const target = await frame.evaluate(() => {
      const f = (window.__profileApp as { flame: Probe }).flame;
      let best: { name: string; depth: number; rect: { x: number; y: number; w: number; h: number } } | undefined;
      for (let i = 1; i < f.layout.n; i++) {
        const r = f.locate(i);
        const d = f.layout.data.depth[i];
        if (!r || r.w < 30 || !f.label(i).startsWith('go.etcd.io/etcd/server/v3/')) continue;
        if (!best || d > best.depth) best = { name: f.label(i), depth: d, rect: r };
      }
      return best;
    });
    assert.ok(target && target.depth >= 4, `a deep etcd server frame is drawn (${JSON.stringify(target)})`);
    const fn = functions.get(target.name);
    assert.ok(fn, target.name);
    const origin = classifyBuildPath(fn.filename);
    assert.ok(origin.kind === 'module' && origin.module === 'go.etcd.io/etcd/server/v3' && origin.version === 'v3.6.16', fn.filename);
    const title = `${basename(fn.filename)} — go.etcd.io\u2215etcd\u2215server\u2215v3@v3.6.16`;

    const canvas = (await frame.locator('canvas.flame-canvas').boundingBox())!;
    await session.page.mouse.dblclick(canvas.x + target.rect.x + Math.min(target.rect.w / 2, 20), canvas.y + target.rect.y + target.rect.h / 2);
    // The progress notification, while the module downloads.
    let sawProgress = false;
    const seen = new Set<string>();
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && !(await session.editorTabs()).some((t) => t.includes(title))) {
      const notes = await session.notifications();
      notes.forEach((n) => seen.add(n));
      if (!sawProgress && notes.some((n) => n.includes('Fetching go.etcd.io/etcd/server/v3@v3.6.16'))) {
        sawProgress = true;
        await session.screenshot('e2e-source-fetch-progress');
      }
      await session.page.waitForTimeout(100);
    }
    assert.ok(sawProgress, 'a progress notification named the module version while it was fetched');
    await waitForSource(session, title, fn.startLine, 60_000);
    const name = target.name.slice(target.name.lastIndexOf('.') + 1);
    assert.match(await session.activeEditorText(), new RegExp(`func .*${name}\\(`), `the function ${name} is on screen`);
    // The note on OpenShift's fork (an information toast, shown as the file opens).
    for (let i = 0; i < 50 && ![...seen].some((n) => /OpenShift builds etcd from its own fork/.test(n)); i++) {
      (await session.notifications()).forEach((n) => seen.add(n));
      await session.page.waitForTimeout(100);
    }
    await session.screenshot('e2e-source-fetch-opened');
    assert.ok([...seen].some((n) => /OpenShift builds etcd from its own fork/.test(n)), JSON.stringify([...seen]));
    // Read-only: typing leaves the text as it was.
    await session.page.keyboard.type('ZQZQ');
    await session.page.waitForTimeout(500);
    assert.doesNotMatch(await session.activeEditorText(), /ZQZQ/);
  } finally {
    await session.close();
    restoreEnv();
    rmSync(work, { recursive: true, force: true });
  }
});

test('a main-module frame opens at the version the capture sidecar names, fetched from the GOPROXY in the environment', { timeout: 10 * 60_000 }, async () => {
  const { workspace, profile, fn, proxy, cleanUp } = await mainModuleSetup('ep-e2e-srcmain-');
  const goVersion = execFileSync(GO, ['env', 'GOVERSION'], { env: { ...process.env, GOTOOLCHAIN: 'local' } }).toString().trim();
  writeFileSync(sidecarPath(profile), JSON.stringify({ goVersion, mainModules: [`${MAIN.path}@${MAIN.version}`] }));
  const session = await startSession({ name: 'source-fetch-main', workspace });
  try {
    await session.openProfilerView();
    await openProfile(session, profile);
    await dblclickMainWork(session, basename(profile));
    await waitForSource(session, `main.go — example.com\u2215srcprog@${MAIN.version}`, fn.startLine, 120_000);
    assert.match(await session.activeEditorText(), /func work\(d time\.Duration\)/);
    assert.ok(proxy.requests.some((r) => r.startsWith('/example.com/srcprog/@v/v0.1.0.')), proxy.requests.join(' '));
    await session.screenshot('e2e-source-fetch-main-module');
  } finally {
    await session.close();
    await cleanUp();
  }
});

// Third: the same main-module frame in a profile without a sidecar. The viewer asks once for the main module's
// PATH@VERSION (an input box), opens the file at that version, and remembers the answer in the capture's sidecar:
// the next double-click opens it without asking.
test('a main-module frame without a recorded version: asked once, remembered in the sidecar', { timeout: 10 * 60_000 }, async () => {
  const { workspace, profile, fn, cleanUp } = await mainModuleSetup('ep-e2e-srcask-');
  const session = await startSession({ name: 'source-fetch-ask', workspace });
  const title = `main.go — example.com\u2215srcprog@${MAIN.version}`;
  try {
    await session.openProfilerView();
    await openProfile(session, profile);
    await dblclickMainWork(session, basename(profile));
    const input = session.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await input.inputValue(), 'example.com/srcprog@v', 'the input starts from the file\'s folder');
    await session.screenshot('e2e-source-fetch-ask');
    await input.fill(`${MAIN.path}@${MAIN.version}`);
    await input.press('Enter');
    await waitForSource(session, title, fn.startLine, 120_000);
    assert.deepEqual(parseCaptureMeta(readFileSync(sidecarPath(profile), 'utf8')).mainModules, [`${MAIN.path}@${MAIN.version}`]);
    // Again, from the viewer: no question this time.
    await (await session.waitForEditorTab('srcprog-cpu.pb.gz')).click();
    await session.page.waitForTimeout(500);
    assert.equal(await input.isVisible(), false, 'no quick input is open before the second double-click');
    await dblclickMainWork(session, basename(profile));
    const asked = await input.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false);
    assert.equal(asked, false, 'not asked twice');
    await waitForSource(session, title, fn.startLine, 60_000);
  } finally {
    await session.close();
    await cleanUp();
  }
});

// Fourth: a fetch the user stops, then Restricted Mode. The local proxy sends half of the module zip and holds the
// rest, as a slow link does; the progress notification's Cancel stops the download: no editor opens, no error toast,
// nothing of the module is left in the extension's source cache, and the next double-click (the link fast again)
// downloads and opens it. In an untrusted folder (workspace trust on, Restricted Mode) the same double-click says
// that fetching is off there and how to get the file, and the proxy gets no request.
test('a fetch cancelled from its progress notification leaves nothing behind; Restricted Mode does not fetch', { timeout: 10 * 60_000 }, async () => {
  const { workspace, profile, fn, proxy, cleanUp } = await mainModuleSetup('ep-e2e-srccancel-');
  const goVersion = execFileSync(GO, ['env', 'GOVERSION'], { env: { ...process.env, GOTOOLCHAIN: 'local' } }).toString().trim();
  writeFileSync(sidecarPath(profile), JSON.stringify({ goVersion, mainModules: [`${MAIN.path}@${MAIN.version}`] }));
  const title = `main.go — example.com\u2215srcprog@${MAIN.version}`;
  const zipRequests = () => proxy.requests.filter((r) => r === `/example.com/srcprog/@v/${MAIN.version}.zip`).length;
  try {
    proxy.stallZips = true;
    let session = await startSession({ name: 'source-fetch-cancel', workspace });
    try {
      await session.openProfilerView();
      await openProfile(session, profile);
      await dblclickMainWork(session, basename(profile));
      const progress = session.page.locator('.notification-toast', { hasText: `Fetching ${MAIN.path}@${MAIN.version}` }).first();
      await progress.waitFor({ state: 'visible', timeout: 60_000 });
      await waitFor('the download to start (the proxy got the zip request)', 60_000, async () => (zipRequests() > 0 ? true : undefined));
      await session.page.waitForTimeout(500); // the toast has slid in
      await session.screenshot('e2e-source-fetch-cancel-progress');
      await progress.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
      await progress.waitFor({ state: 'hidden', timeout: 30_000 });
      await session.page.waitForTimeout(2_000);
      assert.deepEqual((await session.editorTabs()).filter((t) => t.startsWith('main.go')), [], 'no source tab opened');
      assert.deepEqual((await session.notifications()).filter((n) => /srcprog|fetch/i.test(n)), [], 'cancelling is not an error: no toast');
      assert.deepEqual(keptCopies(session), [], 'no copy of the module is kept in the source cache');
      // The link is fast again: the same double-click downloads and opens it.
      proxy.stallZips = false;
      await (await session.waitForEditorTab('srcprog-cpu.pb.gz')).click();
      await dblclickMainWork(session, basename(profile));
      await waitForSource(session, title, fn.startLine, 120_000);
    } finally {
      await session.close();
    }

    // Restricted Mode: the folder is not trusted.
    const before = proxy.requests.length;
    session = await startSession({ name: 'source-fetch-restricted', workspace, workspaceTrust: true });
    try {
      await session.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 60_000 });
      await session.openProfilerView();
      await openProfile(session, profile);
      await dblclickMainWork(session, basename(profile));
      const message = await waitFor('the Restricted Mode message', 60_000, async () =>
        (await session.notifications()).find((n) => n.includes('off in Restricted Mode')),
      );
      assert.match(message, new RegExp(`example\\.com/srcprog/main\\.go is not on this machine\\. Fetching ${MAIN.path.replace('.', '\\.')}@${MAIN.version.replace(/\./g, '\\.')} is off in Restricted Mode: trust the folder, or map the build path in "etcdProfiler\\.sourcePathRewrites"`));
      await session.page.waitForTimeout(500);
      await session.screenshot('e2e-source-fetch-restricted');
      assert.deepEqual((await session.editorTabs()).filter((t) => t.startsWith('main.go')), [], 'no source tab opened');
      assert.deepEqual(proxy.requests.slice(before), [], 'the module proxy got no request');
    } finally {
      await session.close();
    }
  } finally {
    await cleanUp();
  }
});
