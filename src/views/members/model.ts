// The members view's data, without VS Code: from an opened bundle (manifest and files) or from one kind captured
// from every member ("Capture from All Members"), the columns the webview shows side by side.
import type { OpenedBundle } from '../../capture/bundleRead.ts';
import { bundleFileName, bundleSummaryLine, type BundleItem } from '../../capture/bundleManifest.ts';
import { bundleFigures, bytesLabel, figuresOf, goroutineFigures, roleLabel, type MemberFigures, type ProfileFigures, type SummaryPod } from '../../profile/memberSummary.ts';
import type { MemberColumn, MemberSection, MembersPayload } from '../../membersProtocol.ts';

const PROFILE_ITEMS = ['cpu', 'heap', 'allocs', 'goroutine', 'block', 'mutex', 'threadcreate'];

function section(title: string, f: ProfileFigures | { error: string } | undefined): MemberSection | undefined {
  if (!f) return undefined;
  if ('error' in f) return { title, rows: [], error: f.error };
  return { title, total: `${f.totalLabel} ${f.sampleType}`, rows: f.top.map((r) => ({ name: r.name, value: r.flatLabel, percent: r.percent })) };
}

function roleOf(p: SummaryPod): string {
  return p.group === 'etcd' ? (p.etcd?.role ?? 'unknown') : p.group;
}

export function fileId(namespace: string, pod: string, name: string): string {
  return `${namespace}/${pod}/${name}`;
}

/** Columns for a bundle: the summary's figures, leader first. */
export function bundlePayload(bundle: OpenedBundle, title: string): MembersPayload {
  const m = bundle.manifest;
  const figures: MemberFigures[] = bundleFigures({ manifest: m, files: bundle.files });
  const members: MemberColumn[] = figures.map((f) => {
    const p = f.pod;
    const pod = m.pods.find((x) => x.namespace === p.namespace && x.name === p.name)!;
    const g = f.goroutines;
    const restarts = p.restartsAtEnd !== undefined ? `${p.restarts} → ${p.restartsAtEnd}` : String(p.restarts);
    const dir = `${p.namespace}/${p.name}/`;
    return {
      pod: p.name,
      namespace: p.namespace,
      role: roleOf(p),
      facts: [
        { label: 'Role', value: roleLabel(p) },
        { label: 'Member ID', value: p.etcd?.memberId ?? '—' },
        { label: 'Node', value: p.node ?? '—' },
        { label: 'etcd', value: p.etcd?.version ?? '—' },
        { label: 'Go', value: p.goVersion ?? '—' },
        { label: 'DB size (in use)', value: p.etcd?.dbSize !== undefined ? `${bytesLabel(p.etcd.dbSize)} (${bytesLabel(p.etcd.dbSizeInUse)})` : '—' },
        { label: 'Raft index / term', value: p.etcd?.raftIndex !== undefined ? `${p.etcd.raftIndex} / ${p.etcd.raftTerm ?? '?'}` : '—' },
        { label: 'Restarts', value: restarts },
        { label: 'Images', value: pod.containers.map((c) => c.image).join(', ') || '—' },
        { label: 'CPU total', value: !f.cpu ? '—' : 'error' in f.cpu ? 'unreadable' : f.cpu.totalLabel },
        { label: 'Heap in use', value: !f.heap ? '—' : 'error' in f.heap ? 'unreadable' : f.heap.totalLabel },
        { label: 'Goroutines', value: !g ? '—' : 'error' in g ? 'unreadable' : `${g.total}: ${g.states.map(([s, n]) => `${n} ${s}`).join(', ')}` },
      ],
      sections: [section('CPU top 10', f.cpu), section('Heap in use: top 5', f.heap)].filter((s): s is MemberSection => !!s),
      files: m.files
        .filter((x) => x.path.startsWith(dir))
        .map((x) => ({ id: x.path, label: x.path.slice(dir.length), item: x.item ?? x.path.slice(dir.length), size: x.size })),
    };
  });
  const counts = new Map<string, number>();
  for (const c of members) for (const f of c.files) if (PROFILE_ITEMS.includes(f.item)) counts.set(f.item, (counts.get(f.item) ?? 0) + 1);
  return {
    type: 'members',
    title,
    subtitle: `Context ${m.cluster.context}${m.cluster.server ? ` (${m.cluster.server})` : ''} · collected ${m.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} · CPU ${m.seconds} s · etcd Profiler ${m.tool?.version ?? '?'}`,
    summaryLine: bundleSummaryLine(m),
    members,
    problems: [
      ...m.failed.map((x) => `failed: ${x.pod} ${x.item} — ${x.reason}`),
      ...m.skipped.map((x) => `not collected: ${x.pod} ${x.item} — ${x.reason}`),
    ],
    compareItems: PROFILE_ITEMS.filter((i) => (counts.get(i) ?? 0) >= 2),
    documents: ['SUMMARY.md', 'manifest.json'].filter((d) => d === 'manifest.json' || bundle.files.has(d)),
  };
}

