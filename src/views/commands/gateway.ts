// pprof gateways from the editor: *Open pprof Gateway* on a pod row (or from the palette), the status bar entry
// beside the forwards (copy the URL, a `go tool pprof` command, a `curl` command; open in go tool pprof; stop),
// and *Open in go tool pprof* on a gateway, a capture or a saved profile. The gateway core is src/capture/gateway.ts.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { GatewayRegistry, openPprofGateway, type PprofGateway } from '../../capture/gateway.ts';
import { getConfig } from '../config.ts';
import { resolvePod } from '../podPicker.ts';
import type { ProfilerContext } from '../profilerContext.ts';
import { fileLabel, PprofWebPanels } from '../pprofWebPanel.ts';
import { captureSettings } from './capture.ts';
import type { RegisterCommand } from './index.ts';


export function pprofCommand(g: PprofGateway, seconds = 30): string {
  return `go tool pprof -http=: ${g.url}profile?seconds=${seconds}`;
}

export function curlCommand(g: PprofGateway): string {
  return `curl -sS -o heap.pb.gz ${g.url}heap`;
}

function gatewayLabel(g: PprofGateway): string {
  return `${g.namespace}/${g.pod}`;
}

function statusBar(gateways: GatewayRegistry): vscode.Disposable {
  // Priority 49: right of the forwards item (50).
  const item = vscode.window.createStatusBarItem('etcdProfiler.gateways', vscode.StatusBarAlignment.Left, 49);
  item.name = 'etcd Profiler pprof gateways';
  item.command = 'etcdProfiler.listGateways';
  const update = (): void => {
    const list = gateways.list();
    if (list.length === 0) {
      item.hide();
      return;
    }
    item.text = `$(broadcast) ${list.length} pprof gateway${list.length === 1 ? '' : 's'}`;
    item.tooltip = list.map((g) => `${g.describe()} — click for the URL, a go tool pprof or curl command, or to stop`).join('\n');
    item.accessibilityInformation = { label: `${list.length} pprof gateway${list.length === 1 ? '' : 's'} open` };
    item.show();
  };
  const unsubscribe = gateways.onDidChange(update);
  update();
  return new vscode.Disposable(() => {
    unsubscribe();
    item.dispose();
  });
}

async function pickGateway(gateways: GatewayRegistry, title: string): Promise<PprofGateway | undefined> {
  const list = gateways.list();
  if (list.length === 0) {
    void vscode.window.showInformationMessage('No pprof gateway is open. Right-click a pod → Open pprof Gateway.');
    return undefined;
  }
  if (list.length === 1) return list[0];
  const pick = await vscode.window.showQuickPick(
    list.map((g) => ({ label: gatewayLabel(g), description: `127.0.0.1:${g.port} · ${g.context}`, detail: `${g.upstreamRequests} request(s) served, ${g.refusedRequests} refused`, g })),
    { title },
  );
  return pick?.g;
}

const PROFILES = [
  { label: 'Heap', path: 'heap' },
  { label: 'CPU profile', path: 'profile', timed: true },
  { label: 'Goroutines', path: 'goroutine' },
  { label: 'Allocations', path: 'allocs' },
  { label: 'Block', path: 'block' },
  { label: 'Mutex', path: 'mutex' },
];

async function openGatewayInPprof(panels: PprofWebPanels, g: PprofGateway): Promise<void> {
  const seconds = captureSettings().seconds;
  const pick = await vscode.window.showQuickPick(
    PROFILES.map((p) => ({ label: p.label, description: p.timed ? `${seconds} s (etcdProfiler.captureSeconds)` : p.path, p })),
    // A step after the gateway's actions: a webview editor taking the focus back would close it (see pickKind).
    { title: `Open in go tool pprof: ${gatewayLabel(g)}`, ignoreFocusOut: true },
  );
  if (!pick) return;
  const source = `${g.url}${pick.p.path}${pick.p.timed ? `?seconds=${seconds}` : ''}`;
  await panels.open(source, `${pick.p.label} of ${g.pod}`, { gatewayUrl: g.url, fetchSeconds: pick.p.timed ? seconds : undefined });
}

async function announce(panels: PprofWebPanels, g: PprofGateway): Promise<void> {
  const choice = await vscode.window.showInformationMessage(`pprof gateway for ${gatewayLabel(g)} at 127.0.0.1:${g.port} (by ${g.method}).`, 'Copy URL', 'Copy go tool pprof Command', 'Open in go tool pprof');
  if (choice === 'Copy URL') await vscode.env.clipboard.writeText(g.url);
  if (choice === 'Copy go tool pprof Command') await vscode.env.clipboard.writeText(pprofCommand(g, captureSettings().seconds));
  if (choice === 'Open in go tool pprof') await openGatewayInPprof(panels, g);
}

