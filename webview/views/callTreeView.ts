// The call tree (expandable merged stacks) and, for the selected function, its callers and
// callees with their weights.
import type { FrameTable, ProfileHeader } from '../../src/protocol.ts';
import { h, replaceChildren } from '../dom.ts';
import { callersCallees, type FlameLayout } from '../flame/layout.ts';
import { formatPercent, formatSigned, formatValue } from '../format.ts';
import { initialExpansion, treeRows, type TreeRow } from './treeRows.ts';

export interface CallTreeEvents {
  openSource(frame: number): void;
  focus(frame: number): void;
}

export class CallTreeView {
  readonly element: HTMLElement;
  private readonly tree: HTMLElement;
  private readonly side: HTMLElement;
  private layout?: FlameLayout;
  private frames?: FrameTable;
  private header?: ProfileHeader;
  private expanded = new Set<number>();
  private rows: TreeRow[] = [];
  private selected = -1;
  /** Parents whose children are all listed ("… n more" clicked). */
  private showAll = new Set<number>();

  private readonly events: CallTreeEvents;

  constructor(events: CallTreeEvents) {
    this.events = events;
    this.tree = h('div', { class: 'tree', attrs: { role: 'tree', tabindex: '0', 'aria-label': 'Call tree' } });
    this.side = h('div', { class: 'callers-callees', attrs: { 'aria-live': 'polite' } });
    this.element = h('div', { class: 'calltree-view' }, this.tree, this.side);
    this.tree.addEventListener('keydown', (e) => this.onKey(e));
  }

  setData(layout: FlameLayout, frames: FrameTable, header: ProfileHeader): void {
    this.layout = layout;
    this.frames = frames;
    this.header = header;
    this.expanded = initialExpansion(layout.data);
    this.showAll.clear();
    this.selected = -1;
    this.render();
    replaceChildren(this.side, h('p', { class: 'note' }, 'Select a function to see its callers and callees.'));
  }

  /** Expand the path to the widest node of a frame and select it. */
  reveal(node: number): void {
    if (!this.layout) return;
    for (let p = this.layout.parent[node]; p >= 0; p = this.layout.parent[p]) this.expanded.add(p);
    this.select(node);
  }

  text(): string {
    if (!this.layout) return '';
    return this.rows.map((r) => '  '.repeat(r.level) + (r.more ? `… ${r.more.count} more` : this.line(r.node))).join('\n') + '\n';
  }

  private line(i: number): string {
    const d = this.layout!.data;
    const unit = this.header!.unit;
    return `${formatPercent(d.cum[i], d.cum[0])}  cum ${formatValue(d.cum[i], unit)}  flat ${formatValue(d.self[i], unit)}  ${this.name(i)}`;
  }

  private name(i: number): string {
    const f = this.layout!.data.frame[i];
    return f >= 0 ? this.frames!.names[f] : 'all';
  }

  private render(): void {
    const l = this.layout!;
    const d = l.data;
    const unit = this.header!.unit;
    this.rows = treeRows(d, this.expanded, 200, this.showAll);
    const els = this.rows.map((r, k) => {
      if (r.more) {
        const more = r.more;
        const el = h(
          'div',
          {
            class: 'tree-row more',
            attrs: { role: 'treeitem', 'aria-level': String(r.level + 1), title: 'Show all' },
            on: {
              click: () => {
                this.showAll.add(more.parent);
                this.render();
              },
            },
          },
            h('span', { class: 'cell num' }),
          h('span', { class: 'cell num' }),
          h('span', { class: 'cell num' }),
          d.delta ? h('span', { class: 'cell num' }) : null,
          h('span', { class: 'twisty' }),
          h('span', { class: 'cell name' }, `… ${more.count} more (${formatValue(more.value, unit)})`),
        );
        el.style.setProperty('--level', String(r.level));
        return el;
      }
      const i = r.node;
      const twisty = h('span', { class: 'twisty', attrs: { 'aria-hidden': 'true' } }, r.hasChildren ? (r.expanded ? '▾' : '▸') : '');
      const row = h(
        'div',
        {
          class: 'tree-row' + (i === this.selected ? ' selected' : ''),
          attrs: {
            role: 'treeitem',
            'aria-level': String(r.level + 1),
            'aria-selected': String(i === this.selected),
            ...(r.hasChildren ? { 'aria-expanded': String(r.expanded) } : {}),
            'data-row': String(k),
          },
          on: {
            click: (e) => {
              if ((e.target as HTMLElement).classList.contains('twisty')) this.toggle(i);
              else this.select(i);
            },
            dblclick: () => this.open(i),
          },
        },
        h('span', { class: 'cell num' }, formatPercent(d.cum[i], d.cum[0])),
        h('span', { class: 'cell num' }, formatValue(d.cum[i], unit)),
        h('span', { class: 'cell num' }, formatValue(d.self[i], unit)),
        d.delta ? h('span', { class: 'cell num delta' }, formatSigned(d.delta[i], unit)) : null,
        twisty,
        h('span', { class: 'cell name', title: this.location(i) }, this.name(i)),
      );
      // Indentation without inline style attributes (blocked by the CSP): a CSS custom property set through CSSOM.
      row.style.setProperty('--level', String(r.level));
      return row;
    });
    const header = h(
      'div',
      { class: 'tree-row tree-head', attrs: { 'aria-hidden': 'true' } },
      h('span', { class: 'cell num' }, 'cum%'),
      h('span', { class: 'cell num' }, 'cum'),
      h('span', { class: 'cell num' }, 'flat'),
      d.delta ? h('span', { class: 'cell num' }, 'delta') : null,
      h('span', { class: 'twisty' }),
      h('span', { class: 'cell name' }, 'function'),
    );
    replaceChildren(this.tree, header, ...els);
  }

