// The Timeline view's model from a timeline: per pod, the charts (goroutines by state, heap in use bytes and
// objects, allocation rate, CPU share of top functions, an etcd member's db size, WAL fsync p99 and leader
// changes), the marks of failed and changed rounds and of fired triggers, and the findings. Pure; the host sends it to the webview as is.
import type { Chart, ChartMark, PodCharts, TimelineModel } from '../timelineProtocol.ts';
import type { Finding } from './findings.ts';
import type { RecordingHeader } from './recordingIndex.ts';
import { METRIC_SERIES, type Series, type Timeline } from './timeline.ts';

/** States drawn on the goroutine chart besides the total; the rest are summed as `other`. */
export const CHART_STATES = 5;

function line(s: Series, name = s.metric): Chart['lines'][number] {
  return { name, points: s.points.map((p) => ({ t: Date.parse(p.t), v: p.value, file: p.file, round: p.round })) };
}

function podCharts(pod: string, series: Series[]): Chart[] {
  const mine = series.filter((s) => s.pod === pod);
  const charts: Chart[] = [];
  const total = mine.find((s) => s.metric === 'goroutines');
  if (total) {
    const states = mine.filter((s) => s.metric.startsWith('goroutines:'));
    const lines = [line(total, 'total'), ...states.slice(0, CHART_STATES).map((s) => line(s, s.metric.slice('goroutines:'.length)))];
    if (states.length > CHART_STATES) {
      const rest = states.slice(CHART_STATES);
      lines.push({ name: 'other states', points: total.points.map((p, i) => ({ t: Date.parse(p.t), v: rest.reduce((n, s) => n + s.points[i].value, 0), file: p.file, round: p.round })) });
    }
    charts.push({ id: `${pod}/goroutines`, title: 'Goroutines by state', unit: 'count', kind: 'goroutine', lines });
  }
  const inuse = mine.find((s) => s.metric === 'inuse_bytes');
  if (inuse) charts.push({ id: `${pod}/inuse_bytes`, title: 'Heap in use (bytes)', unit: 'bytes', kind: 'heap', lines: [line(inuse, 'in use')] });
  const objects = mine.find((s) => s.metric === 'inuse_objects');
  if (objects) charts.push({ id: `${pod}/inuse_objects`, title: 'Heap in use (objects)', unit: 'count', kind: 'heap', lines: [line(objects, 'objects')] });
  const rate = mine.find((s) => s.metric === 'alloc_bytes_per_second');
  if (rate) charts.push({ id: `${pod}/alloc_rate`, title: 'Allocation rate (between consecutive allocs captures)', unit: 'bytes/s', kind: 'allocs', lines: [line(rate, 'allocated')] });
  const cpu = mine.filter((s) => s.metric.startsWith('cpu_share:'));
  if (cpu.length) charts.push({ id: `${pod}/cpu`, title: 'CPU share of the top functions', unit: 'share', kind: 'cpu', lines: cpu.map((s) => line(s, s.metric.slice('cpu_share:'.length))) });
  const metric = (name: string) => mine.find((s) => s.kind === 'metrics' && s.metric === name);
  const db = [metric(METRIC_SERIES.dbSize), metric(METRIC_SERIES.dbInUse)];
  if (db[0] || db[1]) {
    const lines = [db[0] ? line(db[0], 'total') : undefined, db[1] ? line(db[1], 'in use') : undefined].filter((l) => l !== undefined);
    charts.push({ id: `${pod}/etcd_db_size`, title: 'etcd db size (from /metrics)', unit: 'bytes', kind: 'metrics', lines });
  }
  const fsync = metric(METRIC_SERIES.fsyncP99);
  if (fsync) charts.push({ id: `${pod}/etcd_wal_fsync_p99`, title: 'etcd WAL fsync p99 (between rounds, from /metrics)', unit: 'seconds', kind: 'metrics', lines: [line(fsync, 'p99')] });
  const leader = metric(METRIC_SERIES.leaderChanges);
  if (leader) charts.push({ id: `${pod}/etcd_leader_changes`, title: 'etcd leader changes seen (from /metrics)', unit: 'count', kind: 'metrics', lines: [line(leader, 'leader changes')] });
  return charts;
}

function findingDetail(f: Finding): string {
  if (f.kind === 'goroutine-leak') {
    return `${f.start} → ${f.end} goroutines in ${f.points} captures (rose in ${f.rises}); [${f.state}] ${(f.frames ?? []).slice(0, 4).join(' ← ')}${f.createdBy ? ` · created by ${f.createdBy}` : ''}`;
  }
  const mb = (x: number) => `${(x / (1 << 20)).toFixed(1)} MiB`;
  return `${mb(f.start)} → ${mb(f.end)} in use in ${f.points} captures; grew most: ${(f.functions ?? []).map((x) => `${x.name} +${mb(x.growth)}`).join(', ') || '—'}`;
}

export function timelineModel(header: RecordingHeader, timeline: Timeline, findings: Finding[], o: { title: string; live: boolean; now?: number }): TimelineModel {
  const series = timeline.series();
  const pods: PodCharts[] = [];
  let start = Date.parse(header.started);
  let end = start;
  for (const name of header.pods) {
    const p = timeline.pods.get(name);
    const marks: ChartMark[] = [];
    for (const r of p?.rounds ?? []) {
      end = Math.max(end, r.t);
      if (r.change) marks.push({ t: r.t, round: r.round, kind: r.change, text: `Round ${r.round}: ${r.change === 'replaced' ? 'a new pod took the name' : 'the container restarted'}` });
      if (r.failed.length) marks.push({ t: r.t, round: r.round, kind: 'failed', text: `Round ${r.round} failed: ${r.failed.map((f) => `${f.kind}: ${f.error}`).join('; ')}` });
    }
    for (const tr of p?.triggers ?? []) {
      end = Math.max(end, tr.t);
      const got = tr.files.map((f) => (f.kind === 'goroutine' ? 'goroutine dump' : 'heap profile'));
      const failed = tr.failed.map((f) => `${f.kind} failed: ${f.error}`);
      marks.push({
        t: tr.t,
        round: tr.round,
        kind: 'triggered',
        text: `Round ${tr.round}: trigger (${tr.reason}): ${[got.length ? `captured ${got.join(' and ')}` : 'nothing captured', ...failed].join('; ')}`,
        files: tr.files.map((f) => f.file),
      });
    }
    pods.push({ pod: name, charts: podCharts(name, series), marks });
  }
  for (const s of series) for (const p of s.points) end = Math.max(end, Date.parse(p.t));
  if (o.live && o.now) end = Math.max(end, o.now);
  start = Math.min(start, end);
  const rounds = Math.max(0, ...[...timeline.pods.values()].map((p) => p.rounds.length));
  return {
    type: 'timeline',
    title: o.title,
    subtitle: `${header.namespace} · ${header.kinds.join(', ')} every ${header.everySeconds} s · ${rounds} round${rounds === 1 ? '' : 's'}${o.live ? ' · recording' : ''}`,
    live: o.live,
    start,
    end,
    pods,
    findings: findings.map((f) => ({ id: f.id, kind: f.kind, pod: f.pod, what: f.what, detail: findingDetail(f), files: f.files, from: Date.parse(f.from), to: Date.parse(f.to) })),
  };
}
