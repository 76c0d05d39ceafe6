// The flame graph on a canvas: zoom by click, breadcrumb, hover tooltip, keyboard, search,
// icicle/flame orientation. Only frames wide enough to see are drawn, and only the rows in view.
import type { FrameTable, ProfileHeader } from '../../src/protocol.ts';
import { h, replaceChildren } from '../dom.ts';
import { formatPercent, formatSigned, formatValue } from '../format.ts';
import { css, deltaColor, mix, packageColors, textOn, type Theme } from './colors.ts';
import { fitLabel } from './label.ts';
import { ancestors, CRUMB_TAIL, crumbPath, forEachVisible, hitTest, neighbour, searchShare, widestNodeOf, type FlameLayout } from './layout.ts';

const ROW = 18;

// Frames narrower than a CSS pixel are not drawn (nor their subtrees): they would not be seen apart.
const MIN_WIDTH = 1;

export interface FlameViewEvents {
  openSource(frame: number): void;
  select?(node: number): void;
}

export class FlameView {
  readonly element: HTMLElement;
  private readonly crumbs: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tooltip: HTMLElement;
  private readonly details: HTMLElement;
  private layout?: FlameLayout;
  private frames?: FrameTable;
  private header?: ProfileHeader;
  private theme?: Theme;
  private colors?: { fill: string[]; text: string[] };
  private zoom = 0;
  private selected = 0;
  private hover = -1;
  private matched?: Uint8Array;
  orientation: 'icicle' | 'flame' = 'icicle';
  private pending = 0;
  private charWidth = 7;
  /** Flame orientation with fewer rows than the viewport: rows sit at the bottom. */
  private yOffset = 0;
  private drawnSize: [number, number] = [0, 0];
  /** The node under the pointer at the first click of a possible double-click. */
  private firstClick?: { node: number; at: number };
  /** Duration of the last draw in milliseconds, read by the benchmark. */
  lastDrawMs = 0;
  lastDrawnFrames = 0;

  private readonly events: FlameViewEvents;

