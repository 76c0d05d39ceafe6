// Workspace trust: in Restricted Mode the extension reads no kubeconfig and contacts no cluster (an exec auth plugin
// is a program), while profiles and goroutine dumps still open. The security settings are machine-scoped in
// package.json, so a folder's .vscode/settings.json cannot set them even once trusted.
import * as vscode from 'vscode';

export const MANAGE_TRUST = 'Manage Workspace Trust';

/** Why cluster actions are off in Restricted Mode and how to turn them on (also the Pods view's welcome text). */
export const RESTRICTED_MESSAGE =
  'etcd Profiler does not contact clusters in Restricted Mode: this folder is not trusted, and reading a kubeconfig can run programs (exec auth plugins). ' +
  'Profiles and goroutine dumps still open. To capture or port-forward, trust the folder (Manage Workspace Trust).';

/** Shows the Restricted Mode message with a button to the Workspace Trust editor. */
export async function explainRestrictedMode(output: vscode.LogOutputChannel, id: string): Promise<void> {
  output.warn(`${id}: refused in Restricted Mode (the folder is not trusted)`);
  const choice = await vscode.window.showWarningMessage(RESTRICTED_MESSAGE, MANAGE_TRUST);
  if (choice === MANAGE_TRUST) await vscode.commands.executeCommand('workbench.trust.manage');
}

