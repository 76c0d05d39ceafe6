// "Capture ▸ <kind>" on a pod row, or "Capture…" from the palette (context → pod → kind quick picks): the same
// capture either way (CPU profiles and traces last `etcdProfiler.captureSeconds`, asked nowhere), a progress
// notification counting down (`etcd-master-1 · CPU profile · 14 s left`), cancellable (the request is aborted,
// nothing saved), a marker on the pod's row while it runs; then the file opens (profiles in the profile viewer,
// dumps in an editor tab) and the Captures view refreshes.
import * as vscode from 'vscode';
import type { ForwardRegistry } from '../../cluster/forwardRegistry.ts';
import type { PodTarget } from '../../cluster/pods.ts';
import { capture, type CaptureMethod, type CaptureResult } from '../../capture/capture.ts';
import { CAPTURE_KINDS, captureKind, type CaptureKind, type CaptureKindId } from '../../capture/kinds.ts';
import { CaptureError } from '../../capture/validate.ts';
import { captureDocumentUri } from '../captureDocuments.ts';
import { getConfig } from '../config.ts';
import { GOROUTINE_LANGUAGE } from '../goroutines/models.ts';
import { resolvePod } from '../podPicker.ts';
import type { ProfilerContext } from '../profilerContext.ts';
import type { CommandFactory } from './index.ts';

export interface CaptureSettings {
  seconds: number;
  method: CaptureMethod;
  insecureSkipVerify: boolean;
  /** Cap on one capture's size, bytes (setting `maxCaptureMB`). */
  maxBytes: number;
}

export function captureSettings(): CaptureSettings {
  const c = getConfig();
  const seconds = c.get<number>('captureSeconds', 30);
  const method = c.get<string>('captureMethod', 'auto');
  const maxMB = c.get<number>('maxCaptureMB', 1024);
  return {
    seconds: Number.isFinite(seconds) && seconds > 0 ? seconds : 30,
    method: method === 'forward' || method === 'exec' ? method : 'auto',
    insecureSkipVerify: c.get<boolean>('insecureSkipTLSVerify', false),
    maxBytes: Math.round((Number.isFinite(maxMB) && maxMB > 0 ? maxMB : 1024) * (1 << 20)),
  };
}

async function pickKind(seconds: number): Promise<CaptureKind | undefined> {
  const pick = await vscode.window.showQuickPick(
    CAPTURE_KINDS.map((k) => ({
      label: k.label,
      description: `${k.path}${Object.keys(k.params).length ? `?${new URLSearchParams(k.params)}` : ''}${k.timed ? ` · ${seconds} s (etcdProfiler.captureSeconds)` : ''}`,
      captureKind: k,
    })),
    // A step after the pod picker: when that picker closes, VS Code gives the focus back to the editor that
    // had it, and a webview (the profile viewer) takes it a moment later, which would close this picker
    // before the user saw it.
    { title: 'Capture: kind', ignoreFocusOut: true },
  );
  return pick?.captureKind;
}

/** Opens a saved capture where it belongs. */
export async function openCapture(result: Pick<CaptureResult, 'file' | 'kind'>): Promise<void> {
  const uri = vscode.Uri.file(result.file);
  if (result.kind.format === 'text') {
    // Titled by kind, pod and time (etcd-capture: URI over the same file).
    let doc = await vscode.workspace.openTextDocument(captureDocumentUri(result.file) ?? uri);
    if (doc.languageId !== GOROUTINE_LANGUAGE) doc = await vscode.languages.setTextDocumentLanguage(doc, GOROUTINE_LANGUAGE);
    await vscode.window.showTextDocument(doc, { preview: false });
  } else if (result.kind.format === 'profile') {
    // Not a preview tab: the next capture must not replace this one (two pods' captures side by side).
    await vscode.commands.executeCommand('vscode.open', uri, { preview: false });
  } else {
    const choice = await vscode.window.showInformationMessage(`Execution trace saved: ${result.file} (open it with \`go tool trace\`).`, 'Reveal in File Explorer');
    if (choice) await vscode.commands.executeCommand('revealFileInOS', uri);
  }
}

/** Runs one capture with a progress notification; resolves undefined when cancelled. */
export async function runCapture(
  pctx: ProfilerContext,
  forwards: ForwardRegistry,
  target: PodTarget,
  kind: CaptureKind,
  seconds: number,
  method?: CaptureMethod,
): Promise<CaptureResult | undefined> {
  const settings = captureSettings();
  const kubeConfig = pctx.kube.kubeConfigFor(target.context);
  const folder = pctx.captures.root.fsPath;
  const line = (text: string) => `${target.name} · ${kind.label} · ${text}`;
  pctx.pods.setCapturing(target, kind.id, kind.timed ? `${kind.label} · ${seconds} s` : kind.label);
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        let shown = 0;
        progress.report({ message: line('starting') });
        try {
          return await capture({
            kubeConfig,
            namespace: target.namespace,
            pod: target.name,
            kind,
            seconds,
            method: method ?? settings.method,
            endpoint: target.endpoint ? { scheme: target.endpoint.scheme, port: target.endpoint.port } : undefined,
            folder,
            registry: forwards,
            insecureSkipVerify: settings.insecureSkipVerify,
            maxBytes: settings.maxBytes,
            signal: ac.signal,
            log: (l) => pctx.output.info(l),
            metadata: true,
            onProgress: (p) => {
              if (p.secondsLeft !== undefined && kind.timed) {
                const done = Math.round(((seconds - p.secondsLeft) / seconds) * 100);
                progress.report({ message: line(`${p.secondsLeft} s left`), increment: Math.max(0, done - shown) });
                shown = Math.max(shown, done);
                pctx.pods.setCapturing(target, kind.id, `${kind.label} · ${p.secondsLeft} s left`);
              } else {
                progress.report({ message: line(lowerFirst(p.message)) });
              }
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (err) {
    if (err instanceof CaptureError && err.code === 'cancelled') {
      void vscode.window.showInformationMessage(`${kind.label} from ${target.name} cancelled; nothing saved.`);
      return undefined;
    }
    throw err;
  } finally {
    pctx.pods.setCapturing(target, kind.id, undefined);
    pctx.captures.refresh();
  }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** `fixedKind` for the per-kind submenu commands (the generic command asks); `method` forces forward or exec. */
export function captureCommand(forwards: ForwardRegistry, fixedKind?: CaptureKindId, method?: CaptureMethod): CommandFactory {
  return (_ctx, pctx) => async (arg?: unknown, kindArg?: unknown) => {
    const target = await resolvePod(pctx, arg, { title: 'Capture' });
    if (!target) return undefined;
    const given = fixedKind ?? (typeof kindArg === 'string' ? kindArg : undefined);
    const settings = captureSettings();
    const kind = given ? captureKind(given) : await pickKind(settings.seconds);
    if (!kind) return undefined;
    // One behaviour from the menu and the palette: the duration is the setting's, shown in the countdown.
    const seconds = settings.seconds;
    const result = await runCapture(pctx, forwards, target, kind, seconds, method);
    if (!result) return undefined;
    pctx.output.info(`${kind.label} from ${target.namespace}/${target.name} by ${result.method}: ${result.file} (${result.bytes} bytes)`);
    await openCapture(result);
    return result.file;
  };
}
