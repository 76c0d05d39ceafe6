// Commands of the Goroutines view and dumps: filters, open a dump, compare two dumps.
import * as vscode from 'vscode';
import { captureTitle } from '../../capture/save.ts';
import { maybeGunzip } from '../../profile/decode.ts';
import { diffGoroutineDumps, formatGoroutineDiff } from '../../profile/goroutineDiff.ts';
import { counted } from '../../profile/units.ts';
import type { GoroutineGrouper, GroupedDump } from '../../profile/goroutineWorkerClient.ts';
import { fileOf } from '../captureDocuments.ts';
import { listCaptureFiles } from '../captureFiles.ts';
import type { ProfilerContext } from '../profilerContext.ts';
import { compilePattern, type GroupFilter } from './filters.ts';
import { DIFF_SCHEME, docName, GOROUTINE_LANGUAGE, isGoroutineDump, type GoroutineModels } from './models.ts';
import type { GoroutinesView } from './panel.ts';

export async function filterByState(view: GoroutinesView): Promise<void> {
  const m = view.current;
  if (!m) return;
  const current = view.currentFilter;
  const picks = Object.entries(m.dump.states).map(([state, n]) => ({ label: state, description: counted(n, 'goroutine'), picked: current.states.includes(state) }));
  const chosen = await vscode.window.showQuickPick(picks, { canPickMany: true, title: 'Goroutines: show states (none: all)' });
  if (!chosen) return;
  view.setFilter({ ...current, states: chosen.map((c) => c.label) });
}

export async function filterByWait(view: GoroutinesView): Promise<void> {
  const current = view.currentFilter;
  const value = await vscode.window.showInputBox({
    title: 'Goroutines: blocked at least … minutes',
    prompt: 'Show groups whose longest wait reaches this many minutes (0: no filter)',
    value: String(current.minWaitMinutes),
    validateInput: (v) => (/^\d+$/.test(v.trim()) ? undefined : 'A whole number of minutes'),
  });
  if (value === undefined) return;
  view.setFilter({ ...current, minWaitMinutes: Number(value.trim()) });
}

export async function filterByFunction(view: GoroutinesView): Promise<void> {
  const current = view.currentFilter;
  const value = await vscode.window.showInputBox({
    title: 'Goroutines: function, package or file',
    prompt: 'Regular expression matched against every frame (case-insensitive); empty: no filter',
    value: current.pattern ?? '',
    validateInput: (v) => {
      try {
        compilePattern(v);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
  });
  if (value === undefined) return;
  view.setFilter({ ...current, pattern: value.trim() || undefined });
}

export function clearFilters(view: GoroutinesView): void {
  const none: GroupFilter = { states: [], minWaitMinutes: 0 };
  view.setFilter(none);
}

/**
 * Opens a dump file as text in the dump language. A file is grouped from disk in the worker first and the
 * Goroutines view shows it; then VS Code loads the text (seconds for a 100k-goroutine dump). Loading the text at
 * the same time held the view's rows back until the text was in (code-server: 2–7 s for 30 MB on the first open).
 */
export async function openDump(
  deps: { output: vscode.LogOutputChannel; models: GoroutineModels; view: GoroutinesView },
  uri?: vscode.Uri,
): Promise<vscode.TextEditor | undefined> {
  const { output } = deps;
  const target =
    uri ??
    (await vscode.window.showOpenDialog({ canSelectMany: false, title: 'Open Goroutine Dump', filters: { 'Goroutine dumps': ['txt', 'goroutines'], 'All files': ['*'] } }))?.[0];
  if (!target) return undefined;
  const t0 = performance.now();
  if (target.scheme === 'file' && !vscode.workspace.textDocuments.some((d) => d.uri.toString() === target.toString())) {
    const model = deps.models.prefetch(target);
    const shown = deps.view.showFile(target, model);
    // The rows first (bounded: a file that takes longer to group does not hold its text back for long).
    await Promise.race([shown.then((ok) => (ok ? deps.view.nextRender(1_000) : undefined)), new Promise((r) => setTimeout(r, 10_000))]);
  }
  const tText = performance.now();
  let doc = await vscode.workspace.openTextDocument(target);
  const t1 = performance.now();
  if (doc.languageId !== GOROUTINE_LANGUAGE) doc = await vscode.languages.setTextDocumentLanguage(doc, GOROUTINE_LANGUAGE);
  const t2 = performance.now();
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  output.info(`Opened ${docName(target)} (${doc.lineCount} lines): groups first ${(tText - t0).toFixed(0)} ms, loading ${(t1 - tText).toFixed(0)} ms, language ${(t2 - t1).toFixed(0)} ms, editor ${(performance.now() - t2).toFixed(0)} ms`);
  return editor;
}

/** Read-only comparison reports, by URI. */
export class DiffDocuments implements vscode.TextDocumentContentProvider {
  private readonly reports = new Map<string, string>();

  add(uri: vscode.Uri, text: string): void {
    this.reports.set(uri.toString(), text);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.reports.get(uri.toString()) ?? '# this comparison is no longer available; run Compare Goroutine Dumps again';
  }
}

async function load(uri: vscode.Uri, models: GoroutineModels, grouper: GoroutineGrouper): Promise<GroupedDump> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open && open.languageId === GOROUTINE_LANGUAGE) return models.get(open);
  const bytes = maybeGunzip(await vscode.workspace.fs.readFile(uri), docName(uri));
  return grouper.group(new TextDecoder().decode(bytes), docName(uri));
}

