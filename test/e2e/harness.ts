// End-to-end harness: the packaged extension (dist/etcd-profiler.vsix) in a real code-server, driven by
// Debian's Chromium through playwright-core. Each session gets its own port, user-data, extensions and
// workspace folders, and `close()` stops code-server (its whole process group) and the browser.
//
//   const s = await startSession({ name: 'pods-view' });
//   try { await s.openProfilerView(); await s.treeItem('etcd-master-0').waitFor(); await s.screenshot('e2e-pods-view'); }
//   finally { await s.close(); }
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from 'playwright-core';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const resultsDir = join(repoRoot, 'test-results');
/** Where `npm run sandbox` writes kubeconfigs and info.json (its --data-dir; env SANDBOX_DATA_DIR). */
export const sandboxDir = process.env.SANDBOX_DATA_DIR || join(repoRoot, '.sandbox');
const vsixPath = join(repoRoot, 'dist', 'etcd-profiler.vsix');
const chromiumPath = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';

const run = promisify(execFile);

export interface SessionOptions {
  /** Names the logs and temporary folders of this session. */
  name: string;
  /** Folder opened in code-server; default: a fresh empty temporary folder. */
  workspace?: string;
  /** KUBECONFIG for code-server and so the extension host; default: the sandbox's admin kubeconfig. */
  kubeconfig?: string;
  /** Extra user settings, merged over the harness's defaults. */
  settings?: Record<string, unknown>;
  /** Browser viewport; default 1400×900. */
  viewport?: { width: number; height: number };
  /**
   * Workspace trust on (`security.workspace.trust.enabled`, no --disable-workspace-trust): the folder opens in
   * Restricted Mode until trusted. Default off, as most tests are not about trust.
   */
  workspaceTrust?: boolean;
}

/** The sandbox's info.json (written by `npm run sandbox` when it is ready). */
export interface SandboxInfo {
  server: string;
  id: number;
  nodes: { name: string; ip: string }[];
  pods: { namespace: string; name: string; node: string }[];
}

