// The grouped form of each open goroutine dump, computed once per document version in the worker thread
// and shared by the outline, folding, the Goroutines view and Compare.
import { statSync } from 'node:fs';
import * as vscode from 'vscode';
import type { GroupedDump, GoroutineGrouper } from '../../profile/goroutineWorkerClient.ts';

export const GOROUTINE_LANGUAGE = 'go-goroutines';
/** Read-only documents of our own: comparison reports. */
export const DIFF_SCHEME = 'etcd-goroutines-diff';

export function isGoroutineDump(doc: vscode.TextDocument): boolean {
  return doc.languageId === GOROUTINE_LANGUAGE && doc.uri.scheme !== DIFF_SCHEME;
}

export function docName(uri: vscode.Uri): string {
  return uri.path.split('/').pop() || uri.toString();
}

/** Cache version of a model grouped from the file while no document of it is open. */
const PREFETCHED = -1;
/** Models of files whose documents closed, kept (newest first) for a reopen: setTextDocumentLanguage closes and reopens. */
const KEEP_CLOSED = 2;

/** Size and modification time of a file, to tell that a model grouped from it still describes it. */
function fileStamp(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

interface Entry {
  version: number;
  model: Promise<GroupedDump>;
  /** For a model of a file on disk (prefetched, or a saved document's first version): the file's stamp then. */
  stamp?: string;
}

export class GoroutineModels implements vscode.Disposable {
  private readonly cache = new Map<string, Entry>();
  private closed: string[] = [];
  private readonly grouper: GoroutineGrouper;
  private readonly output: vscode.LogOutputChannel;
  private readonly subscription: vscode.Disposable;

  constructor(grouper: GoroutineGrouper, output: vscode.LogOutputChannel) {
    this.grouper = grouper;
    this.output = output;
    this.subscription = vscode.workspace.onDidCloseTextDocument((d) => this.closedDoc(d));
  }

  /**
   * Starts grouping a dump file from disk before its text is open (VS Code takes seconds to load 30 MB of text);
   * the document's first version then takes this model.
   */
  prefetch(uri: vscode.Uri): Promise<GroupedDump> {
    const key = uri.toString();
    const hit = this.cache.get(key);
    if (hit) return hit.model;
    const stamp = fileStamp(uri.fsPath);
    const t0 = performance.now();
    const model = this.grouper.groupFile(uri.fsPath, docName(uri));
    this.logGrouped(model, docName(uri), t0, performance.now() - t0, ', from the file before its text opened');
    model.catch(() => this.cache.get(key)?.model === model && this.cache.delete(key));
    this.cache.set(key, { version: PREFETCHED, model, stamp });
    return model;
  }

  /**
   * A closed document's model is dropped, unless it is the model of an unchanged file on disk: that one is kept for
   * a reopen (setting a document's language closes and reopens it; without this the 100k dump grouped twice).
   */
  private closedDoc(d: vscode.TextDocument): void {
    const key = d.uri.toString();
    const hit = this.cache.get(key);
    if (!hit) return;
    if (!hit.stamp || d.uri.scheme !== 'file' || d.isDirty || (hit.version !== PREFETCHED && hit.version !== 1)) {
      this.cache.delete(key);
      return;
    }
    hit.version = PREFETCHED;
    this.closed = [key, ...this.closed.filter((k) => k !== key)];
    for (const old of this.closed.splice(KEEP_CLOSED)) {
      if (this.cache.get(old)?.version === PREFETCHED) this.cache.delete(old);
    }
  }

  get(doc: vscode.TextDocument): Promise<GroupedDump> {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === PREFETCHED) {
      if (doc.uri.scheme === 'file' && !doc.isDirty && doc.version === 1 && hit.stamp !== undefined && hit.stamp === fileStamp(doc.uri.fsPath)) {
        hit.version = doc.version;
        this.closed = this.closed.filter((k) => k !== key);
      } else this.cache.delete(key);
    }
    if (hit && hit.version === doc.version) return hit.model;
    const t0 = performance.now();
    const fromFile = doc.uri.scheme === 'file' && !doc.isDirty;
    const stamp = fromFile && doc.version === 1 ? fileStamp(doc.uri.fsPath) : undefined;
    // A saved file is read by the worker itself; an edited or virtual document's text is sent.
    const model = fromFile ? this.grouper.groupFile(doc.uri.fsPath, docName(doc.uri)) : this.grouper.group(doc.getText(), docName(doc.uri));
    this.logGrouped(model, docName(doc.uri), t0, performance.now() - t0, '');
    this.cache.set(key, { version: doc.version, model, stamp });
    return model;
  }

  private logGrouped(model: Promise<GroupedDump>, name: string, t0: number, blocked: number, note: string): void {
    void model.then(
      (m) => this.output.info(`Grouped ${m.dump.goroutines} goroutines of ${name} into ${m.dump.groups.length} groups in ${m.ms.toFixed(0)} ms (${m.inWorker ? 'worker thread' : 'extension host'}; host busy ${blocked.toFixed(0)} ms sending the request, ${(performance.now() - t0).toFixed(0)} ms until the answer${note})`),
      () => undefined,
    );
  }

  /** The model of a document when it groups; undefined when it is not a dump (e.g. it was edited into text). */
  async tryGet(doc: vscode.TextDocument): Promise<GroupedDump | undefined> {
    try {
      return await this.get(doc);
    } catch {
      return undefined;
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.cache.clear();
    this.closed = [];
  }
}

/** Index of the block holding `line` (blocks sorted by start), -1 when none. */
export function blockAt(starts: Int32Array, ends: Int32Array, line: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] > line) hi = mid - 1;
    else if (ends[mid] < line) lo = mid + 1;
    else return mid;
  }
  return -1;
}