async function pickBase(current: vscode.Uri, pctx: ProfilerContext): Promise<vscode.Uri | undefined> {
  type Pick = vscode.QuickPickItem & { uri?: vscode.Uri };
  // Seen by file: a capture open under its title (etcd-capture:) is the same as its file in the captures list.
  const key = (uri: vscode.Uri) => fileOf(uri) ?? uri.toString();
  const seen = new Set<string>([key(current)]);
  const picks: Pick[] = [];
  for (const d of vscode.workspace.textDocuments) {
    if (!isGoroutineDump(d) || seen.has(key(d.uri))) continue;
    seen.add(key(d.uri));
    picks.push({ label: docName(d.uri), description: 'open', detail: fileOf(d.uri) ?? d.uri.toString(), uri: d.uri });
  }
  try {
    for (const f of await listCaptureFiles(pctx.captures.root.fsPath)) {
      const uri = vscode.Uri.file(f.path);
      if (!/goroutine-debug[12]/.test(f.path) || seen.has(key(uri))) continue;
      seen.add(key(uri));
      picks.push({ label: f.segments[f.segments.length - 1], description: f.segments.slice(0, -1).join('/'), detail: f.path, uri });
    }
  } catch {
    // no captures folder
  }
  picks.push({ label: '$(folder-opened) Browse…' });
  const chosen = await vscode.window.showQuickPick(picks, { title: `Compare ${docName(current)} with an earlier dump (the base)`, matchOnDescription: true, matchOnDetail: true });
  if (!chosen) return undefined;
  if (chosen.uri) return chosen.uri;
  const file = fileOf(current);
  const near = file ? vscode.Uri.joinPath(vscode.Uri.file(file), '..') : undefined;
  return (await vscode.window.showOpenDialog({ canSelectMany: false, title: 'Base goroutine dump', defaultUri: near }))?.[0];
}

function dumpTitle(uri: vscode.Uri): string {
  return (uri.scheme === 'file' ? captureTitle(uri.fsPath) : undefined) ?? docName(uri); // etcd-capture: the path is the title
}

/** Compare Goroutine Dumps: `current` (default: the active or shown dump) against `base` (asked). */
export async function compareDumps(
  deps: { models: GoroutineModels; grouper: GoroutineGrouper; view: GoroutinesView; diffs: DiffDocuments; pctx: ProfilerContext },
  currentArg?: vscode.Uri,
  baseArg?: vscode.Uri,
): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document;
  let current = currentArg ?? (active && isGoroutineDump(active) ? active.uri : deps.view.document?.uri);
  current ??= (await vscode.window.showOpenDialog({ canSelectMany: false, title: 'Goroutine dump to compare (the later one)' }))?.[0];
  if (!current) return undefined;
  const base = baseArg ?? (await pickBase(current, deps.pctx));
  if (!base) return undefined;
  const [b, c] = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Comparing goroutine dumps…' }, () =>
    Promise.all([load(base, deps.models, deps.grouper), load(current, deps.models, deps.grouper)]),
  );
  const diff = diffGoroutineDumps(b.dump, c.dump);
  const text = formatGoroutineDiff(diff, fileOf(base) ?? docName(base), fileOf(current) ?? docName(current));
  // The tab title is the path's last segment: short names (`goroutines debug=2 · etcd-master-0 · 09:07`),
  // no folders, no suffix (the language is set below).
  const title = `${dumpTitle(current)} vs ${dumpTitle(base)}`.replace(/[/\\]/g, '_');
  const uri = vscode.Uri.from({ scheme: DIFF_SCHEME, path: `/${title}`, query: String(Date.now()) });
  deps.diffs.add(uri, text);
  let doc = await vscode.workspace.openTextDocument(uri);
  doc = await vscode.languages.setTextDocumentLanguage(doc, GOROUTINE_LANGUAGE);
  await vscode.window.showTextDocument(doc, { preview: false });
  const k = diff.counts;
  deps.pctx.output.info(`Compared ${fileOf(current) ?? docName(current)} with ${fileOf(base) ?? docName(base)}: ${diff.before} → ${diff.after} goroutines; ${k.grew} grew, ${k.shrank} shrank, ${k.appeared} appeared, ${k.vanished} vanished`);
  return uri;
}
