import * as vscode from 'vscode';
import type { ContextInfo } from '../../cluster/kubeconfig.ts';
import type { ContextNode } from '../podTree.ts';
import type { CommandFactory } from './index.ts';

type Item = vscode.QuickPickItem & { context?: string; add?: boolean };

/**
 * Chooses the context shown first (and used by palette commands), or adds a kubeconfig file. From a context row
 * or with a context name as argument it selects that context directly. The kubeconfig file itself is not changed.
 */
export const selectContext: CommandFactory = (_ctx, pctx) => async (arg?: unknown) => {
  const direct = typeof arg === 'string' ? arg : (arg as ContextNode | undefined)?.type === 'context' ? (arg as ContextNode).info.name : undefined;
  if (direct) {
    await pctx.kube.selectContext(direct);
    return direct;
  }
  let contexts: ContextInfo[] = [];
  let current = '';
  try {
    contexts = pctx.kube.contexts();
    current = pctx.kube.kubeconfig().currentContext;
  } catch {
    // No readable kubeconfig: only adding one is offered.
  }
  const selected = pctx.kube.selectedContext;
  const items: Item[] = contexts.map((c) => ({
    label: c.name,
    description: [c.server, c.name === current ? 'current-context' : undefined].filter(Boolean).join(' · '),
    detail: `cluster ${c.cluster}, user ${c.user}`,
    iconPath: new vscode.ThemeIcon(c.name === selected ? 'vm-active' : 'vm'),
    context: c.name,
  }));
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(add) Add kubeconfig file…', add: true });
  const pick = await vscode.window.showQuickPick(items, { title: 'etcd Profiler: context to show first', placeHolder: selected ? `Now: ${selected}` : undefined });
  if (!pick) return undefined;
  if (pick.add) return vscode.commands.executeCommand('etcdProfiler.addKubeconfig');
  await pctx.kube.selectContext(pick.context!);
  return pick.context;
};
