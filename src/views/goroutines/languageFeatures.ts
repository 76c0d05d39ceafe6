// Editor features of the goroutine dump language: `file:line` links (opened through the profile viewer's
// source resolver), folding per goroutine (debug=2) or per record (debug=1), and an outline of groups by
// state and top function.
import * as vscode from 'vscode';
import { fileLineSpan, outlineRuns } from '../../profile/goroutineIndex.ts';
import { UNKNOWN_STATE, type GoroutineGroup } from '../../profile/goroutines.ts';
import { counted } from '../../profile/units.ts';
import type { SourceLinks } from '../sourceLinks.ts';
import { GOROUTINE_LANGUAGE, type GoroutineModels } from './models.ts';

export const OPEN_FRAME_COMMAND = 'etcdProfiler.goroutines.openFrame';
/**
 * Documents up to this many lines get document links (every `file:line` underlined, Ctrl+click opens it).
 * Longer ones (a 100k-goroutine dump has ~870k lines, ~500k locations) get a definition provider instead:
 * the same Ctrl+click, computed for the clicked line only, so neither the extension host nor the editor
 * handles hundreds of thousands of links.
 */
export const MAX_LINK_LINES = 200_000;
/** VS Code shows at most `editor.foldingMaximumRegions` (default 5000) ranges; more only cost IPC. */
export const MAX_FOLDING_RANGES = 5_000;

export function frameCommandUri(file: string, line: number): vscode.Uri {
  return vscode.Uri.parse(`command:${OPEN_FRAME_COMMAND}?${encodeURIComponent(JSON.stringify([file, line]))}`);
}

export class DumpLinkProvider implements vscode.DocumentLinkProvider {
  provideDocumentLinks(doc: vscode.TextDocument, token: vscode.CancellationToken): vscode.DocumentLink[] {
    const links: vscode.DocumentLink[] = [];
    if (doc.lineCount > MAX_LINK_LINES) return links;
    for (let i = 0; i < doc.lineCount; i++) {
      if ((i & 4095) === 0 && token.isCancellationRequested) break;
      const text = doc.lineAt(i).text;
      const c = text.charCodeAt(0);
      if (c !== 9 && c !== 32 && c !== 35) continue; // location lines start with a tab (debug=2) or `#` (debug=1)
      const span = fileLineSpan(text);
      if (!span) continue;
      const link = new vscode.DocumentLink(new vscode.Range(i, span.start, i, span.end), frameCommandUri(span.file, span.line));
      link.tooltip = `Open ${span.file.split('/').pop()}:${span.line}`;
      links.push(link);
    }
    return links;
  }
}

/** Ctrl+click on a `file:line` of a document too long for links: resolved for that line only. */
export class DumpDefinitionProvider implements vscode.DefinitionProvider {
  private readonly sourceLinks: SourceLinks;

  constructor(sourceLinks: SourceLinks) {
    this.sourceLinks = sourceLinks;
  }

  async provideDefinition(doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.LocationLink[] | undefined> {
    if (doc.lineCount <= MAX_LINK_LINES) return undefined; // the links do it
    const span = fileLineSpan(doc.lineAt(position.line).text);
    if (!span || position.character < span.start || position.character > span.end) return undefined;
    const r = await this.sourceLinks.resolve(span.file);
    if (!r.found) return undefined;
    const target = new vscode.Position(Math.max(0, span.line - 1), 0);
    return [{ originSelectionRange: new vscode.Range(position.line, span.start, position.line, span.end), targetUri: vscode.Uri.file(r.path), targetRange: new vscode.Range(target, target) }];
  }
}

/** Blank-line separated paragraphs: folding for text that does not group (comparison reports). */
function paragraphs(doc: vscode.TextDocument): vscode.FoldingRange[] {
  const out: vscode.FoldingRange[] = [];
  let start = -1;
  for (let i = 0; i <= doc.lineCount; i++) {
    const blank = i === doc.lineCount || doc.lineAt(i).isEmptyOrWhitespace;
    if (!blank && start < 0) start = i;
    if (blank && start >= 0) {
      if (i - 1 > start) out.push(new vscode.FoldingRange(start, i - 1, vscode.FoldingRangeKind.Region));
      start = -1;
    }
  }
  return out;
}

export class DumpFoldingProvider implements vscode.FoldingRangeProvider {
  private readonly models: GoroutineModels;

