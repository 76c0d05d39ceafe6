// Quick picks for commands run from the palette: context, then pod. Commands run from a pod row get the row.
import * as vscode from 'vscode';
import { endpointUrl, type PodGroupKind, type PodTarget } from '../cluster/pods.ts';
import { podTargetOf } from './podTree.ts';
import type { ProfilerContext } from './profilerContext.ts';

type PodItem = vscode.QuickPickItem & { pod?: PodTarget };

/** Asks for a context (skipped when there is one) and a pod of it, optionally only from some groups. */
export async function pickPod(pctx: ProfilerContext, options: { groups?: PodGroupKind[]; title?: string } = {}): Promise<PodTarget | undefined> {
  const contexts = pctx.kube.contexts();
  let context = contexts[0]?.name;
  if (!context) throw new Error('The kubeconfig has no contexts.');
  if (contexts.length > 1) {
    const pick = await vscode.window.showQuickPick(
      contexts.map((c) => ({ label: c.name, description: c.server })),
      { title: options.title ? `${options.title}: context` : 'Context', placeHolder: 'Kube context' },
    );
    if (!pick) return undefined;
    context = pick.label;
  }
  const discovery = pctx.pods.discovery(context);
  const items = discovery.then((d) => {
    const out: PodItem[] = [];
    for (const g of d.groups) {
      if (options.groups && !options.groups.includes(g.kind)) continue;
      if (g.pods.length === 0) continue;
      out.push({ label: g.label, kind: vscode.QuickPickItemKind.Separator });
      for (const p of g.pods) {
        out.push({
          label: p.name,
          description: `${p.phase}${p.ready ? '' : ' (not ready)'} · ${p.node ?? 'no node'}`,
          detail: p.endpoint ? endpointUrl(p.endpoint) : (p.endpointNote ?? 'no pprof endpoint detected'),
          pod: podTargetOf(p),
        });
      }
    }
    if (out.length === 0) throw new Error(`No matching pods in context "${context}".`);
    return out;
  });
  // After the context picker, focus returning to a webview editor would close this one (see pickKind).
  const pick = await vscode.window.showQuickPick(items, { title: options.title ? `${options.title}: pod` : 'Pod', matchOnDescription: true, ignoreFocusOut: contexts.length > 1 });
  return pick?.pod;
}

/** The pod from a command's argument (a pod row), else asked for with `pickPod`. */
export async function resolvePod(pctx: ProfilerContext, arg: unknown, options: { groups?: PodGroupKind[]; title?: string } = {}): Promise<PodTarget | undefined> {
  return podTargetOf(arg) ?? pickPod(pctx, options);
}
