// Pod discovery for one kube context: the etcd operator, the etcd members (OpenShift or kubeadm layout) and the
// "Other Go pods" the user lists, each with its phase, node and detected pprof endpoint.
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { contextErrorOf, httpStatusOf, toClusterError } from './errors.ts';
import { lastTermination, type Termination } from './containerLog.ts';
import { parseEtcdPodSpec, parseProfilingLogLine, type ProfilingEndpoint } from './endpoints.ts';

export type { ProfilingEndpoint } from './endpoints.ts';
export { endpointUrl } from './endpoints.ts';

/** What commands receive for a pod: enough to forward, exec or capture. A plain, JSON-safe object. */
export interface PodTarget {
  context: string;
  namespace: string;
  name: string;
  node?: string;
  /** The container serving pprof (the one to exec into). */
  container: string;
  endpoint?: ProfilingEndpoint;
}

export type PodGroupKind = 'operator' | 'etcd' | 'go';

export interface PodInfo extends PodTarget {
  group: PodGroupKind;
  uid: string;
  /** Pending, Running, Succeeded, Failed, Unknown; `Terminating` while being deleted. */
  phase: string;
  /** The pod's Ready condition. */
  ready: boolean;
  readyContainers: number;
  containers: string[];
  restarts: number;
  /** The latest container termination in the pod status (lastState, or state for a container that ended). */
  lastTermination?: Termination;
  podIP?: string;
  /** Why there is no endpoint, or how it was guessed. */
  endpointNote?: string;
}

/** One entry of the `etcdProfiler.goPods` setting. */
export interface GoPodSelector {
  namespace: string;
  labelSelector?: string;
  /** pprof port; when absent the start-up log line is looked for. */
  port?: number;
}

export interface PodGroup {
  kind: PodGroupKind;
  label: string;
  namespace: string;
  labelSelector?: string;
  pods: PodInfo[];
  /** The namespace does not exist (or holds no matching pods where that cannot be told apart). */
  absent?: boolean;
  /** A failure limited to this group, e.g. a 403 on listing pods. */
  error?: string;
  /** resourceVersion of the list, to watch for changes after it. */
  resourceVersion?: string;
}

export interface Discovery {
  context: string;
  /** `openshift` (openshift-etcd, app=etcd), `kubeadm` (kube-system, component=etcd), or `none`. */
  etcdLayout: 'openshift' | 'kubeadm' | 'none';
  groups: PodGroup[];
}

/** The calls discovery makes; a CoreV1Api satisfies it, tests may hand in recorded answers. */
export type PodApi = Pick<CoreV1Api, 'listNamespacedPod' | 'readNamespace' | 'readNamespacedPodLog'>;

export const OPERATOR_NAMESPACE = 'openshift-etcd-operator';
export const OPENSHIFT_ETCD = { namespace: 'openshift-etcd', labelSelector: 'app=etcd' } as const;
export const KUBEADM_ETCD = { namespace: 'kube-system', labelSelector: 'component=etcd' } as const;
/** library-go's default, used when an operator's start-up line has rotated out of its log. */
const LIBRARY_GO_DEFAULT: ProfilingEndpoint = { scheme: 'http', host: '127.0.0.1', port: 6060, path: '/debug/pprof/', source: 'default' };
/** Enough of the log's beginning to hold the start-up lines. */
const LOG_HEAD_BYTES = 64 * 1024;

/** One-line reason for a per-group failure such as a 403. */
function groupErrorOf(err: unknown, verb: string, resource: string, namespace: string): string {
  if (httpStatusOf(err) === 403) return `Forbidden (403): your user is missing \`${verb} ${resource}\` in ${namespace}.`;
  return toClusterError(err, { verb, resource, namespace }).message;
}

/** A TCP port a container of the pod declares in its spec. */
export interface DeclaredPort {
  container: string;
  name?: string;
  port: number;
}

/** The TCP ports the pod's containers declare (`ports:` in the spec), in spec order. */
export function declaredPorts(pod: V1Pod): DeclaredPort[] {
  return (pod.spec?.containers ?? []).flatMap((c) =>
    (c.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => ({ container: c.name, name: p.name, port: p.containerPort })),
  );
}

/** Reads the pod and lists its declared TCP ports. */
export async function readDeclaredPorts(api: Pick<CoreV1Api, 'readNamespacedPod'>, namespace: string, name: string): Promise<DeclaredPort[]> {
  return declaredPorts(await api.readNamespacedPod({ name, namespace }));
}

/** Phase as kubectl shows it, with Terminating for pods being deleted. */
function phaseOf(pod: V1Pod): string {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  return pod.status?.phase ?? 'Unknown';
}

