// Worker thread: parses and groups a goroutine dump's text and indexes its lines, off the thread that
// asked (the extension host stays responsive on a 100k-goroutine dump). Messages: {id, text | path, name}
// in (a path is read here, so a saved file's text need not cross threads), {id, dump, index, ms} or
// {id, error} out. Bundled as dist/goroutineWorker.cjs.
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { maybeGunzip } from './decode.ts';
import { indexGoroutineText } from './goroutineIndex.ts';
import { dumpTextOf, noDumpMessage, parseGoroutineText } from './goroutines.ts';

export interface GroupRequest {
  id: number;
  text?: string;
  path?: string;
  name: string;
}

parentPort?.on('message', (req: GroupRequest) => {
  const t0 = performance.now();
  try {
    const text = req.text ?? new TextDecoder().decode(maybeGunzip(readFileSync(req.path ?? ''), req.name));
    const body = dumpTextOf(text);
    const dump = parseGoroutineText(body);
    if (!dump) {
      parentPort?.postMessage({ id: req.id, error: noDumpMessage(req.name) });
      return;
    }
    if (body !== text) dump.unwrapped = true;
    const index = indexGoroutineText(body, dump);
    parentPort?.postMessage({ id: req.id, dump, index, ms: performance.now() - t0 }, [index.starts.buffer as ArrayBuffer, index.ends.buffer as ArrayBuffer, index.groupLines.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort?.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) });
  }
});
