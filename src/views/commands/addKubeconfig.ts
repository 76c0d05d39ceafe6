import { homedir } from 'node:os';
import { delimiter } from 'node:path';
import * as vscode from 'vscode';
import { ConfigKey, getConfig } from '../config.ts';
import type { CommandFactory } from './index.ts';

/**
 * Adds a kubeconfig file: the `etcdProfiler.kubeconfig` setting becomes the files read so far plus the chosen one
 * (joined like $KUBECONFIG), so its contexts appear next to the existing ones. Returns the new setting value.
 */
export const addKubeconfig: CommandFactory = (_ctx, pctx) => async () => {
  const picked = await vscode.window.showOpenDialog({
    title: 'Add a kubeconfig file',
    openLabel: 'Add kubeconfig',
    canSelectMany: false,
    defaultUri: vscode.Uri.file(homedir()),
  });
  const file = picked?.[0]?.fsPath;
  if (!file) return undefined;
  let current: string[] = [];
  try {
    current = pctx.kube.kubeconfig().source.files;
  } catch {
    // No readable kubeconfig yet: the chosen file is the only one.
  }
  const value = [...new Set([...current, file])].join(delimiter);
  await getConfig().update(ConfigKey.kubeconfig, value, vscode.ConfigurationTarget.Global);
  pctx.output.info(`etcdProfiler.kubeconfig set to ${value}`);
  return value;
};

