// The profile panel's front end: header, toolbar, and three views (flame graph, top table,
// call tree) over the typed arrays the host sends.
import type { ProfilePayload, ToWebview, ViewOptions } from '../src/protocol.ts';
import { MAX_PATTERN_LENGTH } from '../src/protocol.ts';
import { h, replaceChildren } from './dom.ts';
import { deltaColor } from './flame/colors.ts';
import { buildLayout, type FlameLayout } from './flame/layout.ts';
import { FlameView } from './flame/flameView.ts';
import { flameToSvg, flameToText } from './flame/svg.ts';
import { formatPercent, formatValue } from './format.ts';
import { readTheme, watchTheme } from './theme.ts';
import { button, dropdown, registerToolkit, tabs, textField } from './ui/toolkit.ts';
import { post, vscode } from './vscodeApi.ts';
import { CallTreeView } from './views/callTreeView.ts';
import { renderHeader } from './views/header.ts';
import { TopView } from './views/topView.ts';

type TabId = 'flame' | 'top' | 'tree';

interface Perf {
  arrived: number;
  drawn: number;
  painted: number;
  frames: number;
  nodes: number;
}

declare global {
  interface Window {
    /** Timings of the last payload, read by the benchmark and e2e tests. */
    __profilePerf?: Perf;
    __profileApp?: App;
  }
}

class App {
  private readonly root: HTMLElement;
  private readonly headerHost = h('div', { class: 'header-host' });
  private readonly toolbarHost = h('div', { class: 'toolbar' });
  private readonly messages = h('div', { class: 'messages', attrs: { role: 'status' } });
  private readonly legend = h('div', { class: 'legend', attrs: { hidden: '' } });
  private readonly searchShare = h('span', { class: 'search-share', attrs: { 'aria-live': 'polite' } });
  readonly flame: FlameView;
  private readonly top: TopView;
  private readonly tree: CallTreeView;
  private readonly tabs: { element: HTMLElement; select(id: string): void };
  private payload?: ProfilePayload;
  private layout?: FlameLayout;
  private tab: TabId = 'flame';
  private searchText = '';
  private stale = new Set<TabId>();
  private toolbarKey = '';
  private searchRe?: RegExp;

  constructor(root: HTMLElement) {
    this.root = root;
    this.flame = new FlameView({ openSource: (f) => post({ type: 'openSource', frame: f }) });
    this.top = new TopView({
      focus: (f) => this.focusFrame(f),
      openSource: (f) => post({ type: 'openSource', frame: f }),
    });
    this.tree = new CallTreeView({
      focus: (f) => this.focusFrame(f),
      openSource: (f) => post({ type: 'openSource', frame: f }),
    });
    this.tabs = tabs(
      [
        { id: 'flame', label: 'Flame graph', content: this.flame.element },
        { id: 'top', label: 'Top', content: this.top.element },
        { id: 'tree', label: 'Call tree', content: this.tree.element },
      ],
      (id) => {
        this.tab = id as TabId;
        vscode().setState({ tab: id });
        this.refreshTab(this.tab);
        if (id === 'flame') requestAnimationFrame(() => this.flame.drawNow());
      },
    );
    replaceChildren(this.root, this.headerHost, this.toolbarHost, this.legend, this.messages, this.tabs.element);
    // Built before the data arrives (the host is busy then): the components' first construction is the slow one.
    this.toolbarHost.classList.add('pending');
    this.renderToolbar({ sampleIndex: 0, granularity: 'functions', focus: '', ignore: '', hide: '' }, [], false);
    const saved = vscode().getState() as { tab?: TabId } | undefined;
    if (saved?.tab) {
      this.tab = saved.tab;
      this.tabs.select(saved.tab);
    }
    this.flame.setTheme(readTheme());
    watchTheme(() => {
      this.flame.setTheme(readTheme());
      if (this.payload) this.renderLegend(this.payload);
    });
    window.addEventListener('message', (e: MessageEvent<ToWebview>) => this.onMessage(e.data));
  }

  private onMessage(msg: ToWebview): void {
    switch (msg.type) {
      case 'profile':
        this.show(msg);
        break;
      case 'error':
        replaceChildren(this.messages, h('div', { class: 'error' }, msg.message));
        this.root.classList.remove('busy');
        this.root.classList.toggle('failed', !this.payload);
        break;
      case 'busy':
        this.root.classList.toggle('busy', msg.busy);
        break;
      default:
        console.warn('unknown message', msg);
    }
  }

