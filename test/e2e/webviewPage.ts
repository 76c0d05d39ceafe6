// The profile panel's page outside VS Code: the built bundle (dist/webview.js) and media/profile.css
// served to Chromium under the panel's real Content Security Policy, with a VS Code-like theme, and
// payloads from the host model handed over as typed arrays. Used by the flame-render benchmark and
// the hostile-names check.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { panelHtml } from '../../src/views/profilePanel/html.ts';
import type { ProfilePayload } from '../../src/protocol.ts';
import { repoRoot } from './harness.ts';
import type { BrowserDocument, BrowserWindow } from './browserGlobals.ts';

// page.evaluate callbacks run in Chromium; see browserGlobals.ts.
declare const window: BrowserWindow;
declare const document: BrowserDocument;
declare function requestAnimationFrame(cb: (t: number) => void): number;
declare function atob(s: string): string;

const ORIGIN = 'https://panel.invalid';

/** Colours of VS Code's Dark Modern and Light Modern themes, as the webview host sets them. */
const THEMES = {
  dark: {
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-editor-foreground': '#cccccc',
    '--vscode-foreground': '#cccccc',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-yellow': '#cca700',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-focusBorder': '#0078d4',
    '--vscode-editor-findMatchBackground': '#9e6a03',
    '--vscode-textLink-foreground': '#4daafc',
    '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-font-family': 'monospace',
    '--vscode-editor-font-size': '13px',
  },
  light: {
    '--vscode-editor-background': '#ffffff',
    '--vscode-editor-foreground': '#3b3b3b',
    '--vscode-foreground': '#3b3b3b',
    '--vscode-descriptionForeground': '#717171',
    '--vscode-charts-red': '#e51400',
    '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-yellow': '#bf8803',
    '--vscode-charts-orange': '#d18616',
    '--vscode-charts-green': '#388a34',
    '--vscode-charts-purple': '#652d90',
    '--vscode-focusBorder': '#005fb8',
    '--vscode-editor-findMatchBackground': '#a8ac94',
    '--vscode-textLink-foreground': '#005fb8',
    '--vscode-font-family': 'system-ui, sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-font-family': 'monospace',
    '--vscode-editor-font-size': '13px',
  },
};

export interface PanelPage {
  browser: Browser;
  page: Page;
  /** Content Security Policy violations and page errors seen so far. */
  problems: string[];
  close(): Promise<void>;
}

export async function openPanelPage(theme: 'dark' | 'light' = 'dark', viewport = { width: 1400, height: 900 }): Promise<PanelPage> {
  const bundle = join(repoRoot, 'dist', 'webview.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run 'npm run build' first`);
  const browser = await chromium.launch({
    executablePath: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  const vars = Object.entries(THEMES[theme])
    .map(([k, v]) => `${k}: ${v};`)
    .join(' ');
  await page.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/') {
      const html = panelHtml({
        cspSource: ORIGIN,
        scriptUri: `${ORIGIN}/webview.js`,
        styleUri: `${ORIGIN}/profile.css`,
        nonce: 'benchNonce123',
        title: 'bench',
      })
        .replace('<link rel="stylesheet"', `<link rel="stylesheet" href="${ORIGIN}/theme.css">\n<link rel="stylesheet"`)
        .replace('<body>', `<body class="vscode-${theme}">`);
      return route.fulfill({ contentType: 'text/html', body: html });
    }
    if (url.pathname === '/webview.js') return route.fulfill({ contentType: 'text/javascript', body: readFileSync(bundle) });
    if (url.pathname === '/profile.css') return route.fulfill({ contentType: 'text/css', body: readFileSync(join(repoRoot, 'media', 'profile.css')) });
    if (url.pathname === '/theme.css') return route.fulfill({ contentType: 'text/css', body: `html { ${vars} }` });
    return route.fulfill({ status: 404, body: '' });
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
    (window as unknown as { alert: (m: string) => void }).alert = (m: string) => console.error(`alert called: ${m}`);
    // What the panel posts to the host, for tests to read.
    const posted: unknown[] = [];
    let state: unknown;
    Object.assign(window, {
      __posted: posted,
      acquireVsCodeApi: () => ({ postMessage: (m: unknown) => posted.push(m), getState: () => state, setState: (s: unknown) => (state = s) }),
    });
  });
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction(() => (window as unknown as { __profileApp?: unknown }).__profileApp !== undefined);
  return { browser, page, problems, close: () => browser.close() };
}

type Arr = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

function pack(a: Arr | undefined): { kind: string; b64: string } | undefined {
  if (!a) return undefined;
  return { kind: a.constructor.name, b64: Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64') };
}

/**
 * Puts the payload into the page (typed arrays rebuilt there), without showing it yet. Returns
 * nothing; `deliver` then fires the message event the way VS Code delivers a postMessage.
 */
export async function stagePayload(page: Page, p: ProfilePayload): Promise<void> {
  const wire = {
    ...p,
    frames: { ...p.frames, lines: pack(p.frames.lines), pkg: pack(p.frames.pkg) },
    flame: Object.fromEntries(Object.entries(p.flame).map(([k, v]) => [k, pack(v as Arr)])),
    top: Object.fromEntries(Object.entries(p.top).map(([k, v]) => [k, pack(v as Arr)])),
  };
  await page.evaluate((w) => {
    const ctors: Record<string, new (b: ArrayBuffer) => unknown> = { Uint8Array, Uint16Array, Uint32Array, Int32Array, Float64Array };
    const unpack = (x: { kind: string; b64: string } | undefined) => {
      if (!x) return undefined;
      const bin = atob(x.b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return new ctors[x.kind](bytes.buffer);
    };
    const un = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unpack(v as { kind: string; b64: string })]));
    const f = w.frames as Record<string, unknown>;
    (window as unknown as { __staged: unknown }).__staged = {
      ...w,
      frames: { ...f, lines: unpack(f.lines as never), pkg: unpack(f.pkg as never) },
      flame: un(w.flame as Record<string, unknown>),
      top: un(w.top as Record<string, unknown>),
    };
  }, wire as unknown as Record<string, unknown>);
}

/** Fires the staged payload as a message event and resolves with ms from arrival to the frame after the first paint. */
export function deliver(page: Page): Promise<{ toPainted: number; toDrawn: number; frames: number; nodes: number }> {
  return page.evaluate(
    () =>
      new Promise<{ toPainted: number; toDrawn: number; frames: number; nodes: number }>((resolve) => {
        const w = window as unknown as { __staged: unknown; __profilePerf?: { arrived: number; drawn: number; frames: number; nodes: number } };
        const t0 = performance.now();
        window.dispatchEvent(new MessageEvent('message', { data: w.__staged }));
        // The rAF callback runs before the frame is painted; the task after it runs once it is.
        requestAnimationFrame(() =>
          setTimeout(() => {
            const perf = w.__profilePerf!;
            resolve({ toPainted: performance.now() - t0, toDrawn: perf.drawn - t0, frames: perf.frames, nodes: perf.nodes });
          }, 0),
        );
      }),
  );
}