/** Sum of the containers' restart counts: grows when any container of the pod restarts. */
export function podRestarts(pod: V1Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

/** The fields of a pod the view shows, without an endpoint yet. */
export function describePod(pod: V1Pod, context: string, group: PodGroupKind): PodInfo {
  const statuses = pod.status?.containerStatuses ?? [];
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  return {
    context,
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    node: pod.spec?.nodeName || undefined,
    container: containers[0] ?? '',
    group,
    uid: pod.metadata?.uid ?? '',
    phase: phaseOf(pod),
    ready: (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    readyContainers: statuses.filter((s) => s.ready).length,
    containers,
    restarts: podRestarts(pod),
    lastTermination: lastTermination(pod),
    podIP: pod.status?.podIP || undefined,
  };
}

/**
 * Remembers log-detected endpoints per pod uid and container restart count, so a refresh does not re-read
 * every log. Keep one per context for the life of the view.
 */
export class EndpointCache {
  private readonly entries = new Map<string, { container: string; endpoint?: ProfilingEndpoint; note?: string }>();
  key(pod: V1Pod): string {
    const restarts = (pod.status?.containerStatuses ?? []).map((s) => `${s.name}:${s.restartCount}`).join(',');
    return `${pod.metadata?.uid}/${restarts}`;
  }
  get(pod: V1Pod) {
    return this.entries.get(this.key(pod));
  }
  set(pod: V1Pod, value: { container: string; endpoint?: ProfilingEndpoint; note?: string }) {
    if (this.entries.size > 500) this.entries.clear();
    this.entries.set(this.key(pod), value);
  }
}

/** Reads the head of each container's log (in spec order) until one holds the profiling line. */
async function endpointFromLogs(api: PodApi, pod: V1Pod): Promise<{ container: string; endpoint?: ProfilingEndpoint; note?: string } | undefined> {
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  let denied = false;
  for (const c of (pod.spec?.containers ?? []).slice(0, 4)) {
    let log: string;
    try {
      log = await api.readNamespacedPodLog({ name, namespace, container: c.name, limitBytes: LOG_HEAD_BYTES });
    } catch (err) {
      if (contextErrorOf(err, '')?.code === 'unreachable') throw err;
      if (httpStatusOf(err) === 403) denied = true;
      continue;
    }
    const endpoint = parseProfilingLogLine(String(log));
    if (endpoint) return { container: c.name, endpoint };
  }
  // A 403 must not read as "no such line in the log".
  return denied ? { container: '', note: `Forbidden (403): your user is missing \`get pods/log\` in ${namespace}, so the "Starting profiling endpoint" line cannot be read` } : undefined;
}

/** Fills in `container`, `endpoint` and `endpointNote` of one pod. */
export async function detectEndpoint(
  api: PodApi,
  pod: V1Pod,
  info: PodInfo,
  options: { port?: number; cache?: EndpointCache } = {},
): Promise<PodInfo> {
  if (info.group === 'etcd') {
    const spec = parseEtcdPodSpec(pod);
    if (!spec) return { ...info, endpointNote: 'no etcd container in the pod spec' };
    return { ...info, container: spec.container, endpoint: spec.endpoint, endpointNote: spec.note };
  }
  if (options.port !== undefined) {
    const declaring = (pod.spec?.containers ?? []).find((c) => (c.ports ?? []).some((p) => p.containerPort === options.port));
    return {
      ...info,
      container: declaring?.name ?? info.container,
      endpoint: { scheme: 'http', host: '127.0.0.1', port: options.port, path: '/debug/pprof/', source: 'setting' },
    };
  }
  const cached = options.cache?.get(pod);
  if (cached) return { ...info, ...cached, endpointNote: cached.note };
  if (info.phase !== 'Running') return { ...info, endpointNote: `pod is ${info.phase}: its log cannot be read yet` };
  const found = await endpointFromLogs(api, pod);
  let result: { container: string; endpoint?: ProfilingEndpoint; note?: string };
  if (found?.endpoint) {
    result = found;
  } else if (info.group === 'operator') {
    result = {
      container: info.container,
      endpoint: LIBRARY_GO_DEFAULT,
      note: `${found?.note ?? 'no "Starting profiling endpoint" line in the log head'}: assuming the library-go default (pprof is on when OPENSHIFT_PROFILE=web)`,
    };
  } else {
    result = { container: info.container, note: `${found?.note ?? 'no "Starting profiling endpoint" line in the log'}: set a port for this selector in etcdProfiler.goPods` };
  }
  options.cache?.set(pod, result);
  return { ...info, container: result.container, endpoint: result.endpoint, endpointNote: result.note };
}

/** Lists the pods; a 404 of the namespace (or no pods in a namespace that does not exist) marks it absent. */
async function listGroup(
  api: PodApi,
  context: string,
  kind: PodGroupKind,
  label: string,
  namespace: string,
  labelSelector: string | undefined,
  server: string | undefined,
): Promise<{ group: PodGroup; pods: V1Pod[] }> {
  const group: PodGroup = { kind, label, namespace, labelSelector, pods: [] };
  let pods: V1Pod[] = [];
  try {
    const list = await api.listNamespacedPod({ namespace, labelSelector });
    pods = list.items;
    group.resourceVersion = list.metadata?.resourceVersion;
  } catch (err) {
    const fatal = contextErrorOf(err, context, server);
    if (fatal) throw fatal;
    group.error = groupErrorOf(err, 'list', 'pods', namespace);
    return { group, pods };
  }
  if (pods.length === 0) {
    try {
      await api.readNamespace({ name: namespace });
    } catch (err) {
      if (httpStatusOf(err) === 404) group.absent = true;
      else if (httpStatusOf(err) !== 403) {
        const fatal = contextErrorOf(err, context, server);
        if (fatal) throw fatal;
      }
    }
  }
  return { group, pods };
}

function byName(a: PodInfo, b: PodInfo): number {
  return a.name.localeCompare(b.name);
}

/**
 * Discovers the three groups of a context. Throws a ClusterError (`unreachable`, `unauthorized`) when the API server cannot be reached or rejects
 * the credentials; failures limited to one namespace are reported on that group.
 */
export async function discoverPods(
  api: PodApi,
  context: string,
  options: { goPods?: GoPodSelector[]; cache?: EndpointCache; server?: string } = {},
): Promise<Discovery> {
  const { cache, server } = options;
  const finish = async (group: PodGroup, pods: V1Pod[], port?: number) => {
    const infos = await Promise.all(
      pods.map((p) => detectEndpoint(api, p, describePod(p, context, group.kind), { port, cache })),
    );
    group.pods = infos.sort(byName);
    return group;
  };

  const operator = await listGroup(api, context, 'operator', 'etcd operator', OPERATOR_NAMESPACE, undefined, server);

  let etcdLayout: Discovery['etcdLayout'] = 'openshift';
  let etcd = await listGroup(api, context, 'etcd', 'etcd members', OPENSHIFT_ETCD.namespace, OPENSHIFT_ETCD.labelSelector, server);
  if (etcd.group.absent) {
    const kubeadm = await listGroup(api, context, 'etcd', 'etcd members', KUBEADM_ETCD.namespace, KUBEADM_ETCD.labelSelector, server);
    if (kubeadm.pods.length > 0) {
      etcd = kubeadm;
      etcdLayout = 'kubeadm';
    } else {
      etcdLayout = 'none';
    }
  }

  const groups = [await finish(operator.group, operator.pods), await finish(etcd.group, etcd.pods)];
  for (const sel of options.goPods ?? []) {
    const label = `Other Go pods: ${sel.namespace}${sel.labelSelector ? ` (${sel.labelSelector})` : ''}`;
    const go = await listGroup(api, context, 'go', label, sel.namespace, sel.labelSelector || undefined, server);
    groups.push(await finish(go.group, go.pods, sel.port));
  }
  return { context, etcdLayout, groups };
}

/** True when neither etcd namespace nor any configured Go pod exists: the "nothing to profile here" state. */
export function nothingFound(d: Discovery): boolean {
  return d.groups.every((g) => g.pods.length === 0 && !g.error);
}

/** Just the fields of a PodTarget, dropping view-only ones, so commands get a plain object. */
export function toPodTarget(p: PodTarget): PodTarget {
  const t: PodTarget = { context: p.context, namespace: p.namespace, name: p.name, container: p.container };
  if (p.node) t.node = p.node;
  if (p.endpoint) t.endpoint = { ...p.endpoint };
  return t;
}

/** Validates the object in `setting` entries, dropping malformed ones with a reason. */
export function parseGoPodSelectors(raw: unknown): { selectors: GoPodSelector[]; problems: string[] } {
  const selectors: GoPodSelector[] = [];
  const problems: string[] = [];
  if (!Array.isArray(raw)) return { selectors, problems: raw === undefined ? [] : ['etcdProfiler.goPods must be an array'] };
  raw.forEach((entry, i) => {
    const e = entry as Partial<Record<keyof GoPodSelector, unknown>> | null;
    if (!e || typeof e !== 'object' || typeof e.namespace !== 'string' || !e.namespace) {
      problems.push(`etcdProfiler.goPods[${i}] needs a "namespace"`);
      return;
    }
    const sel: GoPodSelector = { namespace: e.namespace };
    if (typeof e.labelSelector === 'string' && e.labelSelector) sel.labelSelector = e.labelSelector;
    if (e.port !== undefined) {
      if (typeof e.port === 'number' && Number.isInteger(e.port) && e.port > 0 && e.port < 65536) sel.port = e.port;
      else problems.push(`etcdProfiler.goPods[${i}].port must be a port number`);
    }
    selectors.push(sel);
  });
  return { selectors, problems };
}