export interface CapturedMember {
  namespace: string;
  pod: string;
  /** leader / follower / unknown. */
  role: string;
  memberId?: string;
  node?: string;
  /** The saved capture, its bytes (for the figures) and where it failed. */
  file?: { id: string; name: string; bytes: Uint8Array; size: number };
  error?: string;
}

/** Columns for one kind captured from every member: total and top 10 of that kind, leader marked. */
export function capturedPayload(kind: { id: string; label: string; format: string }, members: CapturedMember[], context: string, time: Date): MembersPayload {
  const order = (m: CapturedMember) => (m.role === 'leader' ? 0 : 1);
  const sorted = [...members].sort((a, b) => order(a) - order(b) || a.pod.localeCompare(b.pod));
  const columns: MemberColumn[] = sorted.map((m) => {
    const facts = [
      { label: 'Role', value: m.role === 'leader' ? 'leader ★' : m.role },
      { label: 'Member ID', value: m.memberId ?? '—' },
      { label: 'Node', value: m.node ?? '—' },
    ];
    const sections: MemberSection[] = [];
    if (m.error) facts.push({ label: 'Total', value: `failed: ${m.error}` });
    else if (m.file && kind.format === 'profile') {
      const f = figuresOf(m.file.bytes, m.file.name, 10);
      facts.push({ label: 'Total', value: 'error' in f ? 'unreadable' : `${f.totalLabel} ${f.sampleType}` });
      const s = section('Top 10 (flat)', f);
      if (s) sections.push(s);
    } else if (m.file && kind.format === 'text') {
      const g = goroutineFigures(m.file.bytes, m.file.name);
      facts.push({ label: 'Goroutines', value: 'error' in g ? 'unreadable' : `${g.total}: ${g.states.map(([s, n]) => `${n} ${s}`).join(', ')}` });
    }
    return {
      pod: m.pod,
      namespace: m.namespace,
      role: m.role,
      facts,
      sections,
      files: m.file ? [{ id: m.file.id, label: m.file.name, item: kind.id, size: m.file.size }] : [],
    };
  });
  const ok = columns.filter((c) => c.files.length).length;
  return {
    type: 'members',
    title: `${kind.label} · ${members.length} members`,
    subtitle: `Context ${context} · captured ${time.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`,
    summaryLine: `${ok} of ${members.length} members captured`,
    members: columns,
    problems: members.filter((m) => m.error).map((m) => `failed: ${m.pod} — ${m.error}`),
    compareItems: kind.format === 'profile' && ok >= 2 ? [kind.id] : [],
    documents: [],
  };
}

/** The bundle path of a pod's item. */
export function bundlePath(namespace: string, pod: string, item: BundleItem): string {
  return `${namespace}/${pod}/${bundleFileName(item)}`;
}