  show(p: ProfilePayload): void {
    const arrived = performance.now();
    this.payload = p;
    this.root.classList.remove('failed', 'busy');
    this.layout = buildLayout(p.flame);
    replaceChildren(this.headerHost, renderHeader(p.header, p.options.sampleIndex));
    const toolbarKey = JSON.stringify([p.options, p.header.sampleTypes, p.header.baseFileName ?? '']);
    if (toolbarKey !== this.toolbarKey) {
      this.toolbarKey = toolbarKey;
      // After the flame graph's first paint: the toolbar keeps its size, so nothing moves.
      requestAnimationFrame(() =>
        requestAnimationFrame(() => {
          if (this.payload !== p) return;
          this.renderToolbar(p.options, p.header.sampleTypes, p.header.baseFileName !== undefined);
          this.toolbarHost.classList.remove('pending');
        }),
      );
    }
    replaceChildren(this.messages, ...p.warnings.map((w) => h('div', { class: 'warning' }, w)));
    this.renderLegend(p);
    this.flame.setData(this.layout, p.frames, p.header);
    const drawn = performance.now();
    // The other tabs are filled when first shown, so a large profile paints its flame graph first.
    this.stale = new Set<TabId>(['top', 'tree']);
    if (this.tab !== 'flame') this.refreshTab(this.tab);
    this.applySearch(this.searchText);
    const perf: Perf = { arrived, drawn, painted: 0, frames: this.flame.lastDrawnFrames, nodes: this.layout.n };
    window.__profilePerf = perf;
    requestAnimationFrame(() => {
      perf.painted = performance.now();
    });
  }

  /** In a comparison: what the colours mean. */
  private renderLegend(p: ProfilePayload): void {
    if (p.header.baseFileName === undefined) {
      this.legend.setAttribute('hidden', '');
      replaceChildren(this.legend);
      return;
    }
    const theme = readTheme();
    const swatch = (delta: number, text: string, cls: string) => {
      const sw = h('span', { class: 'swatch', attrs: { 'aria-hidden': 'true' } });
      // Colours through CSSOM (the CSP blocks style attributes), the same the flame graph draws.
      sw.style.background = deltaColor(delta, Math.abs(delta) || 1, theme).fill;
      return h('span', { class: `legend-item ${cls}` }, sw, text);
    };
    replaceChildren(
      this.legend,
      h('span', { class: 'legend-title' }, `This profile − ${p.header.baseFileName}:`),
      swatch(1, 'red: grew', 'grew'),
      swatch(-1, 'green: shrank', 'shrank'),
      swatch(0, 'grey: unchanged', 'same'),
      h('span', { class: 'legend-note' }, 'the stronger the colour, the larger the change for that frame; delta columns show it in numbers'),
    );
    this.legend.removeAttribute('hidden');
  }

  private refreshTab(tab: TabId): void {
    const p = this.payload;
    if (!p || !this.layout || !this.stale.has(tab)) return;
    this.stale.delete(tab);
    if (tab === 'top') {
      this.top.setData(p.top, p.frames, p.header);
      this.top.setFilter(this.searchRe);
    } else if (tab === 'tree') this.tree.setData(this.layout, p.frames, p.header);
  }

  private options(): ViewOptions {
    return this.payload!.options;
  }

  private setOptions(patch: Partial<ViewOptions>): void {
    const options = { ...this.options(), ...patch };
    post({ type: 'setOptions', options });
  }

