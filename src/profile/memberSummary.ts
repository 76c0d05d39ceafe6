// Members side by side: the figures a support engineer reads first, per etcd member (and the operator), from
// their profiles and dumps: CPU top 10, heap in-use total and top 5, goroutines by state, role and db size. Used
// for a bundle's SUMMARY.md and for the members view (bundle view and "Capture from All Members"). Pure.
import { resolveSampleIndex } from './aggregate.ts';
import { decodeProfile } from './decode.ts';
import { parseGoroutineDump } from './goroutines.ts';
import { buildTop } from './top.ts';
import type { Profile } from './types.ts';
import { percentage, scaledLabel } from './units.ts';

export interface TopFigure {
  name: string;
  flat: number;
  /** `1.20s`, `3.5MB`. */
  flatLabel: string;
  /** Share of the total, `12.3%`. */
  percent: string;
}

export interface ProfileFigures {
  sampleType: string;
  unit: string;
  total: number;
  totalLabel: string;
  top: TopFigure[];
}

export interface GoroutineFigures {
  total: number;
  /** Largest first. */
  states: [string, number][];
}

/** Total and top `limit` functions by flat of one profile; `sampleType` picks it (else the profile's default). */
export function profileFigures(profile: Profile, limit: number, sampleType?: string): ProfileFigures {
  const index = sampleType ? resolveSampleIndex(profile, profile.sampleTypes.some((t) => t.type === sampleType) ? sampleType : undefined) : resolveSampleIndex(profile);
  const top = buildTop(profile, { sampleIndex: index, granularity: 'functions' });
  return {
    sampleType: top.sampleType,
    unit: top.unit,
    total: top.total,
    totalLabel: scaledLabel(top.total, top.unit),
    top: top.rows
      .filter((r) => r.flat !== 0)
      .slice(0, limit)
      .map((r) => ({ name: r.name, flat: r.flat, flatLabel: scaledLabel(r.flat, top.unit), percent: percentage(r.flat, top.total).trim() })),
  };
}

