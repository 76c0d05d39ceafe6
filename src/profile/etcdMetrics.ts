// etcd's /metrics (Prometheus text exposition format 0.0.4) read into the few numbers a recording keeps per
// round: db size and db size in use, leader changes seen, and the WAL fsync histogram's buckets, from which the
// timeline computes the p99 of the fsyncs between two rounds (or since the start of the process when there is no
// usable previous round). Pure; the text is untrusted input: lines that do not parse are skipped, numbers are
// checked, and only the families named here are kept.

/** One sample: its labels and value. */
export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of the given metric names (sample names, e.g. `x_bucket`, `x_count`), in file order. */
export function parsePrometheusText(text: string, names: ReadonlySet<string>): Map<string, PromSample[]> {
  const out = new Map<string, PromSample[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)(?:\s+-?\d+)?$/.exec(line);
    if (!m || !names.has(m[1])) continue;
    const value = parseValue(m[3]);
    if (value === undefined) continue;
    const labels: Record<string, string> = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;
      const body = m[2].slice(1, -1);
      let lm: RegExpExecArray | null;
      re.lastIndex = 0;
      while ((lm = re.exec(body))) labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    let list = out.get(m[1]);
    if (!list) out.set(m[1], (list = []));
    list.push({ labels, value });
  }
  return out;
}

function parseValue(s: string): number | undefined {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/** A cumulative histogram: finite upper bounds, ascending, and the cumulative count of each, plus the +Inf count. */
export interface Histogram {
  /** Upper bounds (`le`) of the finite buckets, ascending. */
  le: number[];
  /** Cumulative counts: one per finite bucket, then the `+Inf` bucket (the total). */
  counts: number[];
}

/** What a recording keeps of one read of an etcd member's /metrics. Absent numbers: the member did not expose them. */
export interface EtcdMetricsSummary {
  /** etcd_mvcc_db_total_size_in_bytes */
  dbSizeBytes?: number;
  /** etcd_mvcc_db_total_size_in_use_in_bytes */
  dbSizeInUseBytes?: number;
  /** etcd_server_leader_changes_seen_total (since the member started) */
  leaderChanges?: number;
  /** etcd_disk_wal_fsync_duration_seconds buckets (cumulative since the member started) */
  walFsync?: Histogram;
}

export const ETCD_METRIC_NAMES = {
  dbSize: 'etcd_mvcc_db_total_size_in_bytes',
  dbInUse: 'etcd_mvcc_db_total_size_in_use_in_bytes',
  leaderChanges: 'etcd_server_leader_changes_seen_total',
  walFsync: 'etcd_disk_wal_fsync_duration_seconds',
} as const;

const WANTED = new Set([ETCD_METRIC_NAMES.dbSize, ETCD_METRIC_NAMES.dbInUse, ETCD_METRIC_NAMES.leaderChanges, `${ETCD_METRIC_NAMES.walFsync}_bucket`]);

const finite = (s: PromSample[] | undefined): number | undefined => {
  const v = s?.[0]?.value;
  return v !== undefined && Number.isFinite(v) && v >= 0 ? v : undefined;
};

/** The histogram of a `_bucket` family (one label set: etcd's WAL fsync has none besides `le`); undefined when unusable. */
export function histogramOf(buckets: PromSample[] | undefined): Histogram | undefined {
  if (!buckets?.length) return undefined;
  const pairs: Array<[number, number]> = [];
  for (const b of buckets) {
    const le = b.labels.le === '+Inf' ? Infinity : parseValue(b.labels.le ?? '');
    if (le === undefined || Number.isNaN(le) || !Number.isFinite(b.value) || b.value < 0) return undefined;
    pairs.push([le, b.value]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  if (pairs[pairs.length - 1][0] !== Infinity) return undefined;
  for (let i = 1; i < pairs.length; i++) if (pairs[i][0] === pairs[i - 1][0] || pairs[i][1] < pairs[i - 1][1]) return undefined;
  return { le: pairs.slice(0, -1).map((p) => p[0]), counts: pairs.map((p) => p[1]) };
}

export function summarizeEtcdMetrics(text: string): EtcdMetricsSummary {
  const m = parsePrometheusText(text, WANTED);
  const out: EtcdMetricsSummary = {};
  const db = finite(m.get(ETCD_METRIC_NAMES.dbSize));
  if (db !== undefined) out.dbSizeBytes = db;
  const inUse = finite(m.get(ETCD_METRIC_NAMES.dbInUse));
  if (inUse !== undefined) out.dbSizeInUseBytes = inUse;
  const leader = finite(m.get(ETCD_METRIC_NAMES.leaderChanges));
  if (leader !== undefined) out.leaderChanges = leader;
  const h = histogramOf(m.get(`${ETCD_METRIC_NAMES.walFsync}_bucket`));
  if (h) out.walFsync = h;
  return out;
}

/**
 * The q-quantile of a cumulative histogram, as Prometheus' histogram_quantile computes it: the bucket where the
 * rank falls, interpolated linearly inside it (from 0 for the first bucket); in the `+Inf` bucket, the largest
 * finite bound. undefined when the histogram holds no observation.
 */
export function histogramQuantile(q: number, h: Histogram): number | undefined {
  const total = h.counts[h.counts.length - 1];
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let i = h.counts.findIndex((c) => c >= rank);
  if (i < 0) i = h.counts.length - 1;
  if (i >= h.le.length) return h.le.length ? h.le[h.le.length - 1] : undefined;
  const upper = h.le[i];
  const lower = i === 0 ? 0 : h.le[i - 1];
  const below = i === 0 ? 0 : h.counts[i - 1];
  const inBucket = h.counts[i] - below;
  if (inBucket <= 0) return upper;
  return lower + (upper - lower) * ((rank - below) / inBucket);
}

/** `b − a` bucket by bucket, when both have the same bounds and no count went down (the same process); else undefined. */
export function histogramDelta(a: Histogram, b: Histogram): Histogram | undefined {
  if (a.le.length !== b.le.length || a.le.some((x, i) => x !== b.le[i])) return undefined;
  const counts = b.counts.map((c, i) => c - a.counts[i]);
  if (counts.some((c) => c < 0)) return undefined;
  return { le: [...b.le], counts };
}

export interface FsyncP99 {
  seconds: number;
  /** `interval`: of the fsyncs since the previous read; `cumulative`: since the member started. */
  basis: 'interval' | 'cumulative';
  /** How many fsyncs the value is computed from. */
  fsyncs: number;
}

/**
 * WAL fsync p99 of a read: of the fsyncs between the previous read and this one when the previous read is of
 * the same process and fsyncs happened in between; else of all fsyncs since the member started.
 */
export function walFsyncP99(current: Histogram | undefined, previous: Histogram | undefined): FsyncP99 | undefined {
  if (!current) return undefined;
  const delta = previous ? histogramDelta(previous, current) : undefined;
  const dTotal = delta?.counts[delta.counts.length - 1] ?? 0;
  if (delta && dTotal > 0) {
    const v = histogramQuantile(0.99, delta);
    if (v !== undefined) return { seconds: v, basis: 'interval', fsyncs: dTotal };
  }
  const v = histogramQuantile(0.99, current);
  return v === undefined ? undefined : { seconds: v, basis: 'cumulative', fsyncs: current.counts[current.counts.length - 1] };
}