/** The profile file of a command argument: a Uri (explorer, profile editor), a Captures row, or the active tab. */
function profileFileOf(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.scheme === 'file' ? arg.fsPath : undefined;
  const node = arg as { type?: string; file?: { path?: string } } | undefined;
  if (node?.type === 'file' && typeof node.file?.path === 'string') return node.file.path;
  if (typeof arg === 'string' && existsSync(arg)) return arg;
  return undefined;
}

function activeProfileFile(): string | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
  return uri?.scheme === 'file' && /\.(pb\.gz|pprof|prof)$/.test(uri.path) ? uri.fsPath : undefined;
}

export function setupGateways(ctx: vscode.ExtensionContext, pctx: ProfilerContext, registerCommand: RegisterCommand): GatewayRegistry {
  const gateways = new GatewayRegistry();
  const panels = new PprofWebPanels(pctx.output);
  ctx.subscriptions.push(statusBar(gateways), panels, { dispose: () => void gateways.stopAll('window closed') });

  registerCommand('etcdProfiler.openGateway', () => async (arg?: unknown) => {
    const target = await resolvePod(pctx, arg, { title: 'Open pprof gateway' });
    if (!target) return undefined;
    const settings = captureSettings();
    const g = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Opening a pprof gateway to ${target.name}…` }, () =>
      openPprofGateway({
        kubeConfig: pctx.kube.kubeConfigFor(target.context),
        namespace: target.namespace,
        pod: target.name,
        method: settings.method,
        endpoint: target.endpoint ? { scheme: target.endpoint.scheme, port: target.endpoint.port } : undefined,
        insecureSkipVerify: settings.insecureSkipVerify,
        allowMetrics: getConfig().get<boolean>('gateway.allowMetrics', false),
        log: (line) => pctx.output.info(line),
      }),
    );
    gateways.add(g);
    g.onDidChange(() => {
      if (g.state === 'closed' && g.closeReason !== 'stopped' && g.closeReason !== 'window closed') {
        void vscode.window.showWarningMessage(`pprof gateway for ${gatewayLabel(g)} closed: ${g.closeReason}.`);
      }
    });
    void announce(panels, g);
    return g.port;
  }, { cluster: true });

  registerCommand('etcdProfiler.listGateways', () => async () => {
    const g = await pickGateway(gateways, 'pprof gateways');
    if (!g) return;
    const seconds = captureSettings().seconds;
    const actions = [
      { label: '$(copy) Copy URL', description: g.url.replace(/\/[^/]+\/debug\/pprof\/$/, '/…/debug/pprof/'), id: 'url' },
      { label: '$(terminal) Copy go tool pprof Command', description: `go tool pprof -http=: …/profile?seconds=${seconds}`, id: 'pprof' },
      { label: '$(terminal) Copy curl Command', description: 'curl -sS -o heap.pb.gz …/heap', id: 'curl' },
      { label: '$(graph) Open in go tool pprof', id: 'open' },
      { label: '$(debug-disconnect) Stop', id: 'stop' },
    ];
    // Opened from the status bar, often just after an editor changed: a profile viewer that becomes visible
    // takes the focus once its webview loads, which would close this list under the user's pointer.
    const action = await vscode.window.showQuickPick(actions, { title: `pprof gateway ${gatewayLabel(g)} → 127.0.0.1:${g.port}`, ignoreFocusOut: true });
    switch (action?.id) {
      case 'url':
        await vscode.env.clipboard.writeText(g.url);
        break;
      case 'pprof':
        await vscode.env.clipboard.writeText(pprofCommand(g, seconds));
        break;
      case 'curl':
        await vscode.env.clipboard.writeText(curlCommand(g));
        break;
      case 'open':
        await openGatewayInPprof(panels, g);
        break;
      case 'stop':
        await g.stop('stopped');
        break;
    }
  });

  registerCommand('etcdProfiler.stopGateway', () => async () => {
    const g = await pickGateway(gateways, 'Stop pprof gateway');
    if (g) await g.stop('stopped');
  });

  registerCommand('etcdProfiler.openInGoPprof', () => async (arg?: unknown) => {
    const file = profileFileOf(arg) ?? (arg === undefined ? activeProfileFile() : undefined);
    if (file) {
      const panel = await panels.open(file, fileLabel(file), { gatewayUrl: gateways.list()[0]?.url });
      return panel?.title;
    }
    const list = gateways.list();
    if (list.length > 0) {
      const g = await pickGateway(gateways, 'Open in go tool pprof');
      if (g) await openGatewayInPprof(panels, g);
      return undefined;
    }
    const picked = await vscode.window.showOpenDialog({ title: 'Open in go tool pprof', canSelectMany: false, filters: { Profiles: ['gz', 'pprof', 'prof'] } });
    if (!picked?.[0]) return undefined;
    const panel = await panels.open(picked[0].fsPath, fileLabel(picked[0].fsPath));
    return panel?.title;
  });

  return gateways;
}
