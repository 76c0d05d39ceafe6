// The JSON of `etcd-profiler timeline DIR --json` and its text form.
import type { Finding } from './findings.ts';
import type { RecordingIndex } from './recordingIndex.ts';
import type { Series, Timeline } from './timeline.ts';
import { scaledLabel } from './units.ts';

export interface TimelineJson {
  recording: { context: string; namespace: string; pods: string[]; kinds: string[]; everySeconds: number; started: string; ended: string | null; reason: string | null };
  series: Array<{ pod: string; kind: string; metric: string; unit: string; points: Array<{ t: string; value: number; round: number; file: string }> }>;
  findings: Array<Pick<Finding, 'kind' | 'pod' | 'what' | 'start' | 'end' | 'perMinute' | 'from' | 'to' | 'state' | 'frames' | 'functions' | 'files'>>;
  rounds: Array<{ pod: string; round: number; t: string; change?: string; failed: Array<{ kind: string; code: string; error: string }> }>;
  /** Triggers that fired: when, why, and the captures they took (`files`, relative to DIR). */
  triggers: Array<{ pod: string; round: number; t: string; reason: string; crossed: Array<{ metric: string; value: number; threshold: number }>; files: Array<{ kind: string; file: string }>; failed: Array<{ kind: string; error: string }> }>;
}

export function timelineJson(index: RecordingIndex, timeline: Timeline, findings: Finding[]): TimelineJson {
  const h = index.header;
  return {
    recording: { context: h.context, namespace: h.namespace, pods: h.pods, kinds: h.kinds, everySeconds: h.everySeconds, started: h.started, ended: index.end?.ended ?? null, reason: index.end?.reason ?? null },
    series: timeline.series(),
    findings: findings.map(({ kind, pod, what, start, end, perMinute, from, to, state, frames, functions, files }) => ({ kind, pod, what, start, end, perMinute, from, to, state, frames, functions, files })),
    rounds: [...timeline.pods.values()].flatMap((p) =>
      p.rounds.map((r) => ({ pod: p.pod, round: r.round, t: new Date(r.t).toISOString(), ...(r.change ? { change: r.change } : {}), failed: r.failed })),
    ),
    triggers: [...timeline.pods.values()].flatMap((p) =>
      p.triggers.map((x) => ({ pod: p.pod, round: x.round, t: new Date(x.t).toISOString(), reason: x.reason, crossed: x.crossed, files: x.files, failed: x.failed })),
    ),
  };
}

function valueText(s: Series, v: number): string {
  switch (s.unit) {
    case 'bytes':
      return scaledLabel(v, 'bytes');
    case 'bytes/s':
      return `${scaledLabel(v, 'bytes')}/s`;
    case 'objects/s':
      return `${Math.round(v)}/s`;
    case 'share':
      return `${(v * 100).toFixed(1)}%`;
    case 'seconds':
      return `${(v * 1000).toFixed(2)} ms`;
    default:
      return String(v);
  }
}

/** A short text report: per series first → last (min–max), the failed and changed rounds, then the findings. */
export function timelineText(index: RecordingIndex, timeline: Timeline, findings: Finding[]): string {
  const h = index.header;
  const rounds = [...timeline.pods.values()].reduce((n, p) => n + p.rounds.length, 0);
  const lines = [
    `Recording of ${h.namespace}/${h.pods.join(', ')} (${h.context}): ${h.kinds.join(', ')} every ${h.everySeconds} s, from ${h.started}` +
      `${index.end ? ` to ${index.end.ended} (${index.end.reason})` : ' (not ended)'}, ${rounds} rounds`,
  ];
  for (const s of timeline.series()) {
    if (s.points.length === 0) continue;
    const values = s.points.map((p) => p.value);
    const first = values[0];
    const last = values[values.length - 1];
    lines.push(`  ${s.pod} ${s.metric}: ${valueText(s, first)} → ${valueText(s, last)} (min ${valueText(s, Math.min(...values))}, max ${valueText(s, Math.max(...values))}, ${values.length} points)`);
  }
  for (const p of timeline.pods.values()) {
    for (const r of p.rounds) {
      if (r.change) lines.push(`  ${p.pod} round ${r.round}: ${r.change === 'replaced' ? 'a new pod took the name' : 'container restarted'}`);
      for (const f of r.failed) lines.push(`  ${p.pod} round ${r.round}: ${f.kind} failed: ${f.error}`);
    }
    for (const x of p.triggers) lines.push(`  ${p.pod} round ${x.round}: trigger (${x.reason}): ${x.files.map((f) => f.file).join(', ') || 'nothing captured'}`);
  }
  lines.push(findings.length ? 'Findings:' : 'Findings: none');
  for (const f of findings) lines.push(`  ${f.pod}: ${f.what} (${f.start} → ${f.end}, ${f.from} – ${f.to})`);
  return lines.join('\n');
}
