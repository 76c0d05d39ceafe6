// The Timeline panel's page: per pod, SVG line charts of a recording (goroutines by state, heap in use, allocation
// rate, CPU share of top functions), the failed / restarted rounds as marks, the findings on top. Hover or arrow
// keys show the values of a round; click (Enter) opens its capture; Shift+click (Space) selects points, and two
// selected points of one chart open the compare. Text from the recording is put in text nodes only.
import type { Chart, ChartPoint, FindingView, FromTimelineWebview, PodCharts, TimelineModel, ToTimelineWebview } from '../src/timelineProtocol.ts';
import { h, replaceChildren } from './dom.ts';

interface Api {
  postMessage(msg: FromTimelineWebview): void;
}
declare function acquireVsCodeApi(): Api;
const api: Api = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : { postMessage: (m) => console.debug('postMessage', m) };
const post = (m: FromTimelineWebview): void => api.postMessage(m);

const SVG = 'http://www.w3.org/2000/svg';
const W = 640;
const H = 170;
const PAD = { left: 64, right: 12, top: 10, bottom: 24 };
/** Line colours are classes `c0`…`c6` of the panel's style sheet (the CSP refuses inline style attributes). */
const COLORS = 7;

let model: TimelineModel | undefined;
/** Selected points: chart id and point index, at most two, of one chart. */
let selected: Array<{ chart: Chart; index: number }> = [];
const status = h('div', { class: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
const tip = h('div', { class: 'tip', attrs: { role: 'tooltip', id: 'timeline-tip' } });

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: Array<SVGElement | string>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

function format(v: number, unit: Chart['unit']): string {
  const bytes = (x: number): string => {
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let i = 0;
    let a = Math.abs(x);
    while (a >= 1024 && i < units.length - 1) {
      a /= 1024;
      i++;
    }
    return `${x < 0 ? '-' : ''}${a >= 100 || i === 0 ? Math.round(a) : a.toFixed(1)} ${units[i]}`;
  };
  switch (unit) {
    case 'bytes':
      return bytes(v);
    case 'bytes/s':
      return `${bytes(v)}/s`;
    case 'objects/s':
      return `${Math.round(v).toLocaleString('en-US')}/s`;
    case 'share':
      return `${(v * 100).toFixed(1)}%`;
    case 'seconds':
      return v >= 1 ? `${v.toFixed(2)} s` : `${(v * 1000).toFixed(v >= 0.01 ? 0 : 1)} ms`;
    default:
      return Math.round(v).toLocaleString('en-US');
  }
}

function clock(t: number): string {
  return new Date(t).toISOString().slice(11, 19);
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function lineColor(i: number): string {
  return `c${i % COLORS}`;
}

function chartView(pod: PodCharts, chart: Chart, m: TimelineModel): HTMLElement {
  const ref = chart.lines[0]?.points ?? [];
  const span = Math.max(1, m.end - m.start);
  const max = niceMax(Math.max(0, ...chart.lines.flatMap((l) => l.points.map((p) => p.v))));
  const x = (t: number) => PAD.left + ((t - m.start) / span) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' });

  for (const frac of [0, 0.5, 1]) {
    const yy = y(max * frac);
    root.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: yy, y2: yy, class: 'grid' }));
    root.append(svg('text', { x: PAD.left - 6, y: yy + 4, class: 'axis', 'text-anchor': 'end' }, format(max * frac, chart.unit)));
  }
  for (const frac of [0, 0.5, 1]) {
    const t = m.start + span * frac;
    root.append(svg('text', { x: x(t), y: H - 6, class: 'axis', 'text-anchor': frac === 0 ? 'start' : frac === 1 ? 'end' : 'middle' }, clock(t)));
  }
  for (const f of m.findings) {
    if (f.pod !== pod.pod || (f.kind === 'goroutine-leak') !== (chart.kind === 'goroutine') || (f.kind === 'heap-leak' && chart.kind !== 'heap')) continue;
    root.append(svg('rect', { x: x(f.from), y: PAD.top, width: Math.max(2, x(f.to) - x(f.from)), height: H - PAD.top - PAD.bottom, class: 'finding-span' }, svg('title', {}, f.what)));
  }
  for (const mark of pod.marks) {
    const xx = x(mark.t);
    root.append(svg('line', { x1: xx, x2: xx, y1: PAD.top, y2: H - PAD.bottom, class: `mark mark-${mark.kind}` }, svg('title', {}, mark.text)));
  }
  chart.lines.forEach((l, i) => {
    if (l.points.length === 0) return;
    const d = l.points.map((p, k) => `${k ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join('');
    root.append(svg('path', { d, class: `series ${lineColor(i)}` }));
    if (l.points.length <= 120) for (const p of l.points) root.append(svg('circle', { cx: x(p.t), cy: y(p.v), r: 2.5, class: `dot ${lineColor(i)}` }));
  });
  const cursor = svg('line', { x1: 0, x2: 0, y1: PAD.top, y2: H - PAD.bottom, class: 'cursor', visibility: 'hidden' });
  root.append(cursor);
  for (const s of selected) {
    if (s.chart.id !== chart.id) continue;
    const p = ref[s.index];
    if (p) root.append(svg('line', { x1: x(p.t), x2: x(p.t), y1: PAD.top, y2: H - PAD.bottom, class: 'selected' }));
  }

  const box = h('div', {
    class: 'chart-box',
    attrs: { tabindex: '0', role: 'group', 'aria-label': `${pod.pod}: ${chart.title}. Arrow keys move between rounds, Enter opens the capture, Space selects it for a compare.`, 'aria-describedby': 'timeline-tip', 'data-chart': chart.id },
  });
  let index = -1;
  const show = (i: number): void => {
    if (i < 0 || i >= ref.length) return;
    index = i;
    const p = ref[i];
    cursor.setAttribute('x1', String(x(p.t)));
    cursor.setAttribute('x2', String(x(p.t)));
    cursor.setAttribute('visibility', 'visible');
    const rows = chart.lines.map((l, k) => {
      const q = l.points.find((pp) => pp.round === p.round);
      return h('div', null, h('span', { class: `swatch ${lineColor(k)}` }), `${l.name}: `, h('b', null, q ? format(q.v, chart.unit) : '—'));
    });
    replaceChildren(tip, h('div', { class: 'tip-head' }, `${pod.pod} · round ${p.round} · ${clock(p.t)}`), ...rows, h('div', { class: 'tip-file' }, p.file || 'read from the member\'s /metrics (no capture file)'));
    const r = box.getBoundingClientRect();
    const left = r.left + window.scrollX + (x(p.t) / W) * r.width;
    tip.style.left = `${Math.min(left + 12, window.scrollX + document.documentElement.clientWidth - 280)}px`;
    tip.style.top = `${r.top + window.scrollY + 8}px`;
    tip.hidden = false;
  };
  const hide = (): void => {
    cursor.setAttribute('visibility', 'hidden');
    tip.hidden = true;
  };
  const nearest = (clientX: number): number => {
    const r = root.getBoundingClientRect();
    const t = m.start + (((clientX - r.left) / r.width) * W - PAD.left) / (W - PAD.left - PAD.right) * span;
    let best = -1;
    for (let i = 0; i < ref.length; i++) if (best < 0 || Math.abs(ref[i].t - t) < Math.abs(ref[best].t - t)) best = i;
    return best;
  };
  box.addEventListener('mousemove', (e) => show(nearest(e.clientX)));
  box.addEventListener('mouseleave', hide);
  box.addEventListener('blur', hide);
  box.addEventListener('focus', () => show(index >= 0 ? index : ref.length - 1));
  box.addEventListener('click', (e) => {
    const i = nearest(e.clientX);
    if (i < 0) return;
    if (e.shiftKey || e.ctrlKey || e.metaKey) select(chart, i);
    else open(ref[i]);
  });
  box.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft') show(Math.max(0, index - 1));
    else if (e.key === 'ArrowRight') show(Math.min(ref.length - 1, index + 1));
    else if (e.key === 'Home') show(0);
    else if (e.key === 'End') show(ref.length - 1);
    else if (e.key === 'Enter' && index >= 0) open(ref[index]);
    else if (e.key === ' ' && index >= 0) select(chart, index);
    else return;
    e.preventDefault();
  });
  box.append(root);
  const legend = h('div', { class: 'legend' }, ...chart.lines.map((l, i) => h('span', null, h('span', { class: `swatch ${lineColor(i)}` }), l.name)));
  return h('section', { class: 'chart-card' }, h('h3', null, chart.title), legend, box);
}

function open(p: ChartPoint): void {
  if (p.file) post({ type: 'open', file: p.file });
  else status.textContent = `Round ${p.round}: this value was read from the member's /metrics; there is no capture to open.`;
}

function select(chart: Chart, index: number): void {
  if (chart.kind === 'metrics') {
    status.textContent = 'Points of /metrics charts have no capture to compare; select two points of a goroutine or heap chart.';
    return;
  }
  const ref = chart.lines[0].points;
  if (selected.length && selected[0].chart.kind !== chart.kind) selected = [];
  const at = selected.findIndex((s) => s.chart.id === chart.id && s.index === index);
  if (at >= 0) selected.splice(at, 1);
  else selected.push({ chart, index });
  if (selected.length === 2) {
    const [a, b] = selected.map((s) => s.chart.lines[0].points[s.index]).sort((p, q) => p.t - q.t) as [ChartPoint, ChartPoint];
    selected = [];
    if (a.file === b.file) status.textContent = 'Both points are the same capture; pick two different rounds.';
    else {
      status.textContent = `Comparing round ${b.round} with round ${a.round}…`;
      post({ type: 'compare', base: a.file, current: b.file });
    }
  } else if (selected.length === 1) {
    status.textContent = `Round ${ref[index].round} selected; Shift+click (or Space on) another point of a ${chart.kind} chart to compare.`;
  } else status.textContent = '';
  render();
}

function findingView(f: FindingView): HTMLElement {
  const compare = f.files
    ? h('button', { class: 'link', on: { click: () => post({ type: 'compare', base: f.files![0], current: f.files![1] }) } }, 'Compare first and last')
    : null;
  return h(
    'li',
    { class: `finding finding-${f.kind}` },
    h('span', { class: 'finding-kind' }, f.kind === 'goroutine-leak' ? 'Goroutine leak?' : 'Heap growth'),
    ' ',
    h('span', { class: 'finding-pod' }, f.pod),
    ' ',
    h('code', { class: 'finding-what' }, f.what),
    h('div', { class: 'finding-detail' }, f.detail),
    compare,
  );
}

function markView(mk: PodCharts['marks'][number]): HTMLElement {
  const links = (mk.files ?? []).map((file) => h('button', { class: 'link mark-file', on: { click: () => post({ type: 'open', file }) } }, file));
  return h('li', { class: `mark-${mk.kind}` }, mk.text, ...links.flatMap((l) => [' ', l]));
}

function render(): void {
  const app = document.getElementById('app')!;
  const m = model;
  if (!m) return;
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.chart;
  const head = h(
    'header',
    null,
    h('h1', null, m.title),
    h('div', { class: 'subtitle' }, m.subtitle),
    m.live ? h('button', { class: 'stop', on: { click: () => post({ type: 'stop' }) } }, 'Stop recording') : null,
  );
  const findings = h(
    'section',
    { class: 'findings', attrs: { 'aria-label': 'Findings' } },
    h('h2', null, `Findings (${m.findings.length})`),
    m.findings.length ? h('ul', null, ...m.findings.map(findingView)) : h('p', { class: 'muted' }, 'None so far: no goroutine group or heap grows steadily.'),
  );
  const hint = h('p', { class: 'muted hint' }, 'Hover (or focus and use the arrow keys) to see the values of a round. Click (Enter) opens its capture; Shift+click (Space) two points of one kind compares them.');
  const pods = m.pods.map((p) =>
    h(
      'section',
      { class: 'pod', attrs: { 'aria-label': p.pod } },
      h('h2', null, p.pod),
      p.marks.length ? h('ul', { class: 'marks' }, ...p.marks.map(markView)) : null,
      p.charts.length ? h('div', { class: 'charts' }, ...p.charts.map((c) => chartView(p, c, m))) : h('p', { class: 'muted' }, 'No capture has worked yet.'),
    ),
  );
  replaceChildren(app, head, findings, hint, status, ...pods);
  // A live update rebuilds the page: keep the keyboard where it was.
  if (focused) (app.querySelector(`[data-chart="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
}

window.addEventListener('message', (e: MessageEvent<ToTimelineWebview>) => {
  if (e.data?.type !== 'timeline') return;
  model = e.data;
  render();
});
tip.hidden = true;
document.body.append(tip);
post({ type: 'ready' });
