// The one accessor for settings (`etcdProfiler.*`). A const, so tests can replace it.
import * as vscode from 'vscode';

/** Setting keys, relative to the `etcdProfiler` section. */
export const ConfigKey = {
  kubeconfig: 'kubeconfig',
  goPods: 'goPods',
  autoRefresh: 'autoRefresh',
  refreshIntervalSeconds: 'refreshIntervalSeconds',
  capturesFolder: 'capturesFolder',
} as const;
export type ConfigKey = (typeof ConfigKey)[keyof typeof ConfigKey];

export const SECTION = 'etcdProfiler';

export const getConfig = (scope?: vscode.ConfigurationScope): vscode.WorkspaceConfiguration =>
  vscode.workspace.getConfiguration(SECTION, scope);

/** True when the change touches `etcdProfiler.<key>` for any of the keys. */
export function affects(e: vscode.ConfigurationChangeEvent, ...keys: ConfigKey[]): boolean {
  return keys.some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
}
