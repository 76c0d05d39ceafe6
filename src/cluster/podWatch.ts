// Watches the pods behind the view's groups, so the tree refreshes when a pod starts, restarts or goes away.
import { Watch, type KubeConfig } from '@kubernetes/client-node';

export interface PodWatchTarget {
  namespace: string;
  labelSelector?: string;
  /** Start after this list's resourceVersion, so existing pods do not replay as ADDED. */
  resourceVersion?: string;
}

export function watchTargetKey(t: PodWatchTarget): string {
  return `${t.namespace}?${t.labelSelector ?? ''}`;
}

/**
 * Starts one watch per target; `onEvent` gets every change, `onEnd` is called once when any watch ends (the
 * server closes watches after a timeout, or the connection broke), after the others were stopped.
 * Returns the function that stops them all.
 */
export async function watchPods(
  kc: KubeConfig,
  targets: PodWatchTarget[],
  onEvent: (type: string, namespace: string, name: string) => void,
  onEnd: (err: unknown) => void,
): Promise<() => void> {
  const watch = new Watch(kc);
  const controllers: AbortController[] = [];
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const c of controllers) c.abort();
  };
  const ended = (err: unknown) => {
    if (stopped) return;
    stop();
    onEnd(err);
  };
  try {
    for (const t of targets) {
      const query: Record<string, string | boolean> = { allowWatchBookmarks: true };
      if (t.labelSelector) query.labelSelector = t.labelSelector;
      if (t.resourceVersion) query.resourceVersion = t.resourceVersion;
      const c = await watch.watch(
        `/api/v1/namespaces/${encodeURIComponent(t.namespace)}/pods`,
        query,
        (type, obj: { metadata?: { name?: string } }) => {
          if (type !== 'BOOKMARK' && !stopped) onEvent(type, t.namespace, obj?.metadata?.name ?? '');
        },
        ended,
      );
      controllers.push(c);
    }
  } catch (err) {
    stop();
    throw err;
  }
  return stop;
}