  private location(i: number): string {
    const f = this.layout!.data.frame[i];
    if (f < 0) return '';
    const fr = this.frames!;
    return fr.files[f] ? (fr.lines[f] ? `${fr.files[f]}:${fr.lines[f]}` : fr.files[f]) : '';
  }

  private toggle(i: number): void {
    if (this.expanded.has(i)) this.expanded.delete(i);
    else this.expanded.add(i);
    this.selected = i;
    this.render();
  }

  private open(i: number): void {
    const f = this.layout!.data.frame[i];
    if (f >= 0) this.events.openSource(f);
  }

  private select(i: number): void {
    this.selected = i;
    this.render();
    const el = this.tree.querySelector('.tree-row.selected') as HTMLElement | null;
    el?.scrollIntoView({ block: 'nearest' });
    this.showCallersCallees(this.layout!.data.frame[i]);
  }

  private showCallersCallees(frame: number): void {
    if (frame < 0 || !this.layout) {
      replaceChildren(this.side);
      return;
    }
    const fr = this.frames!;
    const unit = this.header!.unit;
    const total = this.layout.data.cum[0];
    const cc = callersCallees(this.layout, frame);
    const list = (title: string, items: { frame: number; value: number }[]) =>
      h(
        'section',
        { class: 'cc-list' },
        h('h3', null, title),
        items.length === 0
          ? h('p', { class: 'note' }, 'none')
          : h(
              'table',
              null,
              ...items.slice(0, 100).map((it) =>
                h(
                  'tr',
                  {
                    class: 'cc-row',
                    attrs: { tabindex: '0' },
                    on: {
                      click: () => it.frame >= 0 && this.showCallersCallees(it.frame),
                      dblclick: () => it.frame >= 0 && this.events.openSource(it.frame),
                    },
                  },
                  h('td', { class: 'num' }, formatValue(it.value, unit)),
                  h('td', { class: 'num' }, formatPercent(it.value, cc.cum)),
                  h('td', { class: 'name' }, it.frame >= 0 ? fr.names[it.frame] : '(root)'),
                ),
              ),
            ),
      );
    replaceChildren(
      this.side,
      h('h2', null, fr.names[frame]),
      h(
        'p',
        { class: 'cc-summary' },
        `flat ${formatValue(cc.self, unit)} (${formatPercent(cc.self, total)}) · cum ${formatValue(cc.cum, unit)} (${formatPercent(cc.cum, total)}) `,
        h('a', { attrs: { href: '#' }, on: { click: (e) => (e.preventDefault(), this.events.openSource(frame)) } }, 'open source'),
        ' · ',
        h('a', { attrs: { href: '#' }, on: { click: (e) => (e.preventDefault(), this.events.focus(frame)) } }, 'show in flame graph'),
      ),
      list('Callers', cc.callers),
      list('Callees', cc.callees),
    );
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.layout || this.rows.length === 0) return;
    const pos = this.rows.findIndex((r) => r.node === this.selected);
    const row = pos >= 0 ? this.rows[pos] : undefined;
    let handled = true;
    switch (e.key) {
      case 'ArrowDown':
        for (let k = pos + 1; k < this.rows.length; k++) if (this.rows[k].node >= 0) { this.select(this.rows[k].node); break; }
        break;
      case 'ArrowUp':
        for (let k = pos - 1; k >= 0; k--) if (this.rows[k].node >= 0) { this.select(this.rows[k].node); break; }
        break;
      case 'ArrowRight':
        if (row?.hasChildren && !row.expanded) this.toggle(row.node);
        break;
      case 'ArrowLeft':
        if (row?.expanded) this.toggle(row.node);
        else if (row && this.layout.parent[row.node] > 0) this.select(this.layout.parent[row.node]);
        break;
      case 'Enter':
        if (row) this.open(row.node);
        break;
      case ' ':
        if (row?.hasChildren) this.toggle(row.node);
        break;
      default:
        handled = false;
    }
    if (handled) e.preventDefault();
  }
}
