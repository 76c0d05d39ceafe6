// The process-wide list of active port-forwards, keyed by context/namespace/pod/remote port, so a capture
// reuses a forward the user started and the status bar can count them.
import type { KubeConfig } from '@kubernetes/client-node';
import { startPortForward, type ForwardTarget, type PortForwardSession } from './portForward.ts';

export function forwardKey(context: string, target: ForwardTarget): string {
  return `${context}/${target.namespace}/${target.pod}:${target.remotePort}`;
}

export class ForwardRegistry {
  private readonly sessions = new Map<string, PortForwardSession>();
  private readonly listeners = new Set<() => void>();

  onDidChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  list(): PortForwardSession[] {
    return [...this.sessions.values()];
  }

  get(context: string, target: ForwardTarget): PortForwardSession | undefined {
    const s = this.sessions.get(forwardKey(context, target));
    return s && s.state === 'active' ? s : undefined;
  }

  /** Returns the active forward for the target, or starts one. */
  async start(kubeConfig: KubeConfig, target: ForwardTarget, localPort?: number): Promise<PortForwardSession> {
    const existing = this.get(kubeConfig.getCurrentContext(), target);
    if (existing) return existing;
    // A stale forward (pod gone or restarted) under the same key would otherwise keep listening unlisted.
    await this.sessions.get(forwardKey(kubeConfig.getCurrentContext(), target))?.stop();
    const session = await startPortForward({ kubeConfig, ...target, localPort });
    const key = forwardKey(session.context, target);
    this.sessions.set(key, session);
    session.onDidChange(() => {
      if (session.state === 'stopped' && this.sessions.get(key) === session) this.sessions.delete(key);
      this.changed();
    });
    this.changed();
    return session;
  }

  /** Stops the forward and starts a new one on the same local port (after the pod was restarted). */
  async reconnect(kubeConfig: KubeConfig, session: PortForwardSession): Promise<PortForwardSession> {
    const port = session.localPort;
    await session.stop();
    return this.start(kubeConfig, session, port);
  }

  /** Marks the forwards of a pod that is gone (deleted or replaced). */
  podGone(context: string, namespace: string, pod: string, reason: string): void {
    for (const s of this.sessions.values()) {
      if (s.context === context && s.namespace === namespace && s.pod === pod) s.markPodGone(reason);
    }
  }

  /** Checks every active forward's pod (see PortForwardSession.checkPod); returns those newly gone or restarted. */
  async checkPods(): Promise<PortForwardSession[]> {
    const active = this.list().filter((s) => s.state === 'active');
    await Promise.all(active.map((s) => s.checkPod()));
    return active.filter((s) => s.stale);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.list().map((s) => s.stop()));
    this.sessions.clear();
    this.changed();
  }
}
