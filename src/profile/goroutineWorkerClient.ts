// Groups goroutine dumps in a worker thread (goroutineWorker.ts, bundled as dist/goroutineWorker.cjs):
// one long-lived worker, requests answered in order. If the worker cannot start, the same code runs in
// this thread instead, so a missing bundle degrades to a pause, not to no grouping at all.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { maybeGunzip } from './decode.ts';
import { indexGoroutineText, type GoroutineIndex } from './goroutineIndex.ts';
import { dumpTextOf, noDumpMessage, parseGoroutineText, type GoroutineDump } from './goroutines.ts';

export interface GroupedDump {
  dump: GoroutineDump;
  index: GoroutineIndex;
  /** Milliseconds the parse and index took where they ran. */
  ms: number;
  /** Whether they ran in the worker. */
  inWorker: boolean;
}

interface Reply {
  id: number;
  dump?: GoroutineDump;
  index?: GoroutineIndex;
  ms?: number;
  error?: string;
}

/** Parses and indexes in this thread: what the worker does. */
export function groupHere(text: string, name: string): GroupedDump {
  const t0 = performance.now();
  const body = dumpTextOf(text);
  const dump = parseGoroutineText(body);
  if (!dump) throw new Error(noDumpMessage(name));
  if (body !== text) dump.unwrapped = true;
  const index = indexGoroutineText(body, dump);
  return { dump, index, ms: performance.now() - t0, inWorker: false };
}

export class GoroutineGrouper {
  private worker?: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (g: GroupedDump) => void; reject: (e: Error) => void }>();
  private readonly workerFile: string | URL;

  constructor(workerFile: string | URL) {
    this.workerFile = workerFile;
  }

  private start(): Worker | undefined {
    if (this.worker) return this.worker;
    try {
      const w = new Worker(this.workerFile);
      w.unref();
      w.on('message', (r: Reply) => {
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        if (r.error !== undefined || !r.dump || !r.index) p.reject(new Error(r.error ?? 'the goroutine worker gave no answer'));
        else p.resolve({ dump: r.dump, index: r.index, ms: r.ms ?? 0, inWorker: true });
      });
      const fail = (err: Error) => {
        if (this.worker === w) this.worker = undefined;
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      };
      w.on('error', fail);
      w.on('exit', (code) => fail(new Error(`the goroutine worker exited (code ${code})`)));
      this.worker = w;
      return w;
    } catch {
      return undefined;
    }
  }

  /** Parses, groups and indexes `text`; `name` appears in error messages. */
  group(text: string, name: string): Promise<GroupedDump> {
    return this.request({ text, name }, () => text);
  }

  /** The same for a file (plain or gzipped), read in the worker: the text never crosses threads. */
  groupFile(path: string, name: string): Promise<GroupedDump> {
    return this.request({ path, name }, () => new TextDecoder().decode(maybeGunzip(readFileSync(path), name)));
  }

  private request(req: { text?: string; path?: string; name: string }, textHere: () => string): Promise<GroupedDump> {
    const w = this.start();
    if (!w) {
      try {
        return Promise.resolve(groupHere(textHere(), req.name));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ id, ...req });
    }).finally(() => {
      if (this.pending.size === 0) this.worker?.unref();
    }) as Promise<GroupedDump>;
  }

  dispose(): void {
    const w = this.worker;
    this.worker = undefined;
    void w?.terminate();
  }
}
