// Wiring only: create the services, register the views and the command table.
import * as vscode from 'vscode';
import { CapturesTreeProvider } from './views/capturesTree.ts';
import { createRegisterCommand } from './views/commands/index.ts';
import { addKubeconfig } from './views/commands/addKubeconfig.ts';
import { captureAllMembers } from './views/commands/captureAll.ts';
import { registerCaptureCommands } from './views/commands/captureCommands.ts';
import { refresh } from './views/commands/refresh.ts';
import { selectContext } from './views/commands/selectContext.ts';
import { showOutput } from './views/commands/showOutput.ts';
import { setupGoroutines } from './views/goroutines/index.ts';
import { ClusterService } from './views/kube.ts';
import { PodTreeProvider } from './views/podTree.ts';
import type { ProfilerContext } from './views/profilerContext.ts';
import { setupProfileViewer } from './views/profilePanel/index.ts';
import { setupTimeline } from './views/timeline/index.ts';

export function activate(ctx: vscode.ExtensionContext): ProfilerContext {
  const output = vscode.window.createOutputChannel('etcd Profiler', { log: true });
  const kube = new ClusterService(ctx.workspaceState, output);
  ctx.subscriptions.push(output, kube);
  const pods = PodTreeProvider.setup(ctx, kube, output);
  const captures = CapturesTreeProvider.setup(ctx, output);
  const pctx: ProfilerContext = { output, kube, pods, captures };

  const registerCommand = createRegisterCommand(ctx, pctx);
  registerCommand('etcdProfiler.refresh', refresh);
  registerCommand('etcdProfiler.selectContext', selectContext);
  registerCommand('etcdProfiler.addKubeconfig', addKubeconfig);
  registerCommand('etcdProfiler.showOutput', showOutput);
  const forwards = registerCaptureCommands(ctx, pctx, registerCommand);
  registerCommand('etcdProfiler.captureAllMembers', captureAllMembers(forwards));
  const viewer = setupProfileViewer(ctx, pctx);
  setupGoroutines(ctx, pctx, viewer.sourceLinks);
  setupTimeline(ctx, pctx, registerCommand, forwards, viewer);

  return pctx;
}

export function deactivate(): void {}
