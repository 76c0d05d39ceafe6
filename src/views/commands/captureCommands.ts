// Registers the capture and port-forward commands, the forwards status bar item and the pod-row decoration
// showing a pod's active forwards. One call from extension.ts; the forward registry lives as long as the
// extension; deactivate() awaits `forwards.stopAll()`.
import * as vscode from 'vscode';
import { ForwardRegistry } from '../../cluster/forwardRegistry.ts';
import type { PodTarget } from '../../cluster/pods.ts';
import { CAPTURE_KINDS } from '../../capture/kinds.ts';
import type { ProfilerContext } from '../profilerContext.ts';
import { captureCommand } from './capture.ts';
import { openCrashTraceback } from './crashTraceback.ts';
import { downloadFile } from './downloadFile.ts';
import { listForwards, startForward, startForwardOnPort, stopForward } from './forwards.ts';
import type { RegisterCommand } from './index.ts';
import { openPprofIndex } from './pprofIndex.ts';

function forwardStatusBar(forwards: ForwardRegistry): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('etcdProfiler.forwards', vscode.StatusBarAlignment.Left, 50);
  item.name = 'etcd Profiler port-forwards';
  item.command = 'etcdProfiler.listForwards';
  const update = (): void => {
    const list = forwards.list();
    if (list.length === 0) {
      item.hide();
      return;
    }
    const gone = list.filter((s) => s.stale).length;
    item.text = `$(plug) ${list.length} forward${list.length === 1 ? '' : 's'}${gone ? ` $(warning) ${gone}` : ''}`;
    item.tooltip = list.map((s) => `${s.describe()}${s.stale ? ` — ${s.staleLabel}: ${s.lastError ?? ''}` : ''}`).join('\n');
    item.show();
  };
  const unsubscribe = forwards.onDidChange(update);
  update();
  return new vscode.Disposable(() => {
    unsubscribe();
    item.dispose();
  });
}

function forwardDecorator(forwards: ForwardRegistry) {
  const emitter = new vscode.EventEmitter<void>();
  const unsubscribe = forwards.onDidChange(() => emitter.fire());
  return {
    decorator: {
      onDidChange: emitter.event,
      decorate(pod: PodTarget) {
        const mine = forwards.list().filter((s) => s.context === pod.context && s.namespace === pod.namespace && s.pod === pod.name);
        if (mine.length === 0) return undefined;
        return {
          // Short (`⇄ :43210`): the row keeps its status visible at the default side bar width.
          description: mine.map((s) => `⇄ :${s.localPort}${s.stale ? ` ${s.staleLabel}` : ''}`).join(' '),
          tooltip: mine.map((s) => `Port-forward ${s.describe()}${s.stale ? ` — ${s.staleLabel}; reconnect from the status bar` : ''}`).join('\n'),
        };
      },
    },
    dispose: () => {
      unsubscribe();
      emitter.dispose();
    },
  };
}

/** Every 10 s while forwards exist: notices pods deleted, replaced or restarted under a forward and offers to reconnect. */
function watchForwardPods(pctx: ProfilerContext, forwards: ForwardRegistry): vscode.Disposable {
  let busy = false;
  const timer = setInterval(() => {
    if (busy || forwards.list().every((s) => s.state !== 'active')) return;
    busy = true;
    forwards
      .checkPods()
      .then((gone) => {
        for (const s of gone) {
          pctx.output.warn(`Port-forward ${s.describe()}: ${s.lastError ?? s.staleLabel}`);
          void vscode.window.showWarningMessage(`Port-forward to ${s.pod}: ${s.lastError ?? s.staleLabel}.`, 'Reconnect', 'Stop').then(async (choice) => {
            if (choice === 'Reconnect') await forwards.reconnect(pctx.kube.kubeConfigFor(s.context), s).catch((err: unknown) => pctx.output.error(String(err)));
            if (choice === 'Stop') await s.stop();
          });
        }
      })
      .finally(() => (busy = false));
  }, 10_000);
  return new vscode.Disposable(() => clearInterval(timer));
}

export function registerCaptureCommands(ctx: vscode.ExtensionContext, pctx: ProfilerContext, registerCommand: RegisterCommand): ForwardRegistry {
  const forwards = new ForwardRegistry();
  const deco = forwardDecorator(forwards);
  ctx.subscriptions.push(
    forwardStatusBar(forwards),
    watchForwardPods(pctx, forwards),
    pctx.pods.addDecorator(deco.decorator),
    deco,
  );
  const cluster = { cluster: true };
  registerCommand('etcdProfiler.capture', captureCommand(forwards), cluster);
  registerCommand('etcdProfiler.captureViaExec', captureCommand(forwards, undefined, 'exec'), cluster);
  for (const kind of CAPTURE_KINDS) registerCommand(`etcdProfiler.capture.${kind.id}`, captureCommand(forwards, kind.id), cluster);
  registerCommand('etcdProfiler.startForward', startForward(forwards), cluster);
  registerCommand('etcdProfiler.startForwardOnPort', startForwardOnPort(forwards), cluster);
  registerCommand('etcdProfiler.stopForward', stopForward(forwards), cluster);
  registerCommand('etcdProfiler.listForwards', listForwards(forwards), cluster);
  registerCommand('etcdProfiler.openPprofIndex', openPprofIndex(forwards), cluster);
  registerCommand('etcdProfiler.downloadFile', downloadFile, cluster);
  registerCommand('etcdProfiler.openCrashTraceback', openCrashTraceback, cluster);
  return forwards;
}
