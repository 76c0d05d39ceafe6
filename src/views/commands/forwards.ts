// Start/stop port-forwards from a pod row, and the status bar list of active ones (copy URL, open pprof index,
// reconnect, stop).
import * as vscode from 'vscode';
import type { ForwardRegistry } from '../../cluster/forwardRegistry.ts';
import type { PortForwardSession } from '../../cluster/portForward.ts';
import { CoreV1Api } from '@kubernetes/client-node';
import { readDeclaredPorts, type PodTarget } from '../../cluster/pods.ts';
import { podTargetOf } from '../podTree.ts';
import { resolvePod } from '../podPicker.ts';
import type { CommandFactory } from './index.ts';

async function askPort(defaultPort?: number): Promise<number | undefined> {
  const value = await vscode.window.showInputBox({
    title: 'Port-forward: remote port',
    prompt: 'Port inside the pod',
    value: defaultPort ? String(defaultPort) : '',
    validateInput: (v) => (/^\d+$/.test(v) && Number(v) > 0 && Number(v) < 65536 ? undefined : 'A port number, 1 to 65535'),
  });
  return value === undefined ? undefined : Number(value);
}

function schemeOf(s: PortForwardSession): 'http' | 'https' {
  return s.remotePort === 2379 ? 'https' : 'http';
}

async function startAndAnnounce(forwards: ForwardRegistry, pctx: Parameters<CommandFactory>[1], target: PodTarget, remotePort: number): Promise<number> {
  const kubeConfig = pctx.kube.kubeConfigFor(target.context);
  const session = await forwards.start(kubeConfig, { namespace: target.namespace, pod: target.name, remotePort });
  pctx.output.info(`Port-forward ${session.describe()}`);
  const isEndpoint = target.endpoint?.port === remotePort;
  const url = `${isEndpoint ? target.endpoint!.scheme : schemeOf(session)}://127.0.0.1:${session.localPort}${isEndpoint || remotePort === 2379 ? '/debug/pprof/' : '/'}`;
  void vscode.window
    .showInformationMessage(`Forwarding ${session.describe()}.`, 'Copy URL', 'Open pprof Index')
    .then(async (choice) => {
      if (choice === 'Copy URL') await vscode.env.clipboard.writeText(url);
      if (choice === 'Open pprof Index') await vscode.commands.executeCommand('etcdProfiler.openPprofIndex', target);
    });
  return session.localPort;
}

/** Start Port-Forward: to the pod's pprof endpoint (or a port given by the caller, or asked for). */
export function startForward(forwards: ForwardRegistry): CommandFactory {
  return (_ctx, pctx) => async (arg?: unknown, portArg?: unknown) => {
    const target = await resolvePod(pctx, arg, { title: 'Start port-forward' });
    if (!target) return undefined;
    const remotePort = typeof portArg === 'number' ? portArg : (target.endpoint?.port ?? (await askPort()));
    if (!remotePort) return undefined;
    return startAndAnnounce(forwards, pctx, target, remotePort);
  };
}

/** Start Port-Forward on Port…: the pprof endpoint, the ports the pod declares, or any other. */
export function startForwardOnPort(forwards: ForwardRegistry): CommandFactory {
  return (_ctx, pctx) => async (arg?: unknown) => {
    const target = await resolvePod(pctx, arg, { title: 'Start port-forward on port' });
    if (!target) return undefined;
    const api = pctx.kube.kubeConfigFor(target.context).makeApiClient(CoreV1Api);
    const declared = await readDeclaredPorts(api, target.namespace, target.name).catch((err: unknown) => {
      pctx.output.warn(`Could not read the ports of ${target.namespace}/${target.name}: ${String(err)}`);
      return [];
    });
    type Item = vscode.QuickPickItem & { port?: number };
    const items: Item[] = [];
    if (target.endpoint) items.push({ label: String(target.endpoint.port), description: `pprof endpoint (${target.endpoint.scheme})`, port: target.endpoint.port });
    for (const d of declared) {
      if (items.some((i) => i.port === d.port)) continue;
      items.push({ label: String(d.port), description: [d.name, `container ${d.container}`].filter(Boolean).join(' · '), port: d.port });
    }
    items.push({ label: '$(edit) Other port…' });
    const pick = await vscode.window.showQuickPick(items, { title: `Port-forward ${target.namespace}/${target.name}: remote port` });
    if (!pick) return undefined;
    const remotePort = pick.port ?? (await askPort());
    if (!remotePort) return undefined;
    return startAndAnnounce(forwards, pctx, target, remotePort);
  };
}

async function pickForward(forwards: ForwardRegistry, title: string): Promise<PortForwardSession | undefined> {
  const list = forwards.list();
  if (list.length === 0) {
    void vscode.window.showInformationMessage('No active port-forwards.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    list.map((s) => ({
      label: `${s.namespace}/${s.pod}:${s.remotePort}`,
      description: `127.0.0.1:${s.localPort} · ${s.context}`,
      detail: s.stale ? `$(warning) ${s.staleLabel}: ${s.lastError ?? ''}` : `${s.activeConnections} open connection(s), ${s.totalConnections} so far`,
      session: s,
    })),
    { title },
  );
  return pick?.session;
}

export function stopForward(forwards: ForwardRegistry): CommandFactory {
  return (_ctx, pctx) => async (arg?: unknown) => {
    const pod = podTargetOf(arg);
    const sessions = pod
      ? forwards.list().filter((s) => s.context === pod.context && s.namespace === pod.namespace && s.pod === pod.name)
      : [await pickForward(forwards, 'Stop port-forward')].filter((s): s is PortForwardSession => !!s);
    if (pod && sessions.length === 0) void vscode.window.showInformationMessage(`No port-forward to ${pod.name}.`);
    for (const s of sessions) {
      await s.stop();
      pctx.output.info(`Stopped port-forward ${s.describe()}`);
    }
  };
}

/** The status bar item's click: pick a forward, then what to do with it. */
export function listForwards(forwards: ForwardRegistry): CommandFactory {
  return (_ctx, pctx) => async () => {
    const s = await pickForward(forwards, 'Port-forwards');
    if (!s) return;
    const url = `${schemeOf(s)}://127.0.0.1:${s.localPort}/debug/pprof/`;
    const actions = [
      { label: '$(copy) Copy URL', description: url, id: 'copy' },
      { label: '$(list-unordered) Open pprof Index', id: 'index' },
      ...(s.stale ? [{ label: '$(refresh) Reconnect', id: 'reconnect' }] : []),
      { label: '$(debug-disconnect) Stop', id: 'stop' },
    ];
    const action = await vscode.window.showQuickPick(actions, { title: `${s.namespace}/${s.pod}:${s.remotePort} → 127.0.0.1:${s.localPort}`, ignoreFocusOut: true });
    switch (action?.id) {
      case 'copy':
        await vscode.env.clipboard.writeText(url);
        break;
      case 'index':
        await vscode.commands.executeCommand('etcdProfiler.openPprofIndex', { context: s.context, namespace: s.namespace, name: s.pod, container: '' });
        break;
      case 'reconnect': {
        const next = await forwards.reconnect(pctx.kube.kubeConfigFor(s.context), s);
        pctx.output.info(`Reconnected port-forward ${next.describe()}`);
        break;
      }
      case 'stop':
        await s.stop();
        break;
    }
  };
}