/** Reads .sandbox/info.json, or throws saying how to start the sandbox. */
export function sandboxInfo(): SandboxInfo {
  const file = join(sandboxDir, 'info.json');
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: the sandbox is not running (start it with 'npm run sandbox')`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as SandboxInfo;
}

interface CodeServerInstall {
  node: string;
  entry: string;
}

let install: Promise<CodeServerInstall> | undefined;

/** Installs code-server into the cache when missing (scripts/code-server.sh) and returns how to run it. */
export function codeServer(): Promise<CodeServerInstall> {
  install ??= (async () => {
    const { stdout } = await run('bash', [join(repoRoot, 'scripts/code-server.sh')], {
      maxBuffer: 1 << 20,
      timeout: 30 * 60_000,
    });
    const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(stdout)?.[1];
    const node = value('NODE');
    const entry = value('ENTRY');
    if (!node || !entry) throw new Error(`scripts/code-server.sh printed no NODE=/ENTRY=: ${stdout}`);
    return { node, entry };
  })();
  return install;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

// The demo's user settings (scripts/code-server-settings.json: no toasts or Ports badge for the extension's own
// forwards, no walkthroughs) plus the test's own: no git, no window restore.
const defaultSettings: Record<string, unknown> = {
  ...(JSON.parse(readFileSync(join(repoRoot, 'scripts', 'code-server-settings.json'), 'utf8')) as Record<string, unknown>),
  'git.enabled': false,
  'window.restoreWindows': 'none',
};

/** Polls `probe` every `intervalMs` until it gives a value (errors count as "not yet"), or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

export class Session {
  readonly page: Page;
  readonly url: string;
  readonly workspace: string;
  readonly logFile: string;
  private readonly browser: Browser;
  private readonly server: ChildProcess;
  private readonly tempDirs: string[];
  private closed = false;

  /** code-server's --user-data-dir of this session (the extension's global storage is under User/globalStorage). */
  get userData(): string {
    return join(this.tempDirs[0], 'user-data');
  }

  constructor(init: { page: Page; url: string; workspace: string; logFile: string; browser: Browser; server: ChildProcess; tempDirs: string[] }) {
    this.page = init.page;
    this.url = init.url;
    this.workspace = init.workspace;
    this.logFile = init.logFile;
    this.browser = init.browser;
    this.server = init.server;
    this.tempDirs = init.tempDirs;
  }

  /** The side bar pane of our view container (after openProfilerView). */
  get sideBar(): Locator {
    return this.page.locator('#workbench\\.parts\\.sidebar');
  }

  /** Clicks the etcd Profiler icon in the activity bar (unless its container is already showing). */
  async openProfilerView(): Promise<void> {
    const item = this.page.locator('.activitybar li.action-item', { has: this.page.locator('a[aria-label^="etcd Profiler"]') }).first();
    await item.waitFor({ state: 'visible', timeout: 60_000 });
    if ((await item.getAttribute('aria-selected')) !== 'true') await item.click();
    await this.dismissHover();
    await this.sideBar.locator('.title-label', { hasText: /etcd Profiler/i }).first().waitFor({ timeout: 60_000 });
  }

  /** Moves the mouse off the activity bar so no hover tooltip stays in screenshots. */
  async dismissHover(): Promise<void> {
    const box = await this.page.locator('.part.editor').boundingBox();
    await this.page.mouse.move(box ? box.x + box.width / 2 : 900, box ? box.y + box.height / 2 : 450, { steps: 5 });
    await this.page.locator('.workbench-hover-container, .monaco-hover:not(.hidden)').first().waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
  }

  /**
   * Ctrl+clicks a link detected in a text editor, as a person does: the pointer rests on the link, Ctrl goes down,
   * the link turns into its active (clickable) colour, then the button is pressed. Playwright's own
   * `click({ modifiers })` races the editor here: pressing Ctrl over a link re-renders the line, so the element it
   * aimed at is gone by the time the button goes down, and it retries forever ("<html> intercepts pointer events").
   */
  async ctrlClickLink(link: Locator): Promise<void> {
    await link.waitFor();
    const box = await link.boundingBox();
    if (!box) throw new Error('the link is not visible');
    const x = box.x + Math.min(box.width / 2, 20);
    const y = box.y + box.height / 2;
    await this.page.mouse.move(x, y, { steps: 3 });
    await this.page.keyboard.down('Control');
    try {
      await this.page.locator('.editor-group-container.active .detected-link-active').first().waitFor({ timeout: 10_000 });
      await this.page.mouse.down();
      await this.page.mouse.up();
    } finally {
      await this.page.keyboard.up('Control');
    }
  }

  /** Drags the sash between the side bar and the editor so the side bar is `width` pixels wide. */
  async setSideBarWidth(width: number): Promise<void> {
    const bar = await this.sideBar.boundingBox();
    if (!bar) throw new Error('the side bar is not visible');
    const edge = bar.x + bar.width;
    let sashX: number | undefined;
    for (const sash of await this.page.locator('.monaco-sash.vertical').all()) {
      const box = await sash.boundingBox();
      if (box && box.height > bar.height / 2 && Math.abs(box.x + box.width / 2 - edge) <= 4) sashX = box.x + box.width / 2;
    }
    if (sashX === undefined) throw new Error('no sash at the side bar\'s edge');
    const y = bar.y + bar.height / 2;
    await this.page.mouse.move(sashX, y);
    await this.page.mouse.down();
    await this.page.mouse.move(bar.x + width, y, { steps: 10 });
    await this.page.mouse.up();
    await this.dismissHover();
  }

  /** A row of a tree or list in the side bar whose text contains `text` (first match). */
  treeItem(text: string | RegExp): Locator {
    return this.sideBar.locator('.monaco-list-row', { hasText: text }).first();
  }

  /** Waits for a tree row with this text; a good error names the rows that are there. */
  async waitForTreeItem(text: string | RegExp, timeoutMs = 60_000): Promise<Locator> {
    const row = this.treeItem(text);
    try {
      await row.waitFor({ state: 'visible', timeout: timeoutMs });
    } catch (error) {
      throw new Error(`no tree row matching ${String(text)}; rows: ${JSON.stringify(await this.treeRows())}; ${String(error)}`, { cause: error });
    }
    return row;
  }

  /** The text of every visible row in the side bar's trees. */
  async treeRows(): Promise<string[]> {
    return (await this.sideBar.locator('.monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  }

  /** Expands every collapsed row in the side bar, repeatedly, until none are left (bounded). */
  async expandAll(maxClicks = 50): Promise<void> {
    for (let i = 0; i < maxClicks; i++) {
      const collapsed = this.sideBar.locator('.monaco-list-row[aria-expanded="false"]').first();
      if ((await collapsed.count()) === 0) return;
      await collapsed.locator('.monaco-tl-twistie').click();
      await this.page.waitForTimeout(150);
    }
  }

  /** Runs a command from the palette by its title as shown there, e.g. "etcd Profiler: Refresh". */
  async runCommand(title: string): Promise<void> {
    await this.page.locator('.monaco-workbench').first().focus().catch(() => undefined);
    const input = this.page.locator('.quick-input-widget input.input');
    const option = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    // F1 pressed while a webview has the focus can stay in the webview, and a webview that finishes loading
    // takes the focus and closes the palette: then give the focus back to the workbench (the active tab,
    // else the status bar's empty part) and start again (bounded).
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('F1');
      const ran = await (async () => {
        await input.waitFor({ state: 'visible', timeout: 10_000 });
        await input.fill('>' + title, { timeout: 10_000 });
        await option.waitFor({ state: 'visible', timeout: 20_000 });
        await option.click({ timeout: 10_000 });
      })().then(
        () => true,
        (error: unknown) => {
          if (attempt === 3) throw new Error(`the command palette did not run "${title}" in three attempts: ${String(error)}`, { cause: error });
          return false;
        },
      );
      if (ran) return;
      await this.page.keyboard.press('Escape');
      const tab = this.page.locator('.tabs-container .tab.active').first();
      if (await tab.isVisible().catch(() => false)) await tab.click();
      else await this.page.locator('.part.statusbar').first().click({ position: { x: 600, y: 10 } }).catch(() => undefined);
    }
  }

  /** Answers an open quick pick by choosing the row containing `text`. */
  async pickQuickItem(text: string | RegExp): Promise<void> {
    const option = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
    await option.waitFor({ state: 'visible', timeout: 30_000 });
    await option.click();
  }

  /**
   * Right-clicks `target` and chooses the context-menu entry `label` (submenus: several labels in order),
   * walking the menu with the keyboard: Down until the focused entry is the label, Right to open a submenu,
   * Enter on the last label. (Mouse clicks on submenu entries were not taken by the menu in code-server.)
   */
  async contextMenu(target: Locator, ...labels: string[]): Promise<void> {
    await this.menuTo(target, ...labels);
    await this.page.keyboard.press('Enter');
    await this.page.waitForTimeout(300);
  }

  /** As contextMenu, but stops with the last label focused, before its Enter (a bench times from that key). */
  async menuTo(target: Locator, ...labels: string[]): Promise<void> {
    const page = this.page;
    // A webview that finishes loading takes the focus, which closes a menu opened a moment before: right-click
    // again (bounded) until the menu stays.
    for (let attempt = 1; ; attempt++) {
      await target.click({ button: 'right' });
      const shown = await page.locator('.monaco-menu').first().waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false);
      if (shown) break;
      if (attempt === 3) throw new Error('the context menu did not open after 3 right-clicks');
    }
    for (const [i, label] of labels.entries()) {
      let found = false;
      for (let n = 0; n < 20 && !found; n++) {
        await page.keyboard.press('ArrowDown');
        await page.waitForTimeout(100);
        const focused = (await page.locator('.monaco-menu .action-item.focused').last().innerText().catch(() => '')).trim();
        found = focused === label || focused.startsWith(label);
      }
      if (!found) throw new Error(`menu entry ${label} not found`);
      if (i < labels.length - 1) {
        await page.keyboard.press('ArrowRight');
        await page.waitForTimeout(300);
      }
    }
  }

  /**
   * Titles of the open editor tabs, in order, as the tab shows them (its label; the aria-label of a custom
   * editor keeps the file's name even when the extension renamed the tab).
   */
  async editorTabs(): Promise<string[]> {
    const tabs = await this.page.locator('.tabs-container .tab').all();
    return Promise.all(
      tabs.map(async (tab) => {
        // The name and its extension (`note` + `.md`) are separate elements: their texts joined, without the
        // description a tab may add.
        const parts = await tab.locator('.monaco-icon-name-container, .monaco-icon-suffix-container').allTextContents();
        const shown = parts.join('').replace(/\s+/g, ' ').trim();
        return shown || (await tab.getAttribute('aria-label')) || (await tab.innerText()).trim();
      }),
    );
  }

  /** Waits for an editor tab whose title contains `text`. */
  async waitForEditorTab(text: string | RegExp, timeoutMs = 60_000): Promise<Locator> {
    const tab = this.page.locator('.tabs-container .tab', { hasText: text }).first();
    try {
      await tab.waitFor({ state: 'visible', timeout: timeoutMs });
    } catch (error) {
      throw new Error(`no editor tab matching ${String(text)}; tabs: ${JSON.stringify(await this.editorTabs())}; ${String(error)}`, { cause: error });
    }
    return tab;
  }

  /** The text lines Monaco renders for the active text editor (only the visible part of the file). */
  async activeEditorText(timeoutMs = 10_000): Promise<string> {
    // A tab can show before Monaco has rendered its lines: wait (bounded) for text to appear.
    const lines = this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    const deadline = Date.now() + timeoutMs;
    let text: string;
    for (;;) {
      text = await lines.innerText({ timeout: Math.max(1, deadline - Date.now()) }).catch(() => '');
      if (text.trim() || Date.now() >= deadline) break;
      await this.page.waitForTimeout(100);
    }
    return text.replace(/\u00a0/g, ' '); // Monaco renders spaces as no-break spaces
  }

  /** The document of the visible webview (a webview is an iframe holding an iframe with the content). */
  webview(): FrameLocator {
    return this.page.locator('iframe.webview.ready').filter({ visible: true }).first().contentFrame().locator('iframe#active-frame').contentFrame();
  }

  /** Texts of the notification toasts currently shown. */
  async notifications(): Promise<string[]> {
    return (await this.page.locator('.notification-toast .notification-list-item-message').allInnerTexts()).map((t) => t.trim());
  }

  /** Saves a full-page PNG as test-results/<name>.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, name.endsWith('.png') ? name : `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Stops the browser and code-server (its whole process group) and removes the temporary folders. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.browser.close().catch(() => undefined);
    await stopProcessGroup(this.server);
    for (const dir of this.tempDirs) {
      rmSync(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    }
  }
}

