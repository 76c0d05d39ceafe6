// Steps of the profile viewer's e2e tests: open a profile through the file dialog, find the viewer's
// webview frame, size the editor, read which file and line the active editor shows.
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { captureTitle } from '../../src/capture/save.ts';
import { waitFor, type Session } from './harness.ts';
import type { BrowserWindow } from './browserGlobals.ts';

// page.evaluate callbacks run in Chromium; see browserGlobals.ts.
declare const window: BrowserWindow;

/** The content frame of the profile viewer's webview that shows `fileName` (any viewer when omitted). */
export async function viewerFrame(s: Session, fileName?: string): Promise<Frame> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    for (const f of s.page.frames()) {
      const shown = await f
        .evaluate(() => {
          const w = window as unknown as { __profileApp?: unknown; __profilePerf?: unknown; document: { querySelector(s: string): { textContent: string | null } | null } };
          return typeof w.__profileApp === 'object' && !!w.__profilePerf ? (w.document.querySelector('.hd-file')?.textContent ?? '') : undefined;
        })
        .catch(() => undefined);
      if (shown !== undefined && (fileName === undefined || shown === fileName)) return f;
    }
    await s.page.waitForTimeout(250);
  }
  throw new Error(`the profile viewer webview did not render ${fileName ?? 'a profile'}`);
}

/** Answers the simple file dialog (code-server has no native one) with a path. */
export async function answerFileDialog(s: Session, path: string): Promise<void> {
  const input = s.page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  // The dialog first fills in its starting folder; typing before that would be overwritten.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !(await input.inputValue()).startsWith('/')) await s.page.waitForTimeout(200);
  for (let attempt = 0; attempt < 5; attempt++) {
    await input.fill(path);
    await s.page.waitForTimeout(1000);
    if ((await input.inputValue()) === path) break;
  }
  assert.equal(await input.inputValue(), path);
  await input.press('Enter');
  // Enter can land on the dialog's completion list instead; its OK button accepts the typed path.
  const widget = s.page.locator('.quick-input-widget');
  for (let attempt = 0; attempt < 3 && (await widget.isVisible()); attempt++) {
    await s.page.waitForTimeout(1500);
    if (!(await widget.isVisible())) break;
    const ok = widget.locator('.monaco-button', { hasText: /^OK$/ });
    if (await ok.isVisible()) await ok.click();
    else await input.press('Enter');
  }
}

/** Opens a profile file in the viewer (palette → Open Profile… → file dialog) and waits for its toolbar. */
export async function openProfile(s: Session, path: string): Promise<Frame> {
  await s.runCommand('etcd Profiler: Open Profile…');
  await answerFileDialog(s, path);
  // A file named like a capture is titled by kind, pod and time (`heap · etcd-master-0 · 09:07`).
  await s.waitForEditorTab(captureTitle(path) ?? basename(path));
  const frame = await viewerFrame(s, basename(path));
  await frame.locator('.toolbar:not(.pending)').waitFor({ timeout: 30_000 });
  return frame;
}

/** Drags the side bar's edge so the editor area is `width` CSS pixels wide (±2). */
export async function setEditorWidth(s: Session, width: number): Promise<void> {
  const editor = async () => (await s.page.locator('.part.editor').boundingBox())!.width;
  const bar = (await s.sideBar.boundingBox())!;
  await s.setSideBarWidth(bar.width + (await editor()) - width);
  const w = await editor();
  assert.ok(Math.abs(w - width) <= 2, `editor is ${w} px wide, wanted ${width}`);
}

/** Title of the active editor tab and the cursor's line from the status bar. */
export async function activeEditor(s: Session): Promise<{ title: string; line: number }> {
  const title = ((await s.page.locator('.editor-group-container.active .tabs-container .tab.active').first().getAttribute('aria-label')) ?? '').trim();
  const pos = await s.page.locator('.statusbar-item[id="status.editor.selection"]').innerText().catch(() => '');
  const m = /Ln (\d+),/.exec(pos);
  return { title, line: m ? Number(m[1]) : 0 };
}

/** Waits until the active editor is `fileName` at `line`; the error says what opened instead. */
export async function waitForSource(s: Session, fileName: string, line: number, timeoutMs = 20_000): Promise<void> {
  let last = { title: '', line: 0 };
  try {
    await waitFor(`${fileName}:${line} in the active editor`, timeoutMs, async () => {
      last = await activeEditor(s);
      return (last.title === fileName || last.title.startsWith(`${fileName},`) || last.title.startsWith(`${fileName} `)) && last.line === line ? true : undefined;
    });
  } catch {
    assert.fail(`expected ${fileName}:${line} to open; the active editor is ${last.title || '(none)'} at line ${last.line}`);
  }
}

/** "Compare with…" and a base file: through "Browse…" when the picker offers captures first. */
export async function compareWithFile(session: Session, frame: Frame, path: string): Promise<void> {
  await frame.locator('vscode-button', { hasText: 'Compare with…' }).click();
  const browse = session.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Browse…' }).first();
  const input = session.page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  if (await browse.isVisible({ timeout: 3_000 }).catch(() => false)) await browse.click();
  await answerFileDialog(session, path);
}

/** Numeric cells (columns 1..`columns`) of the Top table on screen whose text does not fit, and how many were checked. */
export async function cutNumbers(frame: Frame | Page, columns: number): Promise<{ checked: number; cut: string[] }> {
  return frame.evaluate((n) => {
    type El = { getAttribute(a: string): string | null; scrollWidth: number; clientWidth: number; textContent: string | null; getBoundingClientRect(): { top: number; bottom: number } };
    const doc = (window as unknown as { document: { querySelector(s: string): El; querySelectorAll(s: string): ArrayLike<El> } }).document;
    const host = doc.querySelector('.grid-host').getBoundingClientRect();
    const cut: string[] = [];
    let checked = 0;
    for (const cell of Array.from(doc.querySelectorAll('vscode-data-grid-cell'))) {
      const col = Number(cell.getAttribute('grid-column'));
      if (!(col >= 1 && col <= n)) continue;
      const r = cell.getBoundingClientRect();
      if (r.bottom <= host.top || r.top >= host.bottom) continue;
      checked++;
      if (cell.scrollWidth > cell.clientWidth) cut.push(`${(cell.textContent ?? '').trim()} (column ${col}: ${cell.scrollWidth} > ${cell.clientWidth})`);
    }
    return { checked, cut };
  }, columns);
}
