// Flat and cum per source line of the profile last viewed, shown at the end of lines in open Go
// files; toggled by "etcd Profiler: Toggle Profile Line Annotations".
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { scaledLabel, percentage } from '../profile/units.ts';
import { valuesByFileLine, type LineValue, type LoadedProfile } from './profilePanel/model.ts';
import type { SourceLinks } from './sourceLinks.ts';

export const TOGGLE_ANNOTATIONS_COMMAND = 'etcdProfiler.toggleLineAnnotations';
const STATE_KEY = 'etcdProfiler.lineAnnotations';

export class LineAnnotations implements vscode.Disposable {
  private enabled: boolean;
  private source?: { uri: vscode.Uri; loaded: LoadedProfile; sampleIndex: number };
  /** Local file path → line → values, for the current profile. */
  private byLocal = new Map<string, Map<number, LineValue>>();
  private unit = '';
  private total = 0;
  private generation = 0;
  private readonly decoration: vscode.TextEditorDecorationType;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly links: SourceLinks;
  private readonly state: vscode.Memento;

  constructor(links: SourceLinks, state: vscode.Memento) {
    this.links = links;
    this.state = state;
    this.enabled = state.get<boolean>(STATE_KEY, false);
    this.decoration = vscode.window.createTextEditorDecorationType({
      after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
      isWholeLine: false,
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.disposables.push(
      this.decoration,
      vscode.window.onDidChangeVisibleTextEditors(() => this.render()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (vscode.window.visibleTextEditors.some((ed) => ed.document === e.document)) this.render();
      }),
    );
    void vscode.commands.executeCommand('setContext', STATE_KEY, this.enabled);
  }

  static setup(ctx: vscode.ExtensionContext, links: SourceLinks): LineAnnotations {
    const a = new LineAnnotations(links, ctx.globalState);
    ctx.subscriptions.push(a);
    return a;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  async toggle(): Promise<void> {
    this.enabled = !this.enabled;
    await this.state.update(STATE_KEY, this.enabled);
    void vscode.commands.executeCommand('setContext', STATE_KEY, this.enabled);
    if (this.enabled && !this.source) {
      void vscode.window.showInformationMessage('Profile line annotations are on. Open a profile in the profile viewer to see its flat and cum per line in Go files.');
    }
    await this.refresh();
    if (this.enabled && this.source) {
      vscode.window.setStatusBarMessage(`Profile line annotations from ${basename(this.source.uri.fsPath)}`, 4000);
    }
  }

  /** The profile last viewed (not a comparison) becomes the annotations' source. */
  setProfile(uri: vscode.Uri, loaded: LoadedProfile, sampleIndex: number): void {
    const same = this.source && this.source.uri.toString() === uri.toString() && this.source.loaded === loaded && this.source.sampleIndex === sampleIndex;
    this.source = { uri, loaded, sampleIndex };
    if (!same) void this.refresh();
  }

  private async refresh(): Promise<void> {
    const gen = ++this.generation;
    this.byLocal = new Map();
    if (!this.enabled || !this.source) {
      this.render();
      return;
    }
    const { files, unit, total } = valuesByFileLine(this.source.loaded, this.source.sampleIndex);
    const byLocal = new Map<string, Map<number, LineValue>>();
    await Promise.all(
      [...files].map(async ([buildPath, lines]) => {
        const r = await this.links.resolve(buildPath);
        if (r.found) byLocal.set(r.path, lines);
      }),
    );
    if (gen !== this.generation) return;
    this.byLocal = byLocal;
    this.unit = unit;
    this.total = total;
    this.render();
  }

  private render(): void {
    for (const ed of vscode.window.visibleTextEditors) {
      const lines = this.enabled && ed.document.uri.scheme === 'file' ? this.byLocal.get(ed.document.uri.fsPath) : undefined;
      if (!lines) {
        ed.setDecorations(this.decoration, []);
        continue;
      }
      const opts: vscode.DecorationOptions[] = [];
      for (const [line, v] of lines) {
        if (line > ed.document.lineCount) continue;
        const range = ed.document.lineAt(line - 1).range;
        const text = `flat ${scaledLabel(v.flat, this.unit)} · cum ${scaledLabel(v.cum, this.unit)} (${percentage(v.cum, this.total).trim()})`;
        opts.push({
          range: new vscode.Range(range.end, range.end),
          renderOptions: { after: { contentText: text } },
          hoverMessage: `Profile ${basename(this.source!.uri.fsPath)}: ${text}`,
        });
      }
      ed.setDecorations(this.decoration, opts);
    }
  }
}
