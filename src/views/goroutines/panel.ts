// The Goroutines view: the groups of the current dump (the last goroutine dump shown in an editor) like
// panicparse prints them — count, state, wait range, top frames, creator — largest first, with filters by
// state, minimum wait and function/package regex. Clicking a group reveals its first goroutine in the text;
// clicking a frame opens its source.
import * as vscode from 'vscode';
import type { GoroutineFrame, GoroutineGroup } from '../../profile/goroutines.ts';
import type { GroupedDump } from '../../profile/goroutineWorkerClient.ts';
import { counted } from '../../profile/units.ts';
import { matchNames } from '../../profile/regexGuard.ts';
import type { NameTest } from '../../profile/types.ts';
import { describeFilter, filterGroups, groupNames, isFiltered, NO_FILTER, PATTERN_FLAGS, waitLabel, type GroupFilter } from './filters.ts';
import { ownFrame } from './languageFeatures.ts';
import { docName, isGoroutineDump, type GoroutineModels } from './models.ts';

export const GOROUTINES_VIEW = 'etcdProfiler.goroutines';
export const REVEAL_GROUP_COMMAND = 'etcdProfiler.goroutines.revealGroup';
export const OPEN_SOURCE_COMMAND = 'etcdProfiler.goroutines.openSource';
const TOP_FRAMES = 3;

type Node =
  | { kind: 'crash' }
  | { kind: 'summary' }
  | { kind: 'group'; index: number }
  | { kind: 'ancestor'; group: number; position: number }
  | { kind: 'frame'; group: number; frame: GoroutineFrame; creator: boolean; position: number; ancestor?: number };

function shortFile(file: string): string {
  const parts = file.split('/');
  return parts.slice(-2).join('/');
}

function frameLabel(f: GoroutineFrame): string {
  return f.file ? `${f.function}  ${shortFile(f.file)}:${f.line}` : f.function;
}

