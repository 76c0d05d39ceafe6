// "Open Crash Traceback" on a pod: the Go crash traceback in the log of its container that restarted (the previous
// instance's log) or ended, saved beside the pod's captures and opened as a goroutine dump, with the Goroutines
// view grouping it. When the log holds none, a warning says which log was read and how the container ended.
import * as vscode from 'vscode';
import { captureCrashTraceback } from '../../capture/crashTraceback.ts';
import { CaptureError } from '../../capture/validate.ts';
import { resolvePod } from '../podPicker.ts';
import type { CommandFactory } from './index.ts';

export const openCrashTraceback: CommandFactory = (_ctx, pctx) => async (arg?: unknown) => {
  const target = await resolvePod(pctx, arg, { title: 'Open crash traceback of' });
  if (!target) return undefined;
  // The container that crashed, not necessarily the one serving pprof: chosen from the pod status.
  let result;
  try {
    result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Reading the log of ${target.name}…` }, () =>
      captureCrashTraceback({
        kubeConfig: pctx.kube.kubeConfigFor(target.context),
        namespace: target.namespace,
        pod: target.name,
        folder: pctx.captures.root.fsPath,
      }),
    );
  } catch (err) {
    if (!(err instanceof CaptureError && err.code === 'no-traceback')) throw err;
    pctx.output.warn(err.message);
    void vscode.window.showWarningMessage(err.message);
    return undefined;
  }
  const t = result.traceback;
  pctx.output.info(`Crash traceback of ${target.namespace}/${target.name} (${result.container}, ${result.log} log): ${t.message || 'no message'}; ${t.goroutines} goroutines; saved to ${result.file}`);
  pctx.captures.refresh();
  await vscode.commands.executeCommand('etcdProfiler.openGoroutineDump', vscode.Uri.file(result.file));
  void vscode.commands.executeCommand('etcdProfiler.goroutines.focus');
  void vscode.window.showInformationMessage(`${target.name} (${result.container}) crashed: ${t.message || 'a goroutine dump without a panic message'} — ${t.goroutines} goroutines.`);
  return result.file;
};
