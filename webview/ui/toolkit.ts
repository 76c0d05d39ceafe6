// The one module that knows the component library (@vscode/webview-ui-toolkit). Views ask for
// buttons, dropdowns, text fields, tabs and a data grid here, so the library can be swapped
// (e.g. for @vscode-elements) by rewriting this file only.
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDataGrid,
  vsCodeDataGridCell,
  vsCodeDataGridRow,
  vsCodeDropdown,
  vsCodeOption,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
  vsCodeProgressRing,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';

let registered = false;

export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodeDataGrid(),
    vsCodeDataGridCell(),
    vsCodeDataGridRow(),
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodePanels(),
    vsCodePanelTab(),
    vsCodePanelView(),
    vsCodeProgressRing(),
    vsCodeTextField(),
  );
}

function text(el: HTMLElement, s: string): HTMLElement {
  el.appendChild(document.createTextNode(s));
  return el;
}

export function button(label: string, onClick: () => void, opts: { secondary?: boolean; title?: string } = {}): HTMLElement {
  const b = text(document.createElement('vscode-button'), label);
  if (opts.secondary) b.setAttribute('appearance', 'secondary');
  if (opts.title) b.title = opts.title;
  b.addEventListener('click', onClick);
  return b;
}

export interface Choice {
  value: string;
  label: string;
}

export interface Dropdown {
  element: HTMLElement;
  value: string;
}

export function dropdown(label: string, choices: Choice[], value: string, onChange: (value: string) => void): HTMLElement {
  const d = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
  d.setAttribute('aria-label', label);
  d.title = label;
  for (const c of choices) {
    const o = text(document.createElement('vscode-option'), c.label);
    o.setAttribute('value', c.value);
    if (c.value === value) o.setAttribute('selected', '');
    d.appendChild(o);
  }
  d.addEventListener('change', () => onChange(d.value));
  return d;
}

export function textField(
  label: string,
  opts: { placeholder?: string; value?: string; onInput?: (v: string) => void; onChange?: (v: string) => void },
): HTMLElement & { value: string; invalid: (msg: string | undefined) => void } {
  const f = document.createElement('vscode-text-field') as HTMLElement & { value: string; invalid: (msg: string | undefined) => void };
  f.setAttribute('aria-label', label);
  if (opts.placeholder) f.setAttribute('placeholder', opts.placeholder);
  f.title = label;
  f.value = opts.value ?? '';
  text(f, label);
  if (opts.onInput) f.addEventListener('input', () => opts.onInput!(f.value));
  if (opts.onChange) f.addEventListener('change', () => opts.onChange!(f.value));
  f.invalid = (msg) => {
    f.classList.toggle('invalid', msg !== undefined);
    f.title = msg ?? label;
  };
  return f;
}

export interface Tab {
  id: string;
  label: string;
  content: HTMLElement;
}

export function tabs(items: Tab[], onChange: (id: string) => void): { element: HTMLElement; select(id: string): void } {
  const panels = document.createElement('vscode-panels') as HTMLElement & { activeid: string };
  for (const t of items) {
    const tab = text(document.createElement('vscode-panel-tab'), t.label);
    tab.id = `tab-${t.id}`;
    panels.appendChild(tab);
  }
  for (const t of items) {
    const view = document.createElement('vscode-panel-view');
    view.id = `view-${t.id}`;
    view.appendChild(t.content);
    panels.appendChild(view);
  }
  panels.addEventListener('change', (e) => {
    if (e.target === panels) onChange(panels.activeid.replace(/^tab-/, ''));
  });
  return {
    element: panels,
    select(id) {
      panels.activeid = `tab-${id}`;
    },
  };
}

export function progress(): HTMLElement {
  return document.createElement('vscode-progress-ring');
}

export interface Column<Row> {
  key: keyof Row & string;
  title: string;
}

export interface Grid<Row> {
  element: HTMLElement;
  setRows(rows: Row[]): void;
  /** New `grid-template-columns` for the header and every row. */
  setTemplate(templateColumns: string): void;
}

/**
 * A data grid. Cells are rendered as text by the library's bindings. `onHeader` gets the column
 * key of a clicked header cell; `onRow` gets the row object and column key of a clicked cell.
 */
export function dataGrid<Row extends object>(
  label: string,
  columns: Column<Row>[],
  templateColumns: string,
  handlers: {
    onHeader?: (key: string) => void;
    onRow?: (row: Row, key: string, ev: MouseEvent) => void;
    /** The tooltip of a cell (e.g. the full text of a shortened one), set when the pointer enters it. */
    title?: (row: Row, key: string) => string | undefined;
  },
): Grid<Row> {
  type Cell = HTMLElement & { columnDefinition?: { columnDataKey: string } | null; cellType?: string };
  const grid = document.createElement('vscode-data-grid') as HTMLElement & {
    rowsData: Row[];
    columnDefinitions: { columnDataKey: string; title: string }[];
    gridTemplateColumns: string;
  };
  grid.setAttribute('aria-label', label);
  grid.setAttribute('generate-header', 'sticky');
  grid.columnDefinitions = columns.map((c) => ({ columnDataKey: c.key, title: c.title }));
  grid.gridTemplateColumns = templateColumns;
  grid.addEventListener('click', (ev) => {
    const cell = (ev.target as HTMLElement).closest?.('vscode-data-grid-cell') as Cell | null;
    const key = cell?.columnDefinition?.columnDataKey;
    if (!cell || !key) return;
    if (cell.getAttribute('cell-type') === 'columnheader' || cell.cellType === 'columnheader') handlers.onHeader?.(key);
    else {
      const row = (cell.parentElement as (HTMLElement & { rowData?: Row }) | null)?.rowData;
      if (row) handlers.onRow?.(row, key, ev);
    }
  });
  grid.addEventListener('mouseover', (ev) => {
    const cell = (ev.target as HTMLElement).closest?.('vscode-data-grid-cell') as Cell | null;
    const key = cell?.columnDefinition?.columnDataKey;
    const row = (cell?.parentElement as (HTMLElement & { rowData?: Row }) | null)?.rowData;
    if (!cell || !key || !row || !handlers.title) return;
    const t = handlers.title(row, key);
    if (t) cell.title = t;
    else cell.removeAttribute('title');
  });
  grid.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    const cell = (ev.target as HTMLElement).closest?.('vscode-data-grid-cell') as Cell | null;
    const key = cell?.columnDefinition?.columnDataKey;
    const row = (cell?.parentElement as (HTMLElement & { rowData?: Row }) | null)?.rowData;
    if (key && row) handlers.onRow?.(row, key, ev as unknown as MouseEvent);
    else if (key && cell?.getAttribute('cell-type') === 'columnheader') handlers.onHeader?.(key);
  });
  return {
    element: grid,
    setRows(rows) {
      grid.rowsData = rows;
    },
    setTemplate(templateColumns) {
      if (grid.gridTemplateColumns !== templateColumns) grid.gridTemplateColumns = templateColumns;
    },
  };
}