export function figuresOf(bytes: Uint8Array, name: string, limit: number, sampleType?: string): ProfileFigures | { error: string } {
  try {
    return profileFigures(decodeProfile(bytes, name), limit, sampleType);
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export function goroutineFigures(bytes: Uint8Array, name: string): GoroutineFigures | { error: string } {
  try {
    const d = parseGoroutineDump(bytes, name);
    return { total: d.goroutines, states: Object.entries(d.states).sort((a, b) => b[1] - a[1]) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** The parts of a bundle's manifest the summary reads (structurally; see src/capture/bundleManifest.ts). */
export interface SummaryPod {
  namespace: string;
  name: string;
  group: string;
  node?: string;
  goVersion?: string;
  restarts: number;
  restartsAtEnd?: number;
  etcd?: { role: string; memberId?: string; dbSize?: number; dbSizeInUse?: number; version?: string; raftIndex?: number; raftTerm?: number };
}

export interface SummaryInput {
  manifest: {
    cluster: { context: string; server: string };
    startedAt: string;
    seconds: number;
    pods: SummaryPod[];
    failed: { namespace: string; pod: string; item: string; reason: string }[];
    skipped: { namespace: string; pod: string; item: string; reason: string }[];
    collected: number;
    attempted: number;
  };
  files: ReadonlyMap<string, Uint8Array>;
}

export interface MemberFigures {
  pod: SummaryPod;
  cpu?: ProfileFigures | { error: string };
  heap?: ProfileFigures | { error: string };
  goroutines?: GoroutineFigures | { error: string };
}

/** Per pod: CPU top 10, heap in-use top 5, goroutines by state (whatever the bundle holds). Members first, leader first. */
export function bundleFigures(input: SummaryInput): MemberFigures[] {
  const rank = (p: SummaryPod): number => (p.etcd?.role === 'leader' ? 0 : p.group === 'etcd' ? 1 : 2);
  const pods = [...input.manifest.pods].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return pods.map((pod) => {
    const file = (name: string) => input.files.get(`${pod.namespace}/${pod.name}/${name}`);
    const cpu = file('cpu.pb.gz');
    const heap = file('heap.pb.gz');
    const dump = file('goroutine-debug2.txt') ?? file('goroutine-debug1.txt');
    return {
      pod,
      cpu: cpu ? figuresOf(cpu, `${pod.name}/cpu.pb.gz`, 10) : undefined,
      heap: heap ? figuresOf(heap, `${pod.name}/heap.pb.gz`, 5, 'inuse_space') : undefined,
      goroutines: dump ? goroutineFigures(dump, `${pod.name} goroutine dump`) : undefined,
    };
  });
}

export function bytesLabel(n: number | undefined): string {
  return n === undefined ? '—' : scaledLabel(n, 'bytes');
}

export function roleLabel(p: SummaryPod): string {
  if (p.group !== 'etcd') return p.group;
  return p.etcd?.role === 'leader' ? 'leader ★' : (p.etcd?.role ?? 'unknown');
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** SUMMARY.md: readable as plain text in a support ticket. */
export function summaryMarkdown(input: SummaryInput): string {
  const m = input.manifest;
  const figures = bundleFigures(input);
  const out: string[] = [];
  out.push(`# etcd profiling bundle`, '');
  out.push(`Context \`${m.cluster.context}\` (API server ${m.cluster.server || 'unknown'}), collected ${m.startedAt}, CPU profiles of ${m.seconds} s.`);
  out.push('', `bundle: ${m.collected} of ${m.attempted} items${m.failed.length ? `; ${m.failed.length} failed (see below)` : ''}`, '');
  const leader = m.pods.find((p) => p.etcd?.role === 'leader');
  out.push(`Leader: ${leader ? `**${leader.name}** (member ${leader.etcd?.memberId ?? '?'})` : 'not known (no endpoint status)'}`, '');
  out.push('| pod | role | member ID | node | etcd | Go | db size (in use) | restarts | CPU total | heap in-use | goroutines |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const f of figures) {
    const p = f.pod;
    const total = (x: MemberFigures['cpu']) => (!x ? '—' : 'error' in x ? 'unreadable' : x.totalLabel);
    const gr = !f.goroutines ? '—' : 'error' in f.goroutines ? 'unreadable' : String(f.goroutines.total);
    const db = p.etcd?.dbSize !== undefined ? `${bytesLabel(p.etcd.dbSize)} (${bytesLabel(p.etcd.dbSizeInUse)})` : '—';
    const restarts = p.restartsAtEnd !== undefined ? `${p.restarts} → ${p.restartsAtEnd}` : String(p.restarts);
    out.push(`| ${cell(`${p.namespace}/${p.name}`)} | ${roleLabel(p)} | ${p.etcd?.memberId ?? '—'} | ${p.node ?? '—'} | ${p.etcd?.version ?? '—'} | ${p.goVersion ?? '—'} | ${db} | ${restarts} | ${total(f.cpu)} | ${total(f.heap)} | ${gr} |`);
  }
  for (const f of figures) {
    const p = f.pod;
    out.push('', `## ${p.name} (${roleLabel(p)})`);
    const section = (title: string, x: MemberFigures['cpu']) => {
      if (!x) return;
      out.push('', `### ${title}`);
      if ('error' in x) {
        out.push('', `Unreadable: ${x.error}`);
        return;
      }
      out.push('', `Total ${x.totalLabel} (${x.sampleType})`, '', '| flat | flat% | function |', '|---:|---:|---|');
      for (const r of x.top) out.push(`| ${r.flatLabel} | ${r.percent} | ${cell(r.name)} |`);
    };
    section('CPU top 10', f.cpu);
    section('Heap in use: top 5', f.heap);
    if (f.goroutines) {
      out.push('', '### Goroutines by state', '');
      if ('error' in f.goroutines) out.push(`Unreadable: ${f.goroutines.error}`);
      else out.push(`${f.goroutines.total} goroutines: ${f.goroutines.states.map(([s, n]) => `${n} ${s}`).join(', ')}`);
    }
  }
  if (m.failed.length) {
    out.push('', '## Failed items', '');
    for (const x of m.failed) out.push(`- ${x.namespace}/${x.pod} ${x.item}: ${x.reason}`);
  }
  if (m.skipped.length) {
    out.push('', '## Not collected', '');
    for (const x of m.skipped) out.push(`- ${x.namespace}/${x.pod} ${x.item}: ${x.reason}`);
  }
  return out.join('\n') + '\n';
}
