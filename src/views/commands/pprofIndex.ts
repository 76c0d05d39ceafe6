// "Open pprof Index": which profiles the pod's endpoint offers, with their counts; picking one captures it.
import * as vscode from 'vscode';
import type { ForwardRegistry } from '../../cluster/forwardRegistry.ts';
import { captureKind, type CaptureKindId } from '../../capture/kinds.ts';
import { fetchPprofIndex, offNote } from '../../capture/pprofIndex.ts';
import { resolvePod } from '../podPicker.ts';
import type { CommandFactory } from './index.ts';
import { captureSettings, openCapture, runCapture } from './capture.ts';

export function openPprofIndex(forwards: ForwardRegistry): CommandFactory {
  return (_ctx, pctx) => async (arg?: unknown) => {
    const target = await resolvePod(pctx, arg, { title: 'pprof index' });
    if (!target) return undefined;
    const settings = captureSettings();
    const { entries, answer } = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `pprof index of ${target.name}` },
      () =>
        fetchPprofIndex({
          kubeConfig: pctx.kube.kubeConfigFor(target.context),
          namespace: target.namespace,
          pod: target.name,
          method: settings.method,
          endpoint: target.endpoint ? { scheme: target.endpoint.scheme, port: target.endpoint.port } : undefined,
          registry: forwards,
          insecureSkipVerify: settings.insecureSkipVerify,
          log: (l) => pctx.output.info(l),
        }),
    );
    type Item = vscode.QuickPickItem & { kindId?: CaptureKindId };
    const items = entries.flatMap((e): Item[] =>
      e.kinds.length
        ? e.kinds.map((id) => {
            const off = offNote(e);
            return {
              label: captureKind(id).label,
              description: e.count !== undefined ? `${e.name}: ${e.count}${off ? ' · off' : ''}` : e.name,
              detail: off ? `Off, so a capture would be empty: ${off}.` : `Capture ${captureKind(id).path}`,
              kindId: id,
            };
          })
        : [{ label: e.name, description: e.count !== undefined ? String(e.count) : '', detail: 'not a capture kind' }],
    );
    const pick = await vscode.window.showQuickPick(items, {
      title: `${answer.endpoint.scheme}://127.0.0.1:${answer.endpoint.port}/debug/pprof/ in ${target.namespace}/${target.name} (by ${answer.method})`,
      placeHolder: 'Pick a profile to capture it',
    });
    if (!pick?.kindId) return undefined;
    const kind = captureKind(pick.kindId);
    const result = await runCapture(pctx, forwards, target, kind, settings.seconds);
    if (result) await openCapture(result);
    return result?.file;
  };
}
