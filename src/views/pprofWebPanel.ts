// pprof's own web UI (graph, peek, source, disassembly) in an editor tab: `go tool pprof -http` runs on a loopback
// port (src/capture/pprofWeb.ts) and a webview shows it in an iframe. Closing the tab kills the pprof process;
// so does deactivate. Without `go` on PATH the message says so and offers the gateway URL for another machine.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { GoNotFoundError, startPprofWeb, type PprofWebSession } from '../capture/pprofWeb.ts';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function pprofWebHtml(frameUrl: string, label: string): string {
  const origin = new URL(frameUrl).origin;
  const url = escapeHtml(frameUrl);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; frame-src ${escapeHtml(origin)}; style-src 'unsafe-inline';">
<style>
  html, body { margin: 0; padding: 0; height: 100%; overflow: hidden; background: var(--vscode-editor-background); color: var(--vscode-foreground); font: var(--vscode-font-size) var(--vscode-font-family); }
  body { display: flex; flex-direction: column; }
  header { flex: none; padding: 4px 8px; border-bottom: 1px solid var(--vscode-panel-border, transparent); color: var(--vscode-descriptionForeground); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  a { color: var(--vscode-textLink-foreground); }
  a:focus { outline: 1px solid var(--vscode-focusBorder); }
  iframe { flex: 1; border: 0; width: 100%; background: #fff; }
</style></head>
<body>
<header>go tool pprof — ${escapeHtml(label)} · <a href="${url}">Open in browser</a></header>
<iframe src="${url}" title="go tool pprof web UI for ${escapeHtml(label)}"></iframe>
</body></html>`;
}

/** The pprof processes behind open tabs; every one is killed on deactivate. */
export class PprofWebPanels implements vscode.Disposable {
  private readonly sessions = new Set<PprofWebSession>();
  private readonly output: vscode.LogOutputChannel;

  constructor(output: vscode.LogOutputChannel) {
    this.output = output;
  }

  /**
   * Runs pprof on `source` (a profile file or a gateway URL) and opens its UI in a tab titled `pprof: <label>`.
   * `gatewayUrl` is offered when `go` is missing. Resolves to the tab's panel, or undefined when cancelled.
   */
  async open(source: string, label: string, options: { gatewayUrl?: string; fetchSeconds?: number } = {}): Promise<vscode.WebviewPanel | undefined> {
    let session: PprofWebSession;
    try {
      const started = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `go tool pprof: ${label}`, cancellable: true },
        async (progress, token) => {
          const ac = new AbortController();
          const sub = token.onCancellationRequested(() => ac.abort());
          progress.report({ message: options.fetchSeconds ? `fetching the profile (${options.fetchSeconds} s)…` : 'starting the web UI…' });
          try {
            return await startPprofWeb({
              source,
              signal: ac.signal,
              startTimeoutMs: ((options.fetchSeconds ?? 0) + 120) * 1000,
              log: (l) => this.output.info(l),
            });
          } finally {
            sub.dispose();
          }
        },
      );
      session = started;
    } catch (err) {
      if ((err as Error).name === 'AbortError') return undefined;
      if (err instanceof GoNotFoundError) {
        const actions = options.gatewayUrl ? ['Copy Gateway URL', 'Copy go tool pprof Command'] : ['Open pprof Gateway…'];
        const choice = await vscode.window.showWarningMessage(err.message, ...actions);
        if (choice === 'Copy Gateway URL') await vscode.env.clipboard.writeText(options.gatewayUrl!);
        if (choice === 'Copy go tool pprof Command') await vscode.env.clipboard.writeText(`go tool pprof -http=: ${options.gatewayUrl}profile?seconds=30`);
        if (choice === 'Open pprof Gateway…') await vscode.commands.executeCommand('etcdProfiler.openGateway');
        return undefined;
      }
      throw err;
    }
    this.sessions.add(session);
    this.output.info(`go tool pprof for ${label}: web UI on 127.0.0.1:${session.port} (pid ${session.pid})`);
    const external = await vscode.env.asExternalUri(vscode.Uri.parse(session.url));
    const panel = vscode.window.createWebviewPanel('etcdProfiler.pprofWeb', `pprof: ${label}`, vscode.ViewColumn.Active, {
      // The iframe's page runs pprof's own scripts; a sandboxed webview without scripts would stop them too.
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [],
      portMapping: [{ webviewPort: session.port, extensionHostPort: session.port }],
    });
    panel.webview.html = pprofWebHtml(external.toString(true), label);
    panel.onDidDispose(() => {
      this.sessions.delete(session);
      void session.stop().then(() => this.output.info(`go tool pprof for ${label} stopped (tab closed)`));
    });
    session.onExit((code) => {
      if (!this.sessions.has(session)) return;
      this.sessions.delete(session);
      this.output.warn(`go tool pprof for ${label} exited (code ${code})`);
      void vscode.window.showWarningMessage(`go tool pprof for ${label} exited; close the tab and open it again.`);
    });
    return panel;
  }

  /** For tests and the status: the pids of pprof processes behind open tabs. */
  pids(): number[] {
    return [...this.sessions].map((s) => s.pid).filter((p): p is number => p !== undefined);
  }

  dispose(): void {
    for (const s of this.sessions) void s.stop();
    this.sessions.clear();
  }
}

export function fileLabel(file: string): string {
  return basename(file);
}