export class GoroutinesView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly models: GoroutineModels;
  private readonly disposables: vscode.Disposable[] = [];
  private view?: vscode.TreeView<Node>;
  private doc?: vscode.TextDocument;
  private model?: GroupedDump;
  private error?: string;
  private shown: number[] = [];
  private filter: GroupFilter = NO_FILTER;
  private loading = 0;
  private editTimer?: ReturnType<typeof setTimeout>;
  /** Name of a dump shown by `showFile` whose editor is not open yet. */
  private pendingName?: string;

  constructor(models: GoroutineModels) {
    this.models = models;
  }

  static setup(ctx: vscode.ExtensionContext, models: GoroutineModels): GoroutinesView {
    const provider = new GoroutinesView(models);
    const view = vscode.window.createTreeView(GOROUTINES_VIEW, { treeDataProvider: provider, showCollapseAll: true });
    provider.view = view;
    provider.disposables.push(
      view,
      vscode.window.onDidChangeActiveTextEditor((e) => {
        if (e && isGoroutineDump(e.document)) void provider.show(e.document);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document !== provider.doc) return;
        // Regroup once typing pauses, not on every keystroke.
        clearTimeout(provider.editTimer);
        provider.editTimer = setTimeout(() => void provider.show(e.document), 400);
      }),
      { dispose: () => clearTimeout(provider.editTimer) },
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d === provider.doc) provider.clear();
      }),
    );
    ctx.subscriptions.push(provider);
    const active = vscode.window.activeTextEditor?.document;
    if (active && isGoroutineDump(active)) void provider.show(active);
    else void vscode.commands.executeCommand('setContext', 'etcdProfiler.goroutinesLoaded', false);
    return provider;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }

  get document(): vscode.TextDocument | undefined {
    return this.doc;
  }

  get current(): GroupedDump | undefined {
    return this.model;
  }

  get currentFilter(): GroupFilter {
    return this.filter;
  }

  /** Groups `doc` (in the worker) and shows it; resolves when the view shows it. */
  async show(doc: vscode.TextDocument): Promise<void> {
    const ticket = ++this.loading;
    this.doc = doc;
    this.pendingName = undefined;
    if (this.view) this.view.message = `Grouping the goroutines of ${docName(doc.uri)}…`;
    try {
      const model = await vscode.window.withProgress({ location: { viewId: GOROUTINES_VIEW } }, () => this.models.get(doc));
      if (ticket !== this.loading) return;
      this.model = model;
      this.error = undefined;
    } catch (err) {
      if (ticket !== this.loading) return;
      this.model = undefined;
      this.error = err instanceof Error ? err.message : String(err);
    }
    void vscode.commands.executeCommand('setContext', 'etcdProfiler.goroutinesLoaded', true);
    await this.apply();
  }

  /**
   * Shows the groups of a dump file whose text is still loading (Open Goroutine Dump on a large file): the view
   * fills first, the text follows; `show(doc)` takes over when the editor opens.
   */
  async showFile(uri: vscode.Uri, model: Promise<GroupedDump>): Promise<boolean> {
    const ticket = ++this.loading;
    this.doc = undefined;
    this.pendingName = docName(uri);
    if (this.view) this.view.message = `Grouping the goroutines of ${this.pendingName}…`;
    try {
      const m = await model;
      if (ticket !== this.loading) return false;
      this.model = m;
      this.error = undefined;
    } catch {
      return false; // the editor's turn (show) reports it
    }
    void vscode.commands.executeCommand('setContext', 'etcdProfiler.goroutinesLoaded', true);
    void this.apply();
    if (this.view && !this.doc) this.view.message = `Loading the text of ${this.pendingName}…`;
    return true;
  }

  private renderWaiters: (() => void)[] = [];

  /**
   * Resolves when the view next asks for its rows (it is drawing what it was told), at once when the view is not
   * visible (it asks for nothing then), or after `timeoutMs`.
   */
  nextRender(timeoutMs: number): Promise<void> {
    if (!this.view?.visible) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.renderWaiters.push(done);
    });
  }

  private clear(): void {
    this.loading++;
    this.doc = undefined;
    this.model = undefined;
    this.error = undefined;
    this.shown = [];
    if (this.view) {
      this.view.message = undefined;
      this.view.description = undefined;
    }
    void vscode.commands.executeCommand('setContext', 'etcdProfiler.goroutinesLoaded', false);
    this.changed.fire(undefined);
  }

  setFilter(filter: GroupFilter): void {
    this.filter = filter;
    void vscode.commands.executeCommand('setContext', 'etcdProfiler.goroutinesFiltered', isFiltered(filter));
    void this.apply();
  }

  private applying = 0;

  /** Filters the groups; the pattern runs in a worker with a deadline (regexGuard), never on the host's thread. */
  private async apply(): Promise<void> {
    const ticket = ++this.applying;
    const m = this.model;
    let matches: NameTest | undefined;
    if (m && this.filter.pattern) {
      try {
        const [set] = await matchNames([{ expr: this.filter.pattern, what: 'function filter', flags: PATTERN_FLAGS }], groupNames(m.dump.groups));
        matches = { test: (s: string) => set.has(s) };
      } catch (err) {
        if (ticket !== this.applying) return;
        const message = err instanceof Error ? err.message : String(err);
        this.filter = { ...this.filter, pattern: undefined };
        void vscode.commands.executeCommand('setContext', 'etcdProfiler.goroutinesFiltered', isFiltered(this.filter));
        void vscode.window.showWarningMessage(`Goroutines: ${message[0].toUpperCase()}${message.slice(1)} The function filter was not applied.`);
      }
      if (ticket !== this.applying) return;
    }
    this.shown = m ? filterGroups(m.dump.groups, this.filter, matches) : [];
    if (this.view) {
      this.view.description = this.doc ? docName(this.doc.uri) : this.pendingName;
      if (this.error) this.view.message = this.error;
      else if (m && isFiltered(this.filter)) {
        const n = this.shown.reduce((s, i) => s + m.dump.groups[i].count, 0);
        this.view.message = `Filter ${describeFilter(this.filter)}: ${n} of ${counted(m.dump.goroutines, 'goroutine')}, ${this.shown.length} of ${counted(m.dump.groups.length, 'group')}.`;
      } else this.view.message = undefined;
    }
    this.changed.fire(undefined);
  }

  getChildren(node?: Node): Node[] {
    if (!node && this.renderWaiters.length) {
      const waiters = this.renderWaiters;
      this.renderWaiters = [];
      setTimeout(() => waiters.forEach((w) => w()), 0); // after the rows are on their way
    }
    const m = this.model;
    if (!m) return [];
    if (!node) return [...(m.dump.crash ? [{ kind: 'crash' } as Node] : []), { kind: 'summary' }, ...this.shown.map((index): Node => ({ kind: 'group', index }))];
    if (node.kind === 'ancestor') {
      const a = m.dump.groups[node.group].ancestors?.[node.position];
      if (!a) return [];
      const frames: Node[] = a.frames.map((frame, position) => ({ kind: 'frame', group: node.group, frame, creator: false, position, ancestor: node.position }));
      if (a.createdBy) frames.push({ kind: 'frame', group: node.group, frame: a.createdBy, creator: true, position: a.frames.length, ancestor: node.position });
      return frames;
    }
    if (node.kind !== 'group') return [];
    const g = m.dump.groups[node.index];
    const frames: Node[] = g.frames.map((frame, position) => ({ kind: 'frame', group: node.index, frame, creator: false, position }));
    if (g.createdBy) frames.push({ kind: 'frame', group: node.index, frame: g.createdBy, creator: true, position: g.frames.length });
    // tracebackancestors: the stacks of the goroutines that led to this one, under it, apart from its own frames
    (g.ancestors ?? []).forEach((_a, position) => frames.push({ kind: 'ancestor', group: node.index, position }));
    return frames;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const m = this.model;
    if (!m) return new vscode.TreeItem('');
    if (node.kind === 'summary') {
      const states = Object.entries(m.dump.states).map(([s, n]) => `${n} ${s}`).join(', ');
      const item = new vscode.TreeItem(`${counted(m.dump.goroutines, 'goroutine')} in ${counted(m.dump.groups.length, 'group')}`);
      item.description = m.dump.format === 'debug=1' ? 'debug=1: no states or waits' : states;
      item.tooltip = `${m.dump.format} dump, ${counted(m.dump.goroutines, 'goroutine')}${m.dump.headerTotal >= 0 ? ` (header: total ${m.dump.headerTotal})` : ''}\n${states}\nGrouped in ${m.ms.toFixed(0)} ms ${m.inWorker ? 'in a worker thread' : 'in the extension host'}.`;
      item.iconPath = new vscode.ThemeIcon('pulse');
      item.contextValue = 'goroutineSummary';
      return item;
    }
    if (node.kind === 'crash' && m.dump.crash) {
      const c = m.dump.crash;
      const item = new vscode.TreeItem(c.message);
      item.description = c.lines.length > 1 ? c.lines.slice(1).join(' ') : 'crash traceback';
      item.tooltip = c.lines.join('\n');
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
      item.contextValue = 'goroutineCrash';
      return item;
    }
    if (node.kind === 'ancestor') {
      const g = m.dump.groups[node.group];
      const a = g.ancestors?.[node.position];
      const item = new vscode.TreeItem(`originating from goroutine ${a?.id ?? '?'}`, vscode.TreeItemCollapsibleState.Collapsed);
      item.description = a?.frames[0]?.function ?? '';
      item.tooltip = `tracebackancestors: the stack of goroutine ${a?.id} when it started ${g.ids.length ? `goroutine ${g.ids[0]}` : 'this goroutine'}${node.position > 0 ? `'s ancestor` : ''}. Shown for the group's first goroutine; not part of the grouping.`;
      item.iconPath = new vscode.ThemeIcon('history');
      item.contextValue = 'goroutineAncestor';
      return item;
    }
    if (node.kind === 'group') return this.groupItem(m.dump.groups[node.index], node.index);
    if (node.kind !== 'frame') return new vscode.TreeItem('');
    const f = node.frame;
    const item = new vscode.TreeItem(node.creator ? `created by ${f.function}` : f.function);
    item.description = f.file ? `${shortFile(f.file)}:${f.line}` : undefined;
    item.tooltip = f.file ? `${f.function}\n${f.file}:${f.line}` : f.function;
    item.iconPath = new vscode.ThemeIcon(node.creator ? 'debug-start' : 'symbol-function');
    item.contextValue = 'goroutineFrame';
    if (f.file) item.command = { command: OPEN_SOURCE_COMMAND, title: 'Open Source', arguments: [f] };
    return item;
  }

  private groupItem(g: GoroutineGroup, index: number): vscode.TreeItem {
    const wait = waitLabel(g.waitMinutes);
    const top = g.frames[0];
    // The frame the row names is also the one whose location it shows.
    const shownFrame = ownFrame(g) ?? top;
    const item = new vscode.TreeItem(`${g.count} × ${g.state}${wait ? `, ${wait}` : ''}`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `group-${index}-${g.count}-${g.state}-${top?.function ?? ''}`;
    item.description = [shownFrame?.function ?? '(no frames)', shownFrame?.file ? `${shortFile(shownFrame.file)}:${shownFrame.line}` : ''].filter(Boolean).join('  ');
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${g.count}** goroutine${g.count === 1 ? '' : 's'} · \`${g.state}\`${wait ? ` · waiting ${wait}` : ''}${g.lockedToThread ? ` · ${g.lockedToThread} locked to thread` : ''}\n\n`);
    const lines = g.frames.slice(0, 12).map(frameLabel);
    if (g.frames.length > 12) lines.push(`… ${g.frames.length - 12} more frames`);
    if (g.createdBy) lines.push(`created by ${frameLabel(g.createdBy)}`);
    md.appendCodeblock(lines.join('\n'), 'text');
    if (g.ids.length) md.appendMarkdown(`\ngoroutine${g.ids.length === 1 ? '' : 's'} ${g.ids.slice(0, 10).join(', ')}${g.ids.length > 10 ? ', …' : ''}`);
    if (g.ancestors?.length) md.appendMarkdown(`\n\noriginating from goroutine ${g.ancestors.map((a) => a.id).join(' ← ')} (expand the group)`);
    item.tooltip = md;
    item.iconPath = new vscode.ThemeIcon(g.state === 'running' || g.state === 'runnable' ? 'play' : 'debug-pause');
    item.contextValue = 'goroutineGroup';
    item.command = { command: REVEAL_GROUP_COMMAND, title: 'Reveal First Goroutine', arguments: [index] };
    return item;
  }

  /** Shows the first goroutine (debug=2) or record (debug=1) of a group in the dump's editor. */
  async revealGroup(index: number): Promise<void> {
    const m = this.model;
    const doc = this.doc;
    if (m && !doc && this.pendingName) {
      void vscode.window.showInformationMessage(`The text of ${this.pendingName} is still loading; try again in a moment.`);
      return;
    }
    if (!m || !doc) return;
    const line = m.index.groupLines[index];
    if (line === undefined || line < 0) {
      void vscode.window.showInformationMessage('This group has no place in the text to reveal.');
      return;
    }
    const visible = vscode.window.visibleTextEditors.find((e) => e.document === doc);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: visible?.viewColumn, preserveFocus: false, preview: false });
    const range = new vscode.Range(line, 0, line, doc.lineAt(line).text.length);
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.AtTop);
  }

  /** Top frames of a group as one line, for pickers. */
  static summary(g: GoroutineGroup): string {
    return g.frames.slice(0, TOP_FRAMES).map((f) => f.function).join(' ← ');
  }
}
