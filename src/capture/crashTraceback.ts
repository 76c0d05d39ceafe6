// Open Crash Traceback, headless: read the log of a pod's container that crashed — the previous instance's
// after a restart (`kubectl logs --previous`), else the current one — find the Go crash traceback in it
// (profile/crashTraceback.ts) and save it as a goroutine dump, `crash-<container>-<UTC time>.goroutines.txt`
// beside the pod's captures, with the pod, the container and its last termination in `#` lines on top.
// No traceback: a CaptureError('no-traceback') that says which log was read and how the container ended.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import path from 'node:path';
import { ClusterError, toClusterError } from '../cluster/errors.ts';
import { describeTermination, lastTermination, readContainerLog, type Termination } from '../cluster/containerLog.ts';
import { findTracebacks, type Traceback } from '../profile/crashTraceback.ts';
import { safeSegment, saveAtomically, utcStamp } from './save.ts';
import { CaptureError } from './validate.ts';

export interface CrashTracebackRequest {
  /** Its current context is the cluster to use. */
  kubeConfig: KubeConfig;
  namespace: string;
  pod: string;
  /** Default: the container that terminated last, else the first. */
  container?: string;
  /** Root of the captures folder; the file goes to `<folder>/<context>/<ns>/<pod>/`. */
  folder: string;
  now?: Date;
}

export interface CrashTracebackResult {
  file: string;
  /** What was saved: the `#` lines and the traceback. */
  text: string;
  traceback: Traceback;
  /** How many tracebacks the log held (the last one is saved). */
  tracebacks: number;
  container: string;
  /** Which instance's log held it. */
  log: 'previous' | 'current';
  termination?: Termination;
}

export async function captureCrashTraceback(req: CrashTracebackRequest): Promise<CrashTracebackResult> {
  const { namespace, pod: name } = req;
  const core = req.kubeConfig.makeApiClient(CoreV1Api);
  let pod;
  try {
    pod = await core.readNamespacedPod({ name, namespace });
  } catch (err) {
    throw toClusterError(err, { verb: 'get', resource: 'pods', namespace, name });
  }
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const termination = lastTermination(pod, req.container);
  const container = req.container || termination?.container || containers[0] || '';
  const own = termination?.container === container ? termination : undefined;
  const sources: ('previous' | 'current')[] = own?.previous ? ['previous', 'current'] : ['current'];
  const read: string[] = [];
  for (const source of sources) {
    let log: string;
    try {
      log = await readContainerLog(core, namespace, name, container, source === 'previous');
    } catch (err) {
      // the previous instance's log can be gone (the node was replaced, the pod recreated)
      if (source === 'previous' && err instanceof ClusterError && (err.code === 'bad-request' || err.code === 'not-found' || err.code === 'pod-not-running')) continue;
      throw err;
    }
    read.push(source);
    const found = findTracebacks(log);
    if (found.length === 0) continue;
    const traceback = found[found.length - 1];
    const now = req.now ?? new Date();
    const text = header({ namespace, name, container, source, termination: own, count: found.length, now }) + traceback.text;
    const file = path.join(req.folder, safeSegment(req.kubeConfig.getCurrentContext()), safeSegment(namespace), safeSegment(name),
      `crash-${safeSegment(container)}-${utcStamp(now)}.goroutines.txt`);
    const saved = await saveAtomically(file, new TextEncoder().encode(text));
    return { file: saved, text, traceback, tracebacks: found.length, container, log: source, termination: own };
  }
  const logs = read.length ? read.map((s) => `${s === 'previous' ? 'previous' : 'current'}`).join(' and ') + ` log${read.length > 1 ? 's' : ''}` : 'log';
  const ended = own
    ? `${own.reason}: exit ${own.exitCode}${own.finishedAt ? ` at ${own.finishedAt}` : ''}, no traceback`
    : 'the container has not restarted or terminated, and no traceback was logged';
  throw new CaptureError('no-traceback', `No crash traceback in the ${logs} of ${namespace}/${name} (container ${container}): ${ended}.`);
}

function header(o: { namespace: string; name: string; container: string; source: 'previous' | 'current'; termination?: Termination; count: number; now: Date }): string {
  const lines = [
    `# Crash traceback of ${o.namespace}/${o.name}, container ${o.container}, from the ${o.source === 'previous' ? 'previous instance\'s log (before its last restart)' : 'current log'}`,
  ];
  const t = o.termination;
  if (t) lines.push(`# Last termination: ${describeTermination(t)}${t.finishedAt ? `, at ${t.finishedAt}` : ''}; restarts: ${t.restartCount}`);
  lines.push(`# Read ${o.now.toISOString()}${o.count > 1 ? `; the log holds ${o.count} tracebacks, this is the last` : ''}`);
  return lines.join('\n') + '\n\n';
}
