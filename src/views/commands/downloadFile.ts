// "Download File from Pod…": copies one file out of a container (the runbook's `oc rsync` step) by exec `cat`.
import * as vscode from 'vscode';
import path from 'node:path';
import { readFileInPod } from '../../cluster/exec.ts';
import { resolvePod } from '../podPicker.ts';
import type { CommandFactory } from './index.ts';

const MAX_BYTES = 512 * 1024 * 1024;

export const downloadFile: CommandFactory = (_ctx, pctx) => async (arg?: unknown) => {
  const target = await resolvePod(pctx, arg, { title: 'Download file from pod' });
  if (!target) return undefined;
  const pod = await pctx.kube.coreApi(target.context).readNamespacedPod({ name: target.name, namespace: target.namespace });
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  let container = target.container || containers[0];
  if (containers.length > 1) {
    const pick = await vscode.window.showQuickPick(
      containers.map((c) => ({ label: c, description: c === target.container ? 'serves pprof' : undefined })),
      { title: `Download file from ${target.name}: container` },
    );
    if (!pick) return undefined;
    container = pick.label;
  }
  const remote = await vscode.window.showInputBox({
    title: `Download file from ${target.name} (${container})`,
    prompt: 'Absolute path inside the container',
    placeHolder: '/var/lib/etcd/member/snap/db',
    validateInput: (v) => (v.startsWith('/') ? undefined : 'An absolute path'),
  });
  if (!remote) return undefined;
  const base = pctx.captures.root;
  const dest = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(base, target.context.replace(/[/\\:]/g, '_'), target.namespace, target.name, path.posix.basename(remote)),
    title: 'Save as',
  });
  if (!dest) return undefined;
  const data = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Downloading ${remote} from ${target.name}`, cancellable: true },
    async (_progress, token) => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      try {
        return await readFileInPod({
          kubeConfig: pctx.kube.kubeConfigFor(target.context),
          namespace: target.namespace,
          pod: target.name,
          container,
          path: remote,
          signal: ac.signal,
          maxBytes: MAX_BYTES,
        });
      } finally {
        sub.dispose();
      }
    },
  );
  await vscode.workspace.fs.writeFile(dest, data);
  pctx.output.info(`Downloaded ${remote} from ${target.namespace}/${target.name} (${container}), ${data.length} bytes, to ${dest.fsPath}`);
  pctx.captures.refresh();
  void vscode.window.showInformationMessage(`Saved ${data.length} bytes to ${dest.fsPath}.`);
  return dest.fsPath;
};
