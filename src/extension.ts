// Wiring only: create the services, register the views and the command table.
import * as vscode from 'vscode';
import { CaptureFileSystem } from './views/captureDocuments.ts';
import { CapturesTreeProvider } from './views/capturesTree.ts';
import { createRegisterCommand } from './views/commands/index.ts';
import { addKubeconfig } from './views/commands/addKubeconfig.ts';
import { collectBundleCommand, openBundleCommand } from './views/commands/bundle.ts';
import { captureAllMembers } from './views/commands/captureAll.ts';
import { registerCaptureCommands } from './views/commands/captureCommands.ts';
import { setupGateways } from './views/commands/gateway.ts';
import { refresh } from './views/commands/refresh.ts';
import { selectContext } from './views/commands/selectContext.ts';
import { showOutput } from './views/commands/showOutput.ts';
import { setupGoroutines } from './views/goroutines/index.ts';
import { BundleFileSystem } from './views/members/bundleFs.ts';
import { ClusterService } from './views/kube.ts';
import { PodTreeProvider } from './views/podTree.ts';
import type { ProfilerContext } from './views/profilerContext.ts';
import { setupProfileViewer } from './views/profilePanel/index.ts';
import { setupTimeline } from './views/timeline/index.ts';
import { reportSecuritySettings, USER_ONLY_SETTINGS } from './views/trust.ts';

/** Closes what outlives a synchronous dispose (port-forward listeners and connections); set by activate. */
let shutdown: (() => Promise<void>) | undefined;

export function activate(ctx: vscode.ExtensionContext): ProfilerContext {
  const output = vscode.window.createOutputChannel('etcd Profiler', { log: true });
  const kube = new ClusterService(ctx.workspaceState, output);
  ctx.subscriptions.push(output, kube);
  const pods = PodTreeProvider.setup(ctx, kube, output);
  const captures = CapturesTreeProvider.setup(ctx, output);
  const pctx: ProfilerContext = { output, kube, pods, captures };
  CaptureFileSystem.register(ctx, () => captures.root.fsPath);

  const registerCommand = createRegisterCommand(ctx, pctx);
  registerCommand('etcdProfiler.refresh', refresh);
  registerCommand('etcdProfiler.selectContext', selectContext, { cluster: true });
  registerCommand('etcdProfiler.addKubeconfig', addKubeconfig, { cluster: true });
  registerCommand('etcdProfiler.showOutput', showOutput);
  const forwards = registerCaptureCommands(ctx, pctx, registerCommand);
  registerCommand('etcdProfiler.captureAllMembers', captureAllMembers(forwards), { cluster: true });
  shutdown = () => forwards.stopAll();
  void reportSecuritySettings(output);
  ctx.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (USER_ONLY_SETTINGS.some((k) => e.affectsConfiguration(`etcdProfiler.${k}`))) void reportSecuritySettings(output);
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void reportSecuritySettings(output)),
  );
  setupGateways(ctx, pctx, registerCommand);
  const bundles = BundleFileSystem.register(ctx);
  registerCommand('etcdProfiler.collectBundle', collectBundleCommand(bundles), { cluster: true });
  registerCommand('etcdProfiler.openBundle', openBundleCommand(bundles));
  const viewer = setupProfileViewer(ctx, pctx);
  setupGoroutines(ctx, pctx, viewer.sourceLinks);
  setupTimeline(ctx, pctx, registerCommand, forwards, viewer);

  return pctx;
}

/** VS Code waits for the returned promise: every forward's listener and live connections are closed. */
export function deactivate(): Promise<void> | undefined {
  const closing = shutdown?.();
  shutdown = undefined;
  return closing;
}
