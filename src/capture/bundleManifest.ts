// What a profiling bundle's manifest.json holds, and the names of the files in a bundle. Shared by the
// collector (bundle.ts), the reader (bundleRead.ts), the CLI and the bundle view.
import type { CaptureKindId } from './kinds.ts';

export const BUNDLE_FORMAT = 'etcd-profiler-bundle/1';

/** Kinds a bundle may hold; the default set is all of them (block and mutex only where the process turned them on). */
export const BUNDLE_KINDS: readonly CaptureKindId[] = ['cpu', 'heap', 'allocs', 'goroutine-debug1', 'goroutine-debug2', 'block', 'mutex'];
export const OPTIONAL_BUNDLE_KINDS: readonly CaptureKindId[] = ['goroutine', 'threadcreate'];

/** Items besides profiles: etcd's own endpoints, and the operator's log. */
export type BundleExtraItem = 'version' | 'metrics' | 'endpoint-status' | 'log';
export type BundleItem = CaptureKindId | BundleExtraItem;

/** File name of an item inside `<namespace>/<pod>/`. */
export function bundleFileName(item: BundleItem): string {
  switch (item) {
    case 'goroutine-debug1':
    case 'goroutine-debug2':
      return `${item}.txt`;
    case 'version':
      return 'version.json';
    case 'metrics':
      return 'metrics.txt';
    case 'endpoint-status':
      return 'endpoint-status.json';
    case 'log':
      return 'log-head.txt';
    case 'trace':
      return 'trace.out';
    default:
      return `${item}.pb.gz`;
  }
}

export interface BundleEtcdMember {
  role: 'leader' | 'follower' | 'unknown';
  /** Hex, as etcdctl prints it. */
  memberId?: string;
  leaderId?: string;
  raftIndex?: number;
  raftTerm?: number;
  raftAppliedIndex?: number;
  dbSize?: number;
  dbSizeInUse?: number;
  isLearner?: boolean;
  /** `etcdserver` of /version. */
  version?: string;
  clusterVersion?: string;
}

export interface BundlePod {
  namespace: string;
  name: string;
  group: 'etcd' | 'operator' | 'go';
  node?: string;
  containers: { name: string; image: string; restartCount: number }[];
  /** Sum of the containers' restart counts at the start of the collection. */
  restarts: number;
  /** Set when a container restarted while the bundle was collected. */
  restartsAtEnd?: number;
  goVersion?: string;
  etcd?: BundleEtcdMember;
}

export interface BundleFile {
  path: string;
  namespace?: string;
  pod?: string;
  item?: BundleItem;
  size: number;
  sha256: string;
}

export interface BundleProblem {
  namespace: string;
  pod: string;
  item: BundleItem;
  reason: string;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  tool: { name: 'etcd-profiler'; version: string };
  startedAt: string;
  finishedAt: string;
  /** Context name and the API server's host:port; never a credential. */
  cluster: { context: string; server: string };
  seconds: number;
  kinds: CaptureKindId[];
  pods: BundlePod[];
  files: BundleFile[];
  failed: BundleProblem[];
  /** Items not collected on purpose (block/mutex profiling off). */
  skipped: BundleProblem[];
  /** Items tried (collected + failed). */
  attempted: number;
  collected: number;
}

/** `bundle: N of M items`, and which failed. */
export function bundleSummaryLine(m: Pick<BundleManifest, 'attempted' | 'collected' | 'failed'>): string {
  const head = `bundle: ${m.collected} of ${m.attempted} items`;
  if (m.failed.length === 0) return head;
  return `${head}; failed: ${m.failed.map((f) => `${f.pod} ${f.item} (${f.reason})`).join('; ')}`;
}

/** API server URL → host:port, dropping any user info, path or query. */
export function serverHost(server: string | undefined): string {
  if (!server) return '';
  try {
    const u = new URL(server);
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return '';
  }
}

/** etcd's grpc-gateway answers uint64 as decimal strings; etcdctl prints member ids in hex. */
export function hexId(v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  try {
    return BigInt(v).toString(16);
  } catch {
    return undefined;
  }
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** The member's view of itself from /v3/maintenance/status (grpc-gateway JSON). */
export function parseEndpointStatus(json: string): Omit<BundleEtcdMember, 'version' | 'clusterVersion'> {
  const s = JSON.parse(json) as Record<string, unknown> & { header?: Record<string, unknown> };
  const memberId = hexId(s.header?.member_id);
  const leaderId = hexId(s.leader);
  return {
    role: memberId && leaderId ? (memberId === leaderId ? 'leader' : 'follower') : 'unknown',
    memberId,
    leaderId,
    raftIndex: num(s.raftIndex),
    raftTerm: num(s.raftTerm),
    raftAppliedIndex: num(s.raftAppliedIndex),
    dbSize: num(s.dbSize),
    dbSizeInUse: num(s.dbSizeInUse),
    isLearner: s.isLearner === true,
  };
}

/** `go_info{version="go1.24.4"} 1` in Prometheus text. */
export function goVersionFromMetrics(text: string): string | undefined {
  return /^go_info\{[^}]*version="([^"]+)"/m.exec(text)?.[1];
}
