// The members view's front end: the members side by side (facts, top functions, files), Compare members, and
// what failed. DOM through h() only: pod names, function names and reasons are untrusted text.
import type { FromMembers, MemberColumn, MembersPayload, ToMembers } from '../src/membersProtocol.ts';
import { h, replaceChildren } from './dom.ts';

interface Api {
  postMessage(msg: FromMembers): void;
}
declare function acquireVsCodeApi(): Api;
const api: Api = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : { postMessage: (m) => console.debug('postMessage', m) };

declare global {
  interface Window {
    __membersPayload?: MembersPayload;
  }
}

function select(label: string, options: { value: string; label: string }[], value: string, cls: string): HTMLSelectElement {
  const s = h('select', { class: cls, attrs: { 'aria-label': label } });
  for (const o of options) {
    const opt = h('option', { attrs: { value: o.value } }, o.label);
    if (o.value === value) opt.selected = true;
    s.appendChild(opt);
  }
  return s;
}

function sizeLabel(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function podHeader(m: MemberColumn): HTMLElement {
  const leader = m.role === 'leader';
  return h(
    'th',
    { class: `member${leader ? ' leader' : ''}`, attrs: { scope: 'col', 'data-pod': m.pod } },
    h('div', { class: 'pod' }, m.pod),
    h('div', { class: 'role' }, leader ? '★ leader' : m.role),
  );
}

function comparePanel(p: MembersPayload): HTMLElement | null {
  if (p.compareItems.length === 0) return null;
  const pods = p.members.filter((m) => m.files.some((f) => p.compareItems.includes(f.item)));
  const leader = pods.find((m) => m.role === 'leader') ?? pods[0];
  const other = pods.find((m) => m !== leader) ?? pods[0];
  const item = select('Profile kind', p.compareItems.map((i) => ({ value: i, label: i })), p.compareItems.includes('heap') ? 'heap' : p.compareItems[0], 'compare-item');
  const target = select('Profile of', pods.map((m) => ({ value: m.pod, label: `${m.pod}${m.role === 'leader' ? ' (leader)' : ''}` })), leader.pod, 'compare-target');
  const base = select('Against (base)', pods.map((m) => ({ value: m.pod, label: `${m.pod}${m.role === 'leader' ? ' (leader)' : ''}` })), other.pod, 'compare-base');
  const go = h('button', { class: 'compare-go', on: { click: () => api.postMessage({ type: 'compare', item: item.value, target: target.value, base: base.value }) } }, 'Compare members');
  return h(
    'section',
    { class: 'compare', attrs: { 'aria-label': 'Compare members' } },
    h('h2', null, 'Compare members'),
    h('div', { class: 'compare-row' }, h('label', null, 'Kind ', item), h('label', null, 'profile of ', target), h('label', null, 'against ', base), go),
    h('p', { class: 'hint' }, 'Opens the first member\'s profile in the profile viewer with the second as the base: red grew, green shrank.'),
  );
}

/** A function's name without its package's import path (`etcdserver.(*EtcdServer).apply`), as the flame graph shows it; the whole name is the row's tooltip. */
function shortName(name: string): string {
  return name.replace(/^([\w.~-]+\/)+/, '');
}

function render(root: HTMLElement, p: MembersPayload): void {
  window.__membersPayload = p;
  const members = p.members;
  const labels: string[] = [];
  for (const m of members) for (const f of m.facts) if (!labels.includes(f.label)) labels.push(f.label);
  const rows: HTMLElement[] = labels.map((label) =>
    h(
      'tr',
      { class: 'fact', attrs: { 'data-label': label } },
      h('th', { attrs: { scope: 'row' } }, label),
      ...members.map((m) => h('td', { class: m.role === 'leader' ? 'leader' : '' }, m.facts.find((f) => f.label === label)?.value ?? '—')),
    ),
  );
  const sectionTitles: string[] = [];
  for (const m of members) for (const s of m.sections) if (!sectionTitles.includes(s.title)) sectionTitles.push(s.title);
  for (const title of sectionTitles) {
    rows.push(
      h(
        'tr',
        { class: 'section', attrs: { 'data-label': title } },
        h('th', { attrs: { scope: 'row' } }, title),
        ...members.map((m) => {
          const s = m.sections.find((x) => x.title === title);
          if (!s) return h('td', null, '—');
          if (s.error) return h('td', { class: 'error' }, s.error);
          return h(
            'td',
            { class: m.role === 'leader' ? 'leader' : '' },
            s.total ? h('div', { class: 'total' }, `Total ${s.total}`) : null,
            h('ol', { class: 'top' }, ...s.rows.map((r) => h('li', { title: r.name }, h('span', { class: 'value' }, `${r.value} ${r.percent}`), ' ', h('span', { class: 'fn' }, shortName(r.name))))),
          );
        }),
      ),
    );
  }
  rows.push(
    h(
      'tr',
      { class: 'files' },
      h('th', { attrs: { scope: 'row' } }, 'Files'),
      ...members.map((m) =>
        h(
          'td',
          null,
          h(
            'div',
            { class: 'file-list' },
            ...m.files.map((f) =>
              h(
                'button',
                {
                  class: 'file',
                  title: `Open ${f.label} of ${m.pod} (${sizeLabel(f.size)})`,
                  attrs: { 'data-item': f.item, 'data-pod': m.pod, 'aria-label': `Open ${f.label} of ${m.pod}` },
                  on: { click: () => api.postMessage({ type: 'open', id: f.id }) },
                },
                f.label,
              ),
            ),
          ),
        ),
      ),
    ),
  );
  const table = h(
    'table',
    { class: 'members', attrs: { 'aria-label': 'Members side by side' } },
    h('thead', null, h('tr', null, h('th', { attrs: { scope: 'col' } }, ''), ...members.map(podHeader))),
    h('tbody', null, ...rows),
  );
  const failed = p.problems.length > 0;
  replaceChildren(
    root,
    h('h1', null, p.title),
    h('p', { class: 'subtitle' }, p.subtitle),
    p.summaryLine ? h('p', { class: `summary-line${failed ? ' has-failures' : ''}`, attrs: { role: 'status' } }, p.summaryLine.split('; failed:')[0]) : null,
    p.documents.length ? h('div', { class: 'documents' }, ...p.documents.map((d) => h('button', { class: 'doc secondary', on: { click: () => api.postMessage({ type: 'openDocument', name: d }) } }, `Open ${d}`))) : null,
    h('div', { class: 'table-scroll' }, table),
    comparePanel(p),
    failed ? h('section', { class: 'problems' }, h('h2', null, 'Not collected'), h('ul', null, ...p.problems.map((x) => h('li', null, x)))) : null,
  );
}

const root = document.getElementById('app');
if (root) {
  window.addEventListener('message', (e: MessageEvent<ToMembers>) => {
    const msg = e.data;
    if (msg.type === 'members') render(root, msg);
    else if (msg.type === 'error') replaceChildren(root, h('div', { class: 'error', attrs: { role: 'alert' } }, msg.message));
  });
  api.postMessage({ type: 'ready' });
}