  constructor(models: GoroutineModels) {
    this.models = models;
  }

  async provideFoldingRanges(doc: vscode.TextDocument): Promise<vscode.FoldingRange[]> {
    const m = await this.models.tryGet(doc);
    if (!m || m.index.starts.length === 0) return paragraphs(doc);
    const out: vscode.FoldingRange[] = [];
    const { starts, ends } = m.index;
    for (let b = 0; b < starts.length && out.length < MAX_FOLDING_RANGES; b++) if (ends[b] > starts[b]) out.push(new vscode.FoldingRange(starts[b], ends[b], vscode.FoldingRangeKind.Region));
    return out;
  }
}

const PLUMBING = /^(runtime|internal\/[\w/]+|sync|sync\/atomic|time|os\/signal|syscall|internal)\./;

/** The first frame outside the runtime and sync plumbing: what the goroutine is doing for the program. */
export function ownFrame(g: Pick<GoroutineGroup, 'frames'>): GoroutineGroup['frames'][number] | undefined {
  return g.frames.find((f) => !PLUMBING.test(f.function));
}

export class DumpSymbolProvider implements vscode.DocumentSymbolProvider {
  private readonly models: GoroutineModels;

  constructor(models: GoroutineModels) {
    this.models = models;
  }

  async provideDocumentSymbols(doc: vscode.TextDocument): Promise<vscode.DocumentSymbol[]> {
    const m = await this.models.tryGet(doc);
    if (!m) return [];
    const { dump, index } = m;
    // Which group each block (goroutine or record) belongs to: by the goroutine id in its header (debug=2),
    // or by the record's line (debug=1, one record per group).
    const blockGroup = new Int32Array(index.starts.length).fill(-1);
    if (index.format === 'debug=2') {
      const byId = new Map<number, number>();
      dump.groups.forEach((g, i) => g.ids.forEach((id) => byId.set(id, i)));
      for (let b = 0; b < index.starts.length; b++) {
        const id = /^goroutine (\d+) /.exec(doc.lineAt(index.starts[b]).text)?.[1];
        blockGroup[b] = id === undefined ? -1 : (byId.get(Number(id)) ?? -1);
      }
    } else {
      const byLine = new Map<number, number>();
      index.groupLines.forEach((line, i) => line >= 0 && byLine.set(line, i));
      for (let b = 0; b < index.starts.length; b++) blockGroup[b] = byLine.get(index.starts[b]) ?? -1;
    }
    return outlineRuns(index, blockGroup).map((run) => {
      const g = dump.groups[run.group];
      const top = g.frames[0]?.function ?? '(no frames)';
      const own = ownFrame(g)?.function;
      const wait = g.waitMinutes[1] > 0 ? (g.waitMinutes[0] === g.waitMinutes[1] ? `, ${g.waitMinutes[0]} min` : `, ${g.waitMinutes[0]}-${g.waitMinutes[1]} min`) : '';
      const state = g.state === UNKNOWN_STATE ? '' : `${g.state}: `;
      const end = Math.min(run.end, doc.lineCount - 1);
      return new vscode.DocumentSymbol(
        `${state}${top}`,
        `${counted(g.count, 'goroutine')} in the group${own && own !== top ? `, ${own}` : ''}${wait}`,
        g.state === 'running' || g.state === 'runnable' ? vscode.SymbolKind.Event : vscode.SymbolKind.Function,
        new vscode.Range(run.start, 0, end, doc.lineAt(end).text.length),
        new vscode.Range(run.start, 0, run.start, doc.lineAt(run.start).text.length),
      );
    });
  }
}

export function registerLanguageFeatures(models: GoroutineModels, sourceLinks: SourceLinks): vscode.Disposable {
  const selector: vscode.DocumentSelector = { language: GOROUTINE_LANGUAGE };
  return vscode.Disposable.from(
    vscode.languages.registerDocumentLinkProvider(selector, new DumpLinkProvider()),
    vscode.languages.registerDefinitionProvider(selector, new DumpDefinitionProvider(sourceLinks)),
    vscode.languages.registerFoldingRangeProvider(selector, new DumpFoldingProvider(models)),
    vscode.languages.registerDocumentSymbolProvider(selector, new DumpSymbolProvider(models), { label: 'Goroutine groups' }),
  );
}