  private renderToolbar(o: ViewOptions, sampleTypes: { type: string; unit: string }[], comparing: boolean): void {
    const sample = dropdown(
      'Sample type',
      sampleTypes.map((t, i) => ({ value: String(i), label: `${t.type} (${t.unit})` })),
      String(o.sampleIndex),
      (v) => this.setOptions({ sampleIndex: Number(v) }),
    );
    const granularity = dropdown(
      'Granularity',
      [
        { value: 'functions', label: 'functions' },
        { value: 'lines', label: 'lines' },
        { value: 'files', label: 'files' },
      ],
      o.granularity,
      (v) => this.setOptions({ granularity: v as ViewOptions['granularity'] }),
    );
    const filter = (key: 'focus' | 'ignore' | 'hide', hint: string) => {
      const f = textField(key, { placeholder: hint, value: o[key], onChange: (v) => this.setOptions({ [key]: v }) });
      f.classList.add('filter');
      return f;
    };
    const search = textField('Search', {
      placeholder: 'regexp',
      value: this.searchText,
      onInput: (v) => this.applySearch(v, search),
    });
    search.classList.add('search');
    const orientation = button(this.flame.orientation === 'icicle' ? 'Flame' : 'Icicle', () => {
      this.flame.setOrientation(this.flame.orientation === 'icicle' ? 'flame' : 'icicle');
      this.renderToolbar(o, sampleTypes, comparing);
    }, { secondary: true, title: 'Toggle between icicle (root on top) and flame (root at the bottom)' });
    const compare = comparing
      ? button('End compare', () => post({ type: 'clearCompare' }), { secondary: true })
      : button('Compare with…', () => post({ type: 'compare' }), { secondary: true, title: 'Subtract a base profile of the same kind' });
    const copy = button('Copy as text', () => post({ type: 'copyText', text: this.viewText() }), { secondary: true, title: 'Copy the current view as text' });
    const svg = button('Export SVG', () => post({ type: 'exportSvg', svg: this.svg() }), { secondary: true, title: 'Save the flame graph as SVG' });
    replaceChildren(
      this.toolbarHost,
      h('div', { class: 'tb-group' }, sample, granularity),
      h('div', { class: 'tb-group' }, filter('focus', 'focus regexp'), filter('ignore', 'ignore regexp'), filter('hide', 'hide regexp')),
      h('div', { class: 'tb-group' }, search, this.searchShare),
      h('div', { class: 'tb-group' }, orientation, compare, copy, svg),
    );
  }

  private applySearch(text: string, field?: { invalid(msg: string | undefined): void }): void {
    this.searchText = text;
    let re: RegExp | undefined;
    if (text.length > MAX_PATTERN_LENGTH) {
      field?.invalid(`Longer than ${MAX_PATTERN_LENGTH} characters`);
      return;
    }
    try {
      re = text ? new RegExp(text) : undefined;
      field?.invalid(undefined);
    } catch (err) {
      field?.invalid(String((err as Error).message));
      return;
    }
    this.searchRe = re;
    const r = this.flame.setSearch(re);
    if (!this.stale.has('top')) this.top.setFilter(re);
    const total = this.layout?.data.cum[0] ?? 0;
    const unit = this.payload?.header.unit ?? '';
    replaceChildren(this.searchShare, r ? `${formatValue(r.value, unit)} · ${formatPercent(r.value, total)} matched` : '');
  }

  focusFrame(frame: number): void {
    this.tabs.select('flame');
    this.tab = 'flame';
    requestAnimationFrame(() => this.flame.focusFrame(frame));
  }

  private viewText(): string {
    this.refreshTab(this.tab);
    const l = this.layout;
    const p = this.payload;
    if (!l || !p) return '';
    if (this.tab === 'top') return this.top.text();
    if (this.tab === 'tree') return this.tree.text();
    const unit = p.header.unit;
    return flameToText(l, this.flame.zoomNode, (i) => `${formatPercent(l.data.cum[i], l.data.cum[0])} ${formatValue(l.data.cum[i], unit)} ${this.flame.label(i)}`);
  }

  private svg(): string {
    const l = this.layout!;
    const theme = readTheme();
    return flameToSvg(l, {
      zoom: this.flame.zoomNode,
      width: 1200,
      rowHeight: 18,
      orientation: this.flame.orientation,
      label: (i) => this.flame.label(i),
      tooltip: (i) => this.flame.describe(i).join('\n'),
      fill: (i) => this.flame.fillOf(i).fill,
      text: (i) => this.flame.fillOf(i).text,
      fontFamily: theme.fontFamily,
      background: `rgb(${theme.background.r},${theme.background.g},${theme.background.b})`,
    });
  }
}

registerToolkit();
const root = document.getElementById('app');
if (root) {
  window.__profileApp = new App(root);
  post({ type: 'ready' });
}
