// The services shared by views and commands, handed to every command factory (no module globals).
import type * as vscode from 'vscode';
import type { CapturesTreeProvider } from './capturesTree.ts';
import type { ClusterService } from './kube.ts';
import type { PodTreeProvider } from './podTree.ts';

export interface ProfilerContext {
  /** The "etcd Profiler" output channel: errors and what discovery found. */
  readonly output: vscode.LogOutputChannel;
  /** Kubeconfig, contexts, API clients, pod discovery. */
  readonly kube: ClusterService;
  /** The pods view (refresh, selected pod, decorators for pod rows). */
  readonly pods: PodTreeProvider;
  /** The Captures view; `captures.root` is the folder captures are saved to. */
  readonly captures: CapturesTreeProvider;
}
