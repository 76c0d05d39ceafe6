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


/** The settings a workspace cannot set (machine scope in package.json): they run programs, touch paths or weaken TLS. */
export const USER_ONLY_SETTINGS = ['kubeconfig', 'insecureSkipTLSVerify', 'sourcePathRewrites', 'capturesFolder', 'goPods', 'captureMethod', 'fetchSource'] as const;

/** The `etcdProfiler.*` keys among USER_ONLY_SETTINGS that a folder's `.vscode/settings.json` text names. */
export function userOnlyKeysIn(settingsText: string): string[] {
  return USER_ONLY_SETTINGS.filter((k) => new RegExp(`"etcdProfiler\\.${k}"\\s*:`).test(settingsText)).map((k) => `etcdProfiler.${k}`);
}

/**
 * Logs the security settings in effect (as the extension reads them: user settings only) and warns when a
 * workspace folder's `.vscode/settings.json` tries to set any of them, so a user sees that the value is ignored.
 */
export async function reportSecuritySettings(output: vscode.LogOutputChannel): Promise<void> {
  const config = vscode.workspace.getConfiguration('etcdProfiler');
  const kubeconfig = config.get<string>('kubeconfig')?.trim();
  output.info(
    `Security settings in effect (user settings only): kubeconfig ${kubeconfig ? `"${kubeconfig}"` : 'not set ($KUBECONFIG, else ~/.kube/config)'}, ` +
      `insecureSkipTLSVerify ${config.get<boolean>('insecureSkipTLSVerify', false) ? 'ON: etcd certificates are not verified' : 'off'}, ` +
      `captureMethod ${config.get<string>('captureMethod', 'auto')}; workspace ${vscode.workspace.isTrusted ? 'trusted' : 'not trusted (Restricted Mode: no cluster access)'}`,
  );
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const file = vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json');
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
    } catch {
      continue;
    }
    const keys = userOnlyKeysIn(text);
    if (keys.length) {
      output.warn(`${file.fsPath} sets ${keys.join(', ')}: ignored. These are user settings only, because they can run programs, write files or weaken TLS.`);
    }
  }
}
