// "Capture from All Members": the chosen kind (CPU, heap…) from every etcd member of a context at once, with
// one progress notification, then one members view: the members side by side (total, top functions, which one
// is the leader, from each member's /v3/maintenance/status), from which each member's capture opens, and
// Compare members. From an etcd pod row the row's context is used; from the palette a context is asked.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { ForwardRegistry } from '../../cluster/forwardRegistry.ts';
import { podTargetOf } from '../podTree.ts';
import { captureAll } from '../../capture/captureAll.ts';
import { fetchEndpointStatus } from '../../capture/etcdStatus.ts';
import { MembersPanel } from '../members/membersPanel.ts';
import { capturedPayload, type CapturedMember } from '../members/model.ts';
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
  return (ctx, pctx) => async (arg?: unknown, kindArg?: unknown) => {
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
    // Who leads: each member's own status (in parallel, a second at most each; unknown when it does not answer).
    const kubeConfig = pctx.kube.kubeConfigFor(context);
    const roles = await Promise.all(
      members.map((m) =>
        Promise.race([
          fetchEndpointStatus({ kubeConfig, namespace, pod: m.name, method: settings.method, registry: forwards, insecureSkipVerify: settings.insecureSkipVerify }).then((r) => r.status),
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000)),
        ]).catch((err: unknown) => {
          pctx.output.warn(`endpoint status of ${m.name}: ${(err as Error).message}`);
          return undefined;
        }),
      ),
    );
    const time = new Date();
    const captured: CapturedMember[] = await Promise.all(
      results.map(async (r, i) => {
        const m = members[i];
        const file = r.result ? { id: r.result.file, name: basename(r.result.file), bytes: await readFile(r.result.file), size: r.result.bytes } : undefined;
        return { namespace, pod: r.pod, role: roles[i]?.role ?? 'unknown', memberId: roles[i]?.memberId, node: m.node, file, error: r.error?.message };
      }),
    );
    if (ok.length > 0) {
      const payload = capturedPayload(kind, captured, context, time);
      MembersPanel.show(
        ctx.extensionUri,
        { key: `capture:${context}:${kind.id}:${time.getTime()}`, title: `${kind.label} · all members · ${time.toISOString().slice(11, 16)}`, payload: async () => payload, uriOf: (id) => vscode.Uri.file(id) },
        pctx.output,
      );
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
