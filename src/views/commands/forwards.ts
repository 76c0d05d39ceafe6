// Start/stop port-forwards from a pod row, and the status bar list of active ones (copy URL, open pprof index,
// reconnect, stop).
import * as vscode from 'vscode';
import type { ForwardRegistry } from '../../cluster/forwardRegistry.ts';
import type { PortForwardSession } from '../../cluster/portForward.ts';
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

export function startForward(forwards: ForwardRegistry): CommandFactory {
  return (_ctx, pctx) => async (arg?: unknown, portArg?: unknown) => {
    const target = await resolvePod(pctx, arg, { title: 'Start port-forward' });
    if (!target) return undefined;
    const remotePort = typeof portArg === 'number' ? portArg : (target.endpoint?.port ?? (await askPort()));
    if (!remotePort) return undefined;
    const kubeConfig = pctx.kube.kubeConfigFor(target.context);
    const session = await forwards.start(kubeConfig, { namespace: target.namespace, pod: target.name, remotePort });
    pctx.output.info(`Port-forward ${session.describe()}`);
    const url = `${target.endpoint?.scheme ?? schemeOf(session)}://127.0.0.1:${session.localPort}/debug/pprof/`;
    void vscode.window
      .showInformationMessage(`Forwarding ${session.describe()}.`, 'Copy URL', 'Open pprof Index')
      .then(async (choice) => {
        if (choice === 'Copy URL') await vscode.env.clipboard.writeText(url);
        if (choice === 'Open pprof Index') await vscode.commands.executeCommand('etcdProfiler.openPprofIndex', target);
      });
    return session.localPort;
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
    const action = await vscode.window.showQuickPick(actions, { title: `${s.namespace}/${s.pod}:${s.remotePort} → 127.0.0.1:${s.localPort}` });
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
