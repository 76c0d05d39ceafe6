// "Capture from All Members": the chosen kind (CPU, heap…) from every etcd member of a context at once, with
// one progress notification, then each result opened side by side (one editor column per member) and the
// failures listed. From an etcd pod row the row's context is used; from the palette a context is asked.
import * as vscode from 'vscode';
import type { ForwardRegistry } from '../../cluster/forwardRegistry.ts';
import { podTargetOf } from '../podTree.ts';
import { captureAll } from '../../capture/captureAll.ts';
import { CAPTURE_KINDS, captureKind, type CaptureKind } from '../../capture/kinds.ts';
import type { ProfilerContext } from '../profilerContext.ts';
import { captureSettings } from './capture.ts';
import type { CommandFactory } from './index.ts';

async function pickContext(pctx: ProfilerContext): Promise<string | undefined> {
  const contexts = pctx.kube.contexts();
  if (contexts.length <= 1) return contexts[0]?.name;
  const pick = await vscode.window.showQuickPick(
    contexts.map((c) => ({ label: c.name, description: c.server })),
    { title: 'Capture from All Members: context' },
  );
  return pick?.label;
}

async function pickKind(): Promise<CaptureKind | undefined> {
  const kinds = CAPTURE_KINDS.filter((k) => k.format !== 'trace');
  const pick = await vscode.window.showQuickPick(
    kinds.map((k) => ({ label: k.label, description: k.timed ? 'timed (etcdProfiler.captureSeconds)' : k.path, captureKind: k })),
    { title: 'Capture from All Members: kind' },
  );
  return pick?.captureKind;
}

export function captureAllMembers(forwards: ForwardRegistry): CommandFactory {
  return (_ctx, pctx) => async (arg?: unknown, kindArg?: unknown) => {
    const context = podTargetOf(arg)?.context ?? (await pickContext(pctx));
    if (!context) return undefined;
    const discovery = await pctx.pods.discovery(context);
    const members = discovery.groups.filter((g) => g.kind === 'etcd').flatMap((g) => g.pods);
    if (members.length === 0) throw new Error(`No etcd members found in context "${context}".`);
    const kind = typeof kindArg === 'string' ? captureKind(kindArg) : await pickKind();
    if (!kind) return undefined;
    const settings = captureSettings();
    const namespace = members[0].namespace;
    const results = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `${kind.label} from ${members.length} etcd members`, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        const state = new Map<string, string>();
        try {
          return await captureAll(
            {
              kubeConfig: pctx.kube.kubeConfigFor(context),
              namespace,
              kind,
              seconds: settings.seconds,
              method: settings.method,
              folder: pctx.captures.root.fsPath,
              registry: forwards,
              insecureSkipVerify: settings.insecureSkipVerify,
              maxBytes: settings.maxBytes,
              signal: ac.signal,
              log: (line) => pctx.output.info(line),
            },
            members.map((m) => m.name),
            (pod, p) => {
              state.set(pod, p.secondsLeft !== undefined ? `${p.secondsLeft} s` : p.phase);
              progress.report({ message: [...state].map(([k, v]) => `${k}: ${v}`).join(' · ') });
            },
          );
        } finally {
          sub.dispose();
        }
      },
    );
    pctx.captures.refresh();
    const ok = results.filter((r) => r.result);
    // Side by side: each member's capture in its own editor column.
    for (let i = 0; i < ok.length; i++) {
      const uri = vscode.Uri.file(ok[i].result!.file);
      const column = Math.min(i + 1, 9) as vscode.ViewColumn;
      if (kind.format === 'text') await vscode.window.showTextDocument(uri, { viewColumn: column, preview: false, preserveFocus: i > 0 });
      else await vscode.commands.executeCommand('vscode.openWith', uri, 'etcdProfiler.profileViewer', { viewColumn: column, preview: false, preserveFocus: i > 0 });
    }
    for (const r of results) {
      if (r.result) pctx.output.info(`${kind.label} from ${namespace}/${r.pod} by ${r.result.method}: ${r.result.file} (${r.result.bytes} bytes)`);
      else pctx.output.error(`${kind.label} from ${namespace}/${r.pod} failed: ${r.error?.message}`);
    }
    const failed = results.filter((r) => r.error);
    if (failed.length) {
      void vscode.window.showWarningMessage(`${kind.label}: ${ok.length} of ${results.length} members captured; ${failed.map((f) => `${f.pod}: ${f.error?.message}`).join(' — ')}`, 'Show Output').then((c) => {
        if (c) pctx.output.show(true);
      });
    }
    return results.map((r) => r.result?.file ?? null);
  };
}
