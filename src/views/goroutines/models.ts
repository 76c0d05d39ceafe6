// The grouped form of each open goroutine dump, computed once per document version in the worker thread
// and shared by the outline, folding, the Goroutines view and Compare.
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

/** Cache version of a model grouped from the file before its document was open. */
const PREFETCHED = -1;

export class GoroutineModels implements vscode.Disposable {
  private readonly cache = new Map<string, { version: number; model: Promise<GroupedDump> }>();
  private readonly grouper: GoroutineGrouper;
  private readonly output: vscode.LogOutputChannel;
  private readonly subscription: vscode.Disposable;

  constructor(grouper: GoroutineGrouper, output: vscode.LogOutputChannel) {
    this.grouper = grouper;
    this.output = output;
    this.subscription = vscode.workspace.onDidCloseTextDocument((d) => this.cache.delete(d.uri.toString()));
  }

  /**
   * Starts grouping a dump file from disk before its text is open (VS Code takes seconds to load 30 MB of text);
   * the document's first version then takes this model.
   */
  prefetch(uri: vscode.Uri): Promise<GroupedDump> {
    const key = uri.toString();
    const hit = this.cache.get(key);
    if (hit) return hit.model;
    const model = this.grouper.groupFile(uri.fsPath, docName(uri));
    model.catch(() => this.cache.get(key)?.model === model && this.cache.delete(key));
    this.cache.set(key, { version: PREFETCHED, model });
    return model;
  }

  get(doc: vscode.TextDocument): Promise<GroupedDump> {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === PREFETCHED && doc.uri.scheme === 'file' && !doc.isDirty && doc.version === 1) hit.version = doc.version;
    if (hit && hit.version === doc.version) return hit.model;
    const t0 = performance.now();
    // A saved file is read by the worker itself; an edited or virtual document's text is sent.
    const model = doc.uri.scheme === 'file' && !doc.isDirty ? this.grouper.groupFile(doc.uri.fsPath, docName(doc.uri)) : this.grouper.group(doc.getText(), docName(doc.uri));
    const blocked = performance.now() - t0;
    void model.then(
      (m) => this.output.info(`Grouped ${m.dump.goroutines} goroutines of ${docName(doc.uri)} into ${m.dump.groups.length} groups in ${m.ms.toFixed(0)} ms (${m.inWorker ? 'worker thread' : 'extension host'}; host busy ${blocked.toFixed(0)} ms sending the request, ${(performance.now() - t0).toFixed(0)} ms until the answer)`),
      () => undefined,
    );
    this.cache.set(key, { version: doc.version, model });
    return model;
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