// code-server runs detached (its own process group, so close() can stop its children too): make sure no
// group outlives this process, whether it exits or is interrupted.
const live = new Set<ChildProcess>();
const liveDirs = new Set<string>();
function killAll(): void {
  for (const child of live) killGroup(child, 'SIGKILL');
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
}
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup(child, 'SIGKILL'); // stray children of an exited leader
    live.delete(child);
    return;
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  killGroup(child, 'SIGKILL'); // the extension host and other children, if any outlived the leader
  live.delete(child);
}

/** Logs in on code-server's password page, which then leads to `to` (relative to the root). */
export async function logIn(page: Page, url: string, password: string, to: string): Promise<void> {
  await page.goto(`${url}login?to=${encodeURIComponent(to)}`, { waitUntil: 'domcontentloaded', timeout: 120_000 });
  await page.locator('input[name="password"]').fill(password);
  await page.locator('input[type="submit"]').click();
}

/** Starts code-server with the packaged extension and opens it in Chromium. */
export async function startSession(options: SessionOptions): Promise<Session> {
  if (!existsSync(vsixPath)) throw new Error(`${vsixPath} is missing: run 'npm run package' first`);
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium`);
  const kubeconfig = options.kubeconfig ?? join(sandboxDir, 'kubeconfig');
  const { node, entry } = await codeServer();

  const safeName = options.name.replace(/[^\w.-]+/g, '-');
  const base = mkdtempSync(join(tmpdir(), `etcd-profiler-e2e-${safeName}-`));
  const tempDirs = [base];
  liveDirs.add(base);
  const userData = join(base, 'user-data');
  const extensions = join(base, 'extensions');
  const workspace = options.workspace ?? join(base, 'workspace');
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(extensions, { recursive: true });
  mkdirSync(workspace, { recursive: true });
  const trustSettings = options.workspaceTrust ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' } : {};
  const settingsJson = JSON.stringify({ ...defaultSettings, ...trustSettings, ...options.settings }, null, 2);
  writeFileSync(join(userData, 'User', 'settings.json'), settingsJson);
  // code-server is a remote: machine-scoped settings (etcdProfiler.kubeconfig, capturesFolder, …) are read from
  // the remote's Machine settings, not the browser-side User settings, so the harness writes both.
  mkdirSync(join(userData, 'Machine'), { recursive: true });
  writeFileSync(join(userData, 'Machine', 'settings.json'), settingsJson);

  const logsDir = join(resultsDir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const logFile = join(logsDir, `${safeName}-code-server.log`);

  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` };
  delete env.VSCODE_IPC_HOOK_CLI;
  // code-server runs as this (root) user and serves a terminal: never without a password, even on 127.0.0.1.
  const password = randomBytes(18).toString('base64url');
  const common = ['--user-data-dir', userData, '--extensions-dir', extensions];
  await run(node, [entry, ...common, '--install-extension', vsixPath], { env, timeout: 120_000 }).catch((error: unknown) => {
    throw new Error(`code-server --install-extension failed: ${String(error)}`, { cause: error });
  });

  const port = await freePort();
  const log = openSync(logFile, 'w');
  const server = spawn(
    node,
[
      entry,
      '--auth', 'password',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--ignore-last-opened',
      ...common,
      workspace,
    ],
    { env: { ...env, PASSWORD: password }, detached: true, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  live.add(server);
  const url = `http://127.0.0.1:${port}/`;

  let browser: Browser | undefined;
  try {
    await waitFor(`code-server on ${url} (log: ${logFile})`, 60_000, async () => {
      if (server.exitCode !== null) throw new Error(`code-server exited with ${server.exitCode}; see ${logFile}`);
      const response = await fetch(new URL('healthz', url));
      return response.ok ? true : undefined;
    });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-dev-shm-usage'],
    });
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await logIn(page, url, password, `./?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench .activitybar').waitFor({ state: 'visible', timeout: 120_000 });
    return new Session({ page, url, workspace, logFile, browser, server, tempDirs });
  } catch (error) {
    await browser?.close().catch(() => undefined);
    await stopProcessGroup(server);
    for (const dir of tempDirs) {
      rmSync(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    }
    throw error;
  }
}
