// "Download File from Pod…": copies one file out of a container (the runbook's `oc rsync` step), streamed to disk
// with mode 0600. A file that looks like key material (a *.key file, etcd-all-certs, a PEM private key inside)
// is only written after the user confirmed, in a message that says where it goes.
import * as vscode from 'vscode';
import path from 'node:path';
import { downloadFromPod, keyMaterialReasonForPath, KeyMaterialError } from '../../capture/download.ts';
import { resolvePod } from '../podPicker.ts';
import type { CommandFactory } from './index.ts';

const WRITE_KEY = 'Write Key to Disk';

/** Asks before a private key leaves the cluster; true when the user chose to write it. */
async function confirmKeyMaterial(reason: string, dest: string): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(
    `This looks like key material: ${reason}.`,
    {
      modal: true,
      detail: `Downloading writes it to ${dest} (mode 0600, readable by your user only). Private keys give access to the cluster's etcd; delete the file when you are done.`,
    },
    WRITE_KEY,
  );
  return choice === WRITE_KEY;
}

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
  let allowKeyMaterial = false;
  const pathReason = keyMaterialReasonForPath(remote);
  if (pathReason) {
    if (!(await confirmKeyMaterial(pathReason, dest.fsPath))) return undefined;
    allowKeyMaterial = true;
  }
  const run = () =>
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Downloading ${remote} from ${target.name}`, cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        let shown = 0;
        try {
          return await downloadFromPod({
            kubeConfig: pctx.kube.kubeConfigFor(target.context),
            namespace: target.namespace,
            pod: target.name,
            container,
            remotePath: remote,
            dest: dest.fsPath,
            allowKeyMaterial,
            signal: ac.signal,
            onBytes: (bytes) => {
              if (bytes - shown < 1 << 20) return;
              shown = bytes;
              progress.report({ message: `${(bytes / 1048576).toFixed(0)} MiB` });
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
  let result: { file: string; bytes: number };
  try {
    result = await run();
  } catch (err) {
    if (!(err instanceof KeyMaterialError) || allowKeyMaterial) throw err;
    // Found by content (a PEM private key): nothing was written; ask, then download again.
    if (!(await confirmKeyMaterial(err.reason, dest.fsPath))) return undefined;
    allowKeyMaterial = true;
    result = await run();
  }
  pctx.output.info(`Downloaded ${remote} from ${target.namespace}/${target.name} (${container}), ${result.bytes} bytes, to ${result.file} (mode 0600)`);
  pctx.captures.refresh();
  void vscode.window.showInformationMessage(`Saved ${result.bytes} bytes to ${result.file}.`);
  return result.file;
};
