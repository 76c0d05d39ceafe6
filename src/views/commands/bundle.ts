// "Collect Profiling Bundle…" (a context or pod group in the Pods view, or the palette): CPU seconds and kinds
// asked, every etcd member and the operator collected with per-pod progress and Cancel, the .tar.gz saved under
// the captures folder as `<context>/bundle-<UTC time>.tar.gz`, then opened in the bundle view.
// "Open Profiling Bundle…" (palette, explorer context menu on a .tar.gz) opens any bundle there, unpacked in memory.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { collectBundle } from '../../capture/bundle.ts';
import { BUNDLE_KINDS, OPTIONAL_BUNDLE_KINDS } from '../../capture/bundleManifest.ts';
import { captureKind, type CaptureKindId } from '../../capture/kinds.ts';
import { safeSegment, utcStamp } from '../../capture/save.ts';
import { CaptureError } from '../../capture/validate.ts';
import { summaryMarkdown } from '../../profile/memberSummary.ts';
import { TOOL_VERSION } from '../../version.ts';
import { bundleUri, type BundleFileSystem } from '../members/bundleFs.ts';
import { MembersPanel } from '../members/membersPanel.ts';
import { bundlePayload } from '../members/model.ts';
import type { ProfilerContext } from '../profilerContext.ts';
import { captureSettings } from './capture.ts';
import type { CommandFactory } from './index.ts';

function contextOf(arg: unknown): string | undefined {
  const a = arg as { type?: string; info?: { name?: string }; context?: string } | undefined;
  if (a?.type === 'context' && typeof a.info?.name === 'string') return a.info.name;
  if (typeof a?.context === 'string') return a.context;
  return undefined;
}

async function pickContext(pctx: ProfilerContext): Promise<string | undefined> {
  const contexts = pctx.kube.contexts();
  if (contexts.length <= 1) return contexts[0]?.name;
  const pick = await vscode.window.showQuickPick(contexts.map((c) => ({ label: c.name, description: c.server })), { title: 'Collect Profiling Bundle: context' });
  return pick?.label;
}

/** Shows a bundle file in the members view. */
export async function showBundle(ctx: vscode.ExtensionContext, pctx: ProfilerContext, fs: BundleFileSystem, file: string): Promise<MembersPanel> {
  return MembersPanel.show(
    ctx.extensionUri,
    {
      key: `bundle:${file}`,
      title: `Bundle · ${basename(file)}`,
      payload: async () => bundlePayload(await fs.open(file), basename(file)),
      uriOf: (id) => bundleUri(file, id),
    },
    pctx.output,
  );
}

export function collectBundleCommand(fs: BundleFileSystem): CommandFactory {
  return (ctx, pctx) => async (arg?: unknown, options?: { seconds?: number; kinds?: CaptureKindId[] }) => {
    const context = contextOf(arg) ?? (await pickContext(pctx));
    if (!context) return undefined;
    let seconds = options?.seconds;
    if (seconds === undefined) {
      const value = await vscode.window.showInputBox({
        title: 'Collect Profiling Bundle: CPU profile seconds',
        prompt: 'Every member and the operator record a CPU profile this long, at the same time',
        value: String(captureSettings().seconds),
        validateInput: (v) => (/^\d+$/.test(v) && Number(v) > 0 && Number(v) <= 3600 ? undefined : 'A whole number of seconds, 1 to 3600'),
      });
      if (value === undefined) return undefined;
      seconds = Number(value);
    }
    let kinds = options?.kinds;
    if (!kinds) {
      const picks = await vscode.window.showQuickPick(
        [...BUNDLE_KINDS, ...OPTIONAL_BUNDLE_KINDS].map((k) => ({
          label: captureKind(k).label,
          description: k === 'block' || k === 'mutex' ? 'where the process turned it on' : undefined,
          picked: BUNDLE_KINDS.includes(k),
          id: k,
        })),
        { title: 'Collect Profiling Bundle: kinds', canPickMany: true },
      );
      if (!picks || picks.length === 0) return undefined;
      kinds = picks.map((p) => p.id);
    }
    const settings = captureSettings();
    const output = vscode.Uri.joinPath(pctx.captures.root, safeSegment(context), `bundle-${utcStamp(new Date())}.tar.gz`).fsPath;
    let result;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Profiling bundle of ${context}`, cancellable: true },
        async (progress, token) => {
          const ac = new AbortController();
          const sub = token.onCancellationRequested(() => ac.abort());
          const state = new Map<string, string>();
          let shown = 0;
          try {
            return await collectBundle({
              kubeConfig: pctx.kube.kubeConfigFor(context),
              output,
              seconds,
              kinds,
              method: settings.method,
              insecureSkipVerify: settings.insecureSkipVerify,
              maxBytes: settings.maxBytes,
              toolVersion: TOOL_VERSION,
              summarize: summaryMarkdown,
              signal: ac.signal,
              log: (line) => pctx.output.info(line),
              onProgress: (p) => {
                state.set(p.pod, p.status);
                const pct = p.total ? Math.round((p.done / p.total) * 100) : 0;
                progress.report({ message: `${p.done}/${p.total} · ${[...state].map(([k, v]) => `${k}: ${v}`).join(' · ')}`, increment: Math.max(0, pct - shown) });
                shown = Math.max(shown, pct);
              },
            });
          } finally {
            sub.dispose();
          }
        },
      );
    } catch (err) {
      if (err instanceof CaptureError && err.code === 'cancelled') {
        void vscode.window.showInformationMessage(`Profiling bundle of ${context} cancelled; nothing saved.`);
        return undefined;
      }
      throw err;
    } finally {
      pctx.captures.refresh();
    }
    pctx.output.info(result.summaryLine);
    for (const f of result.manifest.failed) pctx.output.warn(`bundle: ${f.namespace}/${f.pod} ${f.item} failed: ${f.reason}`);
    if (!result.file) {
      const reason = result.manifest.failed[0]?.reason ?? 'no items';
      void vscode.window.showErrorMessage(`Profiling bundle of ${context}: nothing collected, no file written. ${reason}`, 'Show Output').then((c) => {
        if (c) pctx.output.show(true);
      });
      return undefined;
    }
    await showBundle(ctx, pctx, fs, result.file);
    if (result.manifest.failed.length) {
      void vscode.window.showWarningMessage(result.summaryLine, 'Show Output').then((c) => {
        if (c) pctx.output.show(true);
      });
    } else {
      vscode.window.setStatusBarMessage(`${result.summaryLine} → ${result.file}`, 8000);
    }
    return result.file;
  };
}

export function openBundleCommand(fs: BundleFileSystem): CommandFactory {
  return (ctx, pctx) => async (uri?: unknown) => {
    const target =
      uri instanceof vscode.Uri
        ? uri
        : (await vscode.window.showOpenDialog({ title: 'Open Profiling Bundle', openLabel: 'Open', defaultUri: pctx.captures.root, filters: { 'Profiling bundles': ['gz', 'tgz'] } }))?.[0];
    if (!target) return undefined;
    if (target.scheme !== 'file') throw new Error('Profiling bundles open from local files only.');
    await fs.open(target.fsPath);
    await showBundle(ctx, pctx, fs, target.fsPath);
    return target.fsPath;
  };
}
