// The webview's side of the channel to the extension host, typed by src/protocol.ts.
import type { FromWebview } from '../src/protocol.ts';

interface VsCodeApi {
  postMessage(msg: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;

/** The host API; outside VS Code (the benchmark page) messages go to the console. */
export function vscode(): VsCodeApi {
  if (!api) {
    api =
      typeof acquireVsCodeApi === 'function'
        ? acquireVsCodeApi()
        : { postMessage: (m) => console.debug('postMessage', m), getState: () => undefined, setState: () => undefined };
  }
  return api;
}

export function post(msg: FromWebview): void {
  vscode().postMessage(msg);
}
