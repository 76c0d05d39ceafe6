// The top table: the toolkit's data grid, sortable by header click, a row click focuses the
// frame in the flame graph and a click on the location opens the source.
import type { FrameTable, ProfileHeader, TopData } from '../../src/protocol.ts';
import { h, replaceChildren } from '../dom.ts';
import { dataGrid, type Column, type Grid } from '../ui/toolkit.ts';
import { topRows, topToText, type TopKey, type TopRow, type TopSort } from './topRows.ts';

const TITLES: Record<TopKey, string> = {
  flat: 'flat',
  flatPct: 'flat%',
  cum: 'cum',
  cumPct: 'cum%',
  delta: 'delta',
  name: 'name',
  location: 'location',
};

export class TopView {
  readonly element: HTMLElement;
  private grid?: Grid<TopRow>;
  private readonly note: HTMLElement;
  private readonly gridHost: HTMLElement;
  private sort: TopSort = { key: 'flat', descending: true };
  private data?: { top: TopData; frames: FrameTable; header: ProfileHeader };
  private filter?: RegExp;
  private rows: TopRow[] = [];

  private readonly events: { focus(frame: number): void; openSource(frame: number): void };

  constructor(events: { focus(frame: number): void; openSource(frame: number): void }) {
    this.events = events;
    this.note = h('div', { class: 'note' });
    this.gridHost = h('div', { class: 'grid-host' });
    this.element = h('div', { class: 'top-view' }, this.gridHost, this.note);
  }

  setData(top: TopData, frames: FrameTable, header: ProfileHeader): void {
    const diff = top.delta !== undefined;
    const wasDiff = this.data?.top.delta !== undefined;
    this.data = { top, frames, header };
    if (!this.grid || diff !== wasDiff) {
      if (diff) this.sort = { key: 'delta', descending: true };
      this.buildGrid(diff);
    }
    this.render();
  }

  setFilter(re: RegExp | undefined): void {
    this.filter = re;
    this.render();
  }

  text(): string {
    return topToText(this.rows, this.data?.top.delta !== undefined);
  }

  private buildGrid(diff: boolean): void {
    const keys: TopKey[] = ['flat', 'flatPct', 'cum', 'cumPct', ...(diff ? (['delta'] as TopKey[]) : []), 'name', 'location'];
    const columns: Column<TopRow>[] = keys.map((k) => ({ key: k, title: this.title(k) }));
    // Fixed widths: every row of the grid is its own CSS grid, so content-sized columns would not line up.
    const template = keys.map((k) => (k === 'name' ? 'minmax(10em, 4fr)' : k === 'location' ? 'minmax(5em, 1.5fr)' : k === 'delta' ? '6em' : '5em')).join(' ');
    this.grid = dataGrid<TopRow>('Top functions', columns, template, {
      onHeader: (key) => {
        const k = key as TopKey;
        this.sort = { key: k, descending: this.sort.key === k ? !this.sort.descending : k !== 'name' && k !== 'location' };
        this.buildGrid(diff);
        this.render();
      },
      onRow: (row, key, ev) => {
        if (key === 'location' || ev.ctrlKey || ev.metaKey) this.events.openSource(row.frame);
        else this.events.focus(row.frame);
      },
    });
    replaceChildren(this.gridHost, this.grid.element);
  }

  private title(k: TopKey): string {
    return TITLES[k] + (this.sort.key === k ? (this.sort.descending ? ' ▼' : ' ▲') : '');
  }

  private render(): void {
    if (!this.data || !this.grid) return;
    const { top, frames, header } = this.data;
    const { rows, matched } = topRows(top, frames, header.unit, header.total, this.sort, this.filter);
    this.rows = rows;
    this.grid.setRows(rows);
    replaceChildren(
      this.note,
      matched > rows.length
        ? `Showing ${rows.length} of ${matched} rows. Search or filters narrow the list.`
        : `${matched} rows. Click a row to find it in the flame graph, its location to open the source.`,
    );
  }
}
