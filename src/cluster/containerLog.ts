// A container's last termination from the pod status (reason, exit code, time, restart count) and its log,
// the current instance's or the previous one's (`kubectl logs --previous`), through the Kubernetes API.
import type { CoreV1Api, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { toClusterError } from './errors.ts';

export interface Termination {
  container: string;
  /** e.g. `Error`, `OOMKilled`, `Completed`. */
  reason: string;
  exitCode: number;
  signal?: number;
  /** ISO time. */
  finishedAt?: string;
  /** The container's restart count. */
  restartCount: number;
  /** The terminated instance is the previous one (the container restarted), not the current one. */
  previous: boolean;
}

function toDate(t: Date | string | undefined): Date | undefined {
  if (t === undefined) return undefined;
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function terminationOf(s: V1ContainerStatus): Termination | undefined {
  // A container that ended for good (restartPolicy Never/OnFailure) shows it in its current state.
  const current = s.state?.terminated;
  const last = s.lastState?.terminated;
  const t = current ?? last;
  if (!t) return undefined;
  return {
    container: s.name,
    reason: t.reason || (t.exitCode === 0 ? 'Completed' : 'Error'),
    exitCode: t.exitCode,
    signal: t.signal,
    finishedAt: toDate(t.finishedAt)?.toISOString(),
    restartCount: s.restartCount ?? 0,
    previous: !current,
  };
}

/** The latest termination among the pod's containers (`container` first when given); undefined when none ended. */
export function lastTermination(pod: V1Pod, container?: string): Termination | undefined {
  const all = (pod.status?.containerStatuses ?? []).map(terminationOf).filter((t): t is Termination => t !== undefined);
  const own = container ? all.filter((t) => t.container === container) : [];
  const list = own.length ? own : all;
  let best: Termination | undefined;
  for (const t of list) if (!best || (t.finishedAt ?? '') > (best.finishedAt ?? '')) best = t;
  return best;
}

/** `Error, exit code 2` / `OOMKilled, exit code 137` (with the signal when there is one). */
export function describeTermination(t: Termination): string {
  return `${t.reason}, exit code ${t.exitCode}${t.signal ? `, signal ${t.signal}` : ''}`;
}

export type LogApi = Pick<CoreV1Api, 'readNamespacedPodLog'>;

/** The whole log of a container instance; `previous` is the one before the last restart. */
export async function readContainerLog(api: LogApi, namespace: string, name: string, container: string, previous: boolean): Promise<string> {
  try {
    return String(await api.readNamespacedPodLog({ name, namespace, container, previous }));
  } catch (err) {
    throw toClusterError(err, { verb: 'get', resource: 'pods/log', namespace, name });
  }
}
