// The top table: the toolkit's data grid, sortable by header click, a row click focuses the
// frame in the flame graph and a click on the location opens the source.
import type { FrameTable, ProfileHeader, TopData } from '../../src/protocol.ts';
import { h, replaceChildren } from '../dom.ts';
import { dataGrid, type Column, type Grid } from '../ui/toolkit.ts';
import { shortenGoName, shortenLocation } from './shorten.ts';
import { topRows, topToText, type TopKey, type TopRow, type TopSort } from './topRows.ts';

const NUMERIC: readonly TopKey[] = ['flat', 'flatPct', 'cum', 'cumPct', 'delta'];
/** A cell's horizontal padding and border (the toolkit's 3 design units each side, 1 px border) and slack. */
const CELL_CHROME = 2 * 12 + 2 + 4;
/** The least share of the room left after the numbers that names get when names and locations do not both fit. */
const NAME_SHARE = 0.6;

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
  private keys: TopKey[] = [];
  private ctx?: CanvasRenderingContext2D | null;
  private readonly widths = new Map<string, number>();
  private font = '';
  private shownWidth = -1;

  private readonly events: { focus(frame: number): void; openSource(frame: number): void };

  constructor(events: { focus(frame: number): void; openSource(frame: number): void }) {
    this.events = events;
    this.note = h('div', { class: 'note' });
    this.gridHost = h('div', { class: 'grid-host' });
    this.element = h('div', { class: 'top-view' }, this.gridHost, this.note);
    // Names and locations are shortened to the room the numbers leave: again when that room changes.
    new ResizeObserver(() => {
      if (this.gridHost.clientWidth > 0 && this.gridHost.clientWidth !== this.shownWidth) this.render();
    }).observe(this.gridHost);
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
    this.keys = keys;
    const columns: Column<TopRow>[] = keys.map((k) => ({ key: k, title: this.title(k) }));
    // Every row of the grid is its own CSS grid, so columns cannot size to their content by CSS: the numeric
    // columns get the measured width of their widest text (render), names and locations share the rest.
    this.gridHost.classList.toggle('diff', diff);
    this.grid = dataGrid<TopRow>('Top functions', columns, this.template(new Map()), {
      title: (row, key) => {
        const full = this.rows.find((r) => r.frame === row.frame);
        return key === 'name' ? full?.name : key === 'location' ? full?.location : undefined;
      },
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

  /** Sets the columns' widths from the rows' text and shows the rows with names and locations shortened to fit. */
  private fit(rows: TopRow[]): void {
    const grid = this.grid!;
    const style = getComputedStyle(this.element);
    const font = `${style.fontSize} ${style.fontFamily}`;
    if (font !== this.font) {
      this.font = font;
      this.widths.clear();
    }
    const numeric = new Map<TopKey, number>();
    for (const k of this.keys) {
      if (!NUMERIC.includes(k)) continue;
      let w = this.measure(TITLES[k] + ' ▼', true);
      for (const r of rows) w = Math.max(w, this.measure(r[k], false));
      numeric.set(k, Math.ceil(w) + CELL_CHROME);
    }
    const total = this.gridHost.clientWidth;
    this.shownWidth = total;
    let used = 0;
    for (const w of numeric.values()) used += w;
    // Names and locations: as wide as their longest text when there is room; else names keep at least
    // NAME_SHARE of the room and both are shortened in the middle.
    const em = this.measure('m', false);
    const rest = Math.max(14 * em, total - used - 16);
    let nameNeeded = this.measure(TITLES.name, true);
    let locNeeded = this.measure(TITLES.location, true);
    for (const r of rows) {
      nameNeeded = Math.max(nameNeeded, this.measure(r.name, false));
      locNeeded = Math.max(locNeeded, this.measure(r.location, false));
    }
    nameNeeded += CELL_CHROME;
    locNeeded += CELL_CHROME;
    const nameW = Math.floor(Math.min(nameNeeded, Math.max(rest - locNeeded, rest * NAME_SHARE)));
    const locW = Math.floor(rest - nameW);
    grid.setTemplate(this.template(numeric, nameW, locW));
    if (total <= 0) {
      grid.setRows(rows);
      return;
    }
    grid.setRows(
      rows.map((r) => ({
        ...r,
        name: shortenGoName(r.name, (t) => this.measure(t, false) <= nameW - CELL_CHROME),
        location: shortenLocation(r.location, (t) => this.measure(t, false) <= locW - CELL_CHROME),
      })),
    );
  }

  private template(numeric: Map<TopKey, number>, nameW?: number, locW?: number): string {
    return this.keys
      .map((k) =>
        k === 'name' ? (nameW ? `${nameW}px` : `minmax(8em, ${NAME_SHARE}fr)`) : k === 'location' ? (locW ? `minmax(${locW}px, 1fr)` : '1fr') : `${numeric.get(k) ?? 80}px`,
      )
      .join(' ');
  }

  /** Width in CSS pixels of a cell's text, in the grid's font (bold for headers). */
  private measure(text: string, bold: boolean): number {
    if (!text) return 0;
    const font = this.font;
    const key = (bold ? 'b' : 'n') + text;
    let w = this.widths.get(key);
    if (w === undefined) {
      this.ctx ??= document.createElement('canvas').getContext('2d');
      if (!this.ctx) return text.length * 8;
      this.ctx.font = `${bold ? '600 ' : ''}${font}`;
      w = this.ctx.measureText(text).width;
      if (this.widths.size > 20000) this.widths.clear();
      this.widths.set(key, w);
    }
    return w;
  }

  private title(k: TopKey): string {
    return TITLES[k] + (this.sort.key === k ? (this.sort.descending ? ' ▼' : ' ▲') : '');
  }

  private render(): void {
    if (!this.data || !this.grid) return;
    const { top, frames, header } = this.data;
    const { rows, matched } = topRows(top, frames, header.unit, header.total, this.sort, this.filter);
    this.rows = rows;
    this.fit(rows);
    replaceChildren(
      this.note,
      matched > rows.length
        ? `Showing ${rows.length} of ${matched} rows. Search or filters narrow the list.`
        : `${matched} rows. Click a row to find it in the flame graph, its location to open the source.`,
    );
  }
}