  constructor(events: FlameViewEvents) {
    this.events = events;
    this.crumbs = h('nav', { class: 'crumbs', attrs: { 'aria-label': 'Zoom path' } });
    this.canvas = h('canvas', {
      class: 'flame-canvas',
      attrs: { tabindex: '0', role: 'img', 'aria-label': 'Flame graph. Arrow keys move, Enter zooms, Escape resets, Shift+Enter opens source.' },
    });
    this.spacer = h('div', { class: 'flame-spacer' });
    this.scroller = h('div', { class: 'flame-scroller' }, this.canvas, this.spacer);
    this.tooltip = h('div', { class: 'tooltip', attrs: { role: 'tooltip', hidden: '' } });
    this.details = h('div', { class: 'details', attrs: { 'aria-live': 'polite' } });
    this.element = h('div', { class: 'flame-view' }, this.crumbs, this.scroller, this.details, this.tooltip);

    this.scroller.addEventListener('scroll', () => this.requestDraw());
    this.canvas.addEventListener('mousemove', (e) => this.onMove(e));
    this.canvas.addEventListener('mouseleave', () => this.setHover(-1, 0, 0));
    this.canvas.addEventListener('click', (e) => this.onClick(e));
    // A double-click opens the frame under the pointer at its first click: that click zoomed, and what is
    // under the pointer now may be another frame.
    this.canvas.addEventListener('dblclick', (e) => {
      const i = this.firstClick && e.timeStamp - this.firstClick.at < 1000 ? this.firstClick.node : this.nodeAt(e);
      this.firstClick = undefined;
      if (i > 0 && this.layout) this.events.openSource(this.layout.data.frame[i]);
    });
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => {
      if (this.scroller.clientWidth !== this.drawnSize[0] || this.scroller.clientHeight !== this.drawnSize[1]) this.requestDraw();
    }).observe(this.scroller);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.colors = this.frames ? packageColors(this.frames.packages, theme) : undefined;
    const ctx = this.canvas.getContext('2d');
    if (ctx) {
      ctx.font = `12px ${theme.fontFamily}`;
      this.charWidth = ctx.measureText('abcdefghijklmnopqrstuvwxyz').width / 26 || 7;
    }
    this.requestDraw();
  }

  setData(layout: FlameLayout, frames: FrameTable, header: ProfileHeader): void {
    this.layout = layout;
    this.frames = frames;
    this.header = header;
    this.colors = this.theme ? packageColors(frames.packages, this.theme) : undefined;
    this.zoom = 0;
    this.selected = 0;
    this.matched = undefined;
    if (this.orientation === 'flame') this.scroller.scrollTop = this.scroller.scrollHeight;
    this.updateChrome();
    this.drawNow();
  }

  get zoomNode(): number {
    return this.zoom;
  }

  get selectedNode(): number {
    return this.selected;
  }

  setOrientation(o: 'icicle' | 'flame'): void {
    this.orientation = o;
    this.scroller.scrollTop = o === 'flame' ? this.scroller.scrollHeight : 0;
    this.requestDraw();
  }

  /** Highlights frames whose name matches; returns the matched share of the total. */
  setSearch(re: RegExp | undefined): { value: number } | undefined {
    if (!this.layout || !this.frames) return undefined;
    if (!re) {
      if (this.matched) this.requestDraw();
      this.matched = undefined;
      return undefined;
    }
    const names = this.frames.names;
    const cache = new Int8Array(names.length);
    const r = searchShare(this.layout, (f) => {
      if (cache[f] === 0) cache[f] = re.test(names[f]) ? 1 : -1;
      return cache[f] === 1;
    });
    this.matched = r.matched;
    this.requestDraw();
    return { value: r.value };
  }

  zoomTo(node: number): void {
    if (!this.layout) return;
    this.zoom = node;
    this.selected = node;
    this.updateChrome();
    this.drawNow();
  }

  /** Focus a frame of the frame table: zoom to its widest node's parent so it shows in context. */
  focusFrame(frame: number): void {
    if (!this.layout) return;
    const i = widestNodeOf(this.layout, frame);
    if (i < 0) return;
    this.zoom = Math.max(0, this.layout.parent[i]);
    this.selected = i;
    this.updateChrome();
    this.drawNow();
    this.scrollToNode(i);
    this.canvas.focus();
  }

  focus(): void {
    this.canvas.focus();
  }

  /** Where a node is drawn, in CSS pixels relative to the canvas, if it is on screen (tests use it). */
  locate(node: number): { x: number; y: number; w: number; h: number } | undefined {
    const l = this.layout;
    if (!l) return undefined;
    let found: { x: number; y: number; w: number; h: number } | undefined;
    const width = this.canvas.clientWidth;
    forEachVisible(l, { zoom: this.zoom, width }, MIN_WIDTH, (i, left, w) => {
      if (i !== node) return;
      const d = l.data.depth[i];
      const y = (this.orientation === 'icicle' ? d : l.maxDepth - d) * ROW - this.scroller.scrollTop + this.yOffset;
      found = { x: left, y, w, h: ROW - 1 };
    });
    return found;
  }

  private nodeAt(e: MouseEvent): number {
    if (!this.layout) return -1;
    const rect = this.canvas.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top + this.scroller.scrollTop - this.yOffset;
    const row = Math.floor(py / ROW);
    const depth = this.orientation === 'icicle' ? row : this.layout.maxDepth - row;
    return hitTest(this.layout, { zoom: this.zoom, width: this.canvas.clientWidth }, px, depth);
  }

  private onMove(e: MouseEvent): void {
    this.setHover(this.nodeAt(e), e.clientX, e.clientY);
  }

  private onClick(e: MouseEvent): void {
    // The second click of a double-click does not zoom again: the double-click opens the first click's frame.
    if (e.detail > 1) return;
    const i = this.nodeAt(e);
    this.firstClick = { node: i, at: e.timeStamp };
    if (i < 0 || !this.layout) return;
    if (e.ctrlKey || e.metaKey) {
      if (i > 0) this.events.openSource(this.layout.data.frame[i]);
      return;
    }
    this.zoomTo(i);
    this.events.select?.(i);
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.layout) return;
    const vp = { zoom: this.zoom, width: this.canvas.clientWidth };
    const up = this.orientation === 'icicle' ? 'parent' : 'child';
    const down = this.orientation === 'icicle' ? 'child' : 'parent';
    let next: number;
    switch (e.key) {
      case 'ArrowUp':
        next = neighbour(this.layout, vp, this.selected, up);
        break;
      case 'ArrowDown':
        next = neighbour(this.layout, vp, this.selected, down);
        break;
      case 'ArrowLeft':
        next = neighbour(this.layout, vp, this.selected, 'prev');
        break;
      case 'ArrowRight':
        next = neighbour(this.layout, vp, this.selected, 'next');
        break;
      case 'Enter':
        if (e.shiftKey || e.ctrlKey || e.metaKey) {
          if (this.selected > 0) this.events.openSource(this.layout.data.frame[this.selected]);
        } else this.zoomTo(this.selected);
        e.preventDefault();
        return;
      case 'Escape':
        this.zoomTo(0);
        e.preventDefault();
        return;
      default:
        return;
    }
    e.preventDefault();
    // Moving above the zoomed frame widens the zoom to keep the selection on screen.
    if (next < this.zoom || next >= this.layout.data.end[this.zoom]) this.zoom = next === 0 ? 0 : Math.max(0, this.layout.parent[next]);
    this.selected = next;
    this.updateChrome();
    this.scrollToNode(next);
    this.drawNow();
    this.events.select?.(next);
  }

  private scrollToNode(i: number): void {
    if (!this.layout) return;
    const d = this.layout.data.depth[i];
    const y = (this.orientation === 'icicle' ? d * ROW : (this.layout.maxDepth - d) * ROW) + this.yOffset;
    const top = this.scroller.scrollTop;
    const hgt = this.scroller.clientHeight;
    if (y < top) this.scroller.scrollTop = y;
    else if (y + ROW > top + hgt) this.scroller.scrollTop = y + ROW - hgt;
  }

  private setHover(i: number, cx: number, cy: number): void {
    if (i !== this.hover) {
      this.hover = i;
      this.requestDraw();
    }
    if (i < 0 || !this.layout) {
      this.tooltip.setAttribute('hidden', '');
      return;
    }
    replaceChildren(this.tooltip, ...this.describe(i).map((line, k) => h('div', { class: k === 0 ? 'tt-name' : 'tt-line' }, line)));
    this.tooltip.removeAttribute('hidden');
    const host = this.element.getBoundingClientRect();
    const tw = this.tooltip.offsetWidth;
    const th = this.tooltip.offsetHeight;
    let left = cx - host.left + 14;
    let top = cy - host.top + 14;
    if (left + tw > host.width) left = Math.max(0, cx - host.left - tw - 8);
    if (top + th > host.height) top = Math.max(0, cy - host.top - th - 8);
    this.tooltip.style.left = `${left}px`;
    this.tooltip.style.top = `${top}px`;
  }

  /** Name, file:line, flat, cum and share of a node, as text lines. */
  describe(i: number): string[] {
    const l = this.layout!;
    const f = this.frames!;
    const unit = this.header?.unit ?? '';
    const total = l.data.cum[0];
    const fr = l.data.frame[i];
    const lines = [fr >= 0 ? f.names[fr] : 'all'];
    if (fr >= 0 && f.files[fr]) lines.push(f.lines[fr] ? `${f.files[fr]}:${f.lines[fr]}` : f.files[fr]);
    lines.push(`flat ${formatValue(l.data.self[i], unit)} (${formatPercent(l.data.self[i], total)})`);
    lines.push(`cum ${formatValue(l.data.cum[i], unit)} (${formatPercent(l.data.cum[i], total)} of total)`);
    if (l.data.delta) lines.push(`delta ${formatSigned(l.data.delta[i], unit)} vs base`);
    return lines;
  }

  label(i: number): string {
    const fr = this.layout!.data.frame[i];
    return fr >= 0 ? this.frames!.names[fr] : 'all';
  }

  fillOf(i: number): { fill: string; text: string } {
    const l = this.layout!;
    const theme = this.theme!;
    if (l.data.delta) return deltaColor(l.data.delta[i], l.data.cum[i], theme);
    const fr = l.data.frame[i];
    if (fr < 0 || !this.colors) {
      const c = mix(theme.background, theme.foreground, 0.3);
      return { fill: css(c), text: textOn(c) };
    }
    const p = this.frames!.pkg[fr];
    return { fill: this.colors.fill[p], text: this.colors.text[p] };
  }

  private updateChrome(): void {
    if (!this.layout) return;
    // One line, always: the canvas below must not move when the path grows (a double-click would land on
    // another frame). Long paths keep their first and last steps; the middle is one "…" crumb.
    const path = [...ancestors(this.layout, this.zoom), this.zoom];
    const keep = crumbPath(path.length);
    const items = keep.map((k) => {
      if (k < 0) {
        const hidden = path.slice(1, path.length - CRUMB_TAIL);
        const parent = hidden[hidden.length - 1];
        return h('button', { class: 'crumb more', title: hidden.map((i) => this.label(i)).join(' › '), on: { click: () => this.zoomTo(parent) } }, '…');
      }
      const i = path[k];
      return k === path.length - 1
        ? h('span', { class: 'crumb current', title: this.label(i), attrs: { 'aria-current': 'true' } }, this.label(i))
        : h('button', { class: 'crumb', title: this.label(i), on: { click: () => this.zoomTo(i) } }, this.label(i));
    });
    const sep = () => h('span', { class: 'crumb-sep', attrs: { 'aria-hidden': 'true' } }, '›');
    replaceChildren(this.crumbs, ...items.flatMap((el, k) => (k === 0 ? [el] : [sep(), el])));
    const i = this.selected;
    const fr = this.layout.data.frame[i];
    const [name, ...rest] = this.describe(i);
    const loc = fr >= 0 && this.frames!.files[fr] ? rest.shift() : undefined;
    replaceChildren(
      this.details,
      h('span', { class: 'detail-name', title: name }, name),
      loc ? h('a', { class: 'detail-loc', title: loc, attrs: { href: '#', role: 'link' }, on: { click: (e) => (e.preventDefault(), this.events.openSource(fr)) } }, loc) : null,
      h('span', { class: 'detail-values' }, rest.join(' · ')),
    );
  }

  private requestDraw(): void {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.drawNow();
    });
  }

  drawNow(): void {
    if (this.pending) {
      cancelAnimationFrame(this.pending);
      this.pending = 0;
    }
    const l = this.layout;
    const theme = this.theme;
    if (!l || !theme) return;
    const t0 = performance.now();
    const dpr = window.devicePixelRatio || 1;
    const width = this.scroller.clientWidth;
    const height = this.scroller.clientHeight;
    if (width <= 0 || height <= 0) return;
    this.drawnSize = [width, height];
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    const md = l.maxDepth;
    const contentHeight = (md + 1) * ROW;
    const spacer = `${Math.max(0, contentHeight - height)}px`;
    if (this.spacer.style.height !== spacer) this.spacer.style.height = spacer;
    this.yOffset = this.orientation === 'flame' ? Math.max(0, height - contentHeight) : 0;
    const yOffset = this.yOffset;
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = css(theme.background);
    ctx.fillRect(0, 0, width, height);
    ctx.font = `12px ${theme.fontFamily}`;
    ctx.textBaseline = 'middle';
    const scrollTop = this.scroller.scrollTop;
    const firstRow = Math.floor(scrollTop / ROW);
    const lastRow = Math.ceil((scrollTop + height) / ROW);
    const range = this.orientation === 'icicle' ? { min: firstRow, max: lastRow } : { min: md - lastRow, max: md - firstRow };
    const matched = this.matched;
    const cw = this.charWidth;
    const border = theme.contrastBorder ? css(theme.contrastBorder) : undefined;
    const highlight = css(theme.highlight);
    let selRect: [number, number, number] | undefined;
    const foreground = css(theme.foreground);
    // Setting a canvas style parses the colour string: only do it when it changes.
    let curFill = '';
    let curAlpha = 1;
    const setFill = (f: string) => {
      if (f !== curFill) ctx.fillStyle = curFill = f;
    };
    const setAlpha = (a: number) => {
      if (a !== curAlpha) ctx.globalAlpha = curAlpha = a;
    };
    if (border) ctx.strokeStyle = border;
    this.lastDrawnFrames = forEachVisible(
      l,
      { zoom: this.zoom, width },
      MIN_WIDTH,
      (i, left, w) => {
        const d = l.data.depth[i];
        const y = (this.orientation === 'icicle' ? d : md - d) * ROW - scrollTop + yOffset;
        const { fill, text } = this.fillOf(i);
        const hit = matched !== undefined && matched[i] === 1;
        setAlpha(matched !== undefined && !hit ? 0.35 : 1);
        setFill(hit ? highlight : fill);
        ctx.fillRect(left, y, Math.max(w - 1, 0.5), ROW - 1);
        if (border && w > 3) ctx.strokeRect(left + 0.5, y + 0.5, w - 2, ROW - 2);
        if (i === this.hover && w > 2) {
          setAlpha(1);
          ctx.strokeStyle = foreground;
          ctx.strokeRect(left + 0.5, y + 0.5, w - 2, ROW - 2);
          if (border) ctx.strokeStyle = border;
        }
        if (i === this.selected) selRect = [left, y, w];
        if (w > cw * 3 + 6) {
          setFill(hit ? foreground : text);
          ctx.fillText(fitLabel(this.label(i), Math.floor((w - 6) / cw)), left + 3, y + ROW / 2);
        }
      },
      range,
    );
    ctx.globalAlpha = 1;
    if (selRect) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = css(theme.focusBorder);
      ctx.strokeRect(selRect[0] + 1, selRect[1] + 1, Math.max(selRect[2] - 3, 2), ROW - 3);
      ctx.lineWidth = 1;
    }
    this.lastDrawMs = performance.now() - t0;
  }
}
