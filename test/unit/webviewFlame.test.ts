// The webview's DOM-free parts: flame geometry, search share, callers/callees, call-tree rows,
// top rows, SVG/text export, and the rule that names reach the page only as text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FlameData, FrameTable } from '../../src/protocol.ts';
import { buildLayout, callersCallees, crumbPath, forEachVisible, hitTest, neighbour, searchShare, widestNodeOf } from '../../webview/flame/layout.ts';
import { escapeXml, flameToSvg, flameToText } from '../../webview/flame/svg.ts';
import { topRows, topToText } from '../../webview/views/topRows.ts';
import { initialExpansion, treeRows } from '../../webview/views/treeRows.ts';
import { headerItems } from '../../webview/views/headerItems.ts';

/** Builds preorder arrays from nested [frame, self, children] tuples (cum is computed). */
type T = [number, number, T[]];
function flame(root: T[]): FlameData {
  const depth: number[] = [];
  const frame: number[] = [];
  const cum: number[] = [];
  const self: number[] = [];
  const end: number[] = [];
  const walk = (t: T, d: number): number => {
    const i = depth.length;
    depth.push(d);
    frame.push(t[0]);
    self.push(t[1]);
    cum.push(0);
    end.push(0);
    let c = t[1];
    for (const k of [...t[2]].sort((a, b) => total(b) - total(a))) c += walk(k, d + 1);
    cum[i] = c;
    end[i] = depth.length;
    return c;
  };
  const total = (t: T): number => t[1] + t[2].reduce((s, k) => s + total(k), 0);
  walk([-1, 0, root], 0);
  return {
    depth: Uint16Array.from(depth),
    frame: Int32Array.from(frame),
    cum: Float64Array.from(cum),
    self: Float64Array.from(self),
    end: Uint32Array.from(end),
  };
}

// main(0) → a(1) → c(3) 30 ; main → a → 10 self ; main → b(2) → c(3) 20 ; main → b → b (recursion) 5 ; runtime(4) 35
const data = flame([
  [0, 0, [[1, 10, [[3, 30, []]]], [2, 0, [[3, 20, []], [2, 5, []]]]]],
  [4, 35, []],
]);

const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
const frames: FrameTable = {
  names: ['main.main', 'main.a', 'main.b', hostile, 'runtime.mcall'],
  labels: ['main.main', 'main.a', 'main.b', hostile, 'runtime.mcall'],
  files: ['/src/main.go', '/src/main.go', '/src/main.go', '/tmp/"><svg onload=alert(3)>/x.go', '/usr/local/go/src/runtime/proc.go'],
  lines: Uint32Array.from([10, 20, 30, 40, 50]),
  pkg: Uint32Array.from([0, 0, 0, 1, 2]),
  packages: ['main', hostile, 'runtime'],
};

test('layout: x offsets, parents and the root total', () => {
  const l = buildLayout(data);
  assert.equal(l.data.cum[0], 100);
  assert.equal(l.maxDepth, 3);
  // Preorder: root, main, a, c, b, c, b(rec), runtime
  assert.deepEqual([...l.data.frame], [-1, 0, 1, 3, 2, 3, 2, 4]);
  assert.deepEqual([...l.x], [0, 0, 0, 0, 40, 40, 60, 65]);
  assert.deepEqual([...l.parent], [-1, 0, 1, 2, 1, 4, 4, 0]);
});

test('forEachVisible skips narrow subtrees and clips depth', () => {
  const l = buildLayout(data);
  const seen: number[] = [];
  forEachVisible(l, { zoom: 0, width: 100 }, 6, (i) => seen.push(i));
  // b(rec) is 5px wide at 1px per unit: skipped.
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 7]);
  const zoomed: [number, number, number][] = [];
  forEachVisible(l, { zoom: 4, width: 250 }, 1, (i, left, w) => zoomed.push([i, left, w]));
  // Ancestors full width, then b's subtree scaled so b spans 250px.
  assert.deepEqual(zoomed, [
    [0, 0, 250],
    [1, 0, 250],
    [4, 0, 250],
    [5, 0, 200],
    [6, 200, 50],
  ]);
  const rows: number[] = [];
  forEachVisible(l, { zoom: 0, width: 100 }, 0, (i) => rows.push(i), { min: 2, max: 2 });
  assert.deepEqual(rows, [2, 4]);
});

test('hitTest finds the frame under a point, ancestors included when zoomed', () => {
  const l = buildLayout(data);
  const vp = { zoom: 0, width: 100 };
  assert.equal(hitTest(l, vp, 50, 2), 4);
  assert.equal(hitTest(l, vp, 62, 3), 6);
  assert.equal(hitTest(l, vp, 80, 1), 7);
  assert.equal(hitTest(l, vp, 80, 2), -1);
  assert.equal(hitTest(l, { zoom: 4, width: 100 }, 90, 0), 0);
  assert.equal(hitTest(l, { zoom: 4, width: 100 }, 90, 3), 6);
});

test('keyboard neighbours move along rows and levels', () => {
  const l = buildLayout(data);
  const vp = { zoom: 0, width: 1000 };
  assert.equal(neighbour(l, vp, 2, 'next'), 4);
  assert.equal(neighbour(l, vp, 4, 'prev'), 2);
  assert.equal(neighbour(l, vp, 3, 'next'), 5, 'next on the same depth across parents');
  assert.equal(neighbour(l, vp, 5, 'next'), 6);
  assert.equal(neighbour(l, vp, 1, 'child'), 2);
  assert.equal(neighbour(l, vp, 2, 'parent'), 1);
  assert.equal(neighbour(l, vp, 7, 'next'), 7, 'stays at the right edge');
});

test('search share counts outermost matches once', () => {
  const l = buildLayout(data);
  const r = searchShare(l, (f) => frames.names[f].startsWith('main.b'));
  assert.equal(r.value, 25);
  assert.deepEqual([...r.matched], [0, 0, 0, 0, 1, 0, 1, 0]);
  assert.equal(widestNodeOf(l, 3), 3);
});

test('callers and callees of a function, recursion not double counted', () => {
  const l = buildLayout(data);
  const c = callersCallees(l, 3);
  assert.equal(c.cum, 50);
  assert.deepEqual(c.callers, [
    { frame: 1, value: 30 },
    { frame: 2, value: 20 },
  ]);
  const b = callersCallees(l, 2);
  assert.equal(b.cum, 25);
  assert.equal(b.self, 5);
  assert.deepEqual(b.callees, [
    { frame: 3, value: 20 },
    { frame: 2, value: 5 },
  ]);
});

test('call tree rows follow expansion and cut long child lists', () => {
  const exp = initialExpansion(data);
  const rows = treeRows(data, exp, 1);
  assert.deepEqual(
    rows.map((r) => [r.node, r.level, r.expanded]),
    [
      [1, 0, true],
      [2, 1, true],
      [3, 2, false],
      [-1, 1, false],
      [-1, 0, false],
    ],
  );
  assert.deepEqual(rows[3].more, { parent: 1, count: 1, value: 25 });
});

test('top rows sort by any column and format values', () => {
  const top = { frame: Int32Array.from([3, 4, 0]), flat: Float64Array.from([50, 35, 0]), cum: Float64Array.from([50, 35, 65]) };
  const byCum = topRows(top, frames, 'nanoseconds', 100, { key: 'cum', descending: true });
  assert.deepEqual(byCum.rows.map((r) => r.frame), [0, 3, 4]);
  assert.equal(byCum.rows[0].cumPct, '65.0%');
  assert.equal(byCum.rows[1].flat, '50ns');
  const filtered = topRows(top, frames, 'count', 100, { key: 'flat', descending: true }, /^runtime/);
  assert.equal(filtered.matched, 1);
  assert.match(topToText(byCum.rows, false), /^flat\tflat%\tcum\tcum%\tname\tlocation\n/);
});

test('hostile names stay text: SVG escapes them, rows and header carry them verbatim', () => {
  const l = buildLayout(data);
  const svg = flameToSvg(l, {
    zoom: 0,
    width: 1000,
    rowHeight: 18,
    orientation: 'icicle',
    label: (i) => (l.data.frame[i] >= 0 ? frames.names[l.data.frame[i]] : 'all'),
    tooltip: (i) => (l.data.frame[i] >= 0 ? `${frames.names[l.data.frame[i]]}\n${frames.files[l.data.frame[i]]}` : 'all'),
    fill: () => '#123456',
    text: () => '#fff',
    fontFamily: 'a"b<c',
    background: '#000',
  });
  assert.ok(!svg.includes('<img'), 'no raw <img');
  assert.ok(!svg.includes('<script'), 'no raw <script');
  assert.ok(!svg.includes('<svg onload'), 'no raw <svg onload');
  assert.ok(svg.includes(escapeXml(hostile)));
  assert.equal(escapeXml(`<a href="x">'&`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
  // Every element in the export is one we wrote.
  const tags = new Set([...svg.matchAll(/<([a-zA-Z]+)/g)].map((m) => m[1]));
  assert.deepEqual([...tags].sort(), ['g', 'rect', 'svg', 'text', 'title']);

  const rows = topRows({ frame: Int32Array.from([3]), flat: Float64Array.from([1]), cum: Float64Array.from([1]) }, frames, '', 1, { key: 'flat', descending: true });
  assert.equal(rows.rows[0].name, hostile);
  assert.equal(rows.rows[0].location, '/tmp/"><svg onload=alert(3)>/x.go:40');
  const hd = headerItems(
    { fileName: hostile, kind: 'cpu', sampleTypes: [{ type: 'samples', unit: 'count' }], unit: 'count', total: 1, durationNanos: 0, timeNanos: 0, capture: { pod: hostile } },
    0,
  );
  assert.deepEqual(hd.find(([k]) => k === 'pod'), ['pod', hostile]);
  assert.match(flameToText(l, 0, (i) => (l.data.frame[i] >= 0 ? frames.names[l.data.frame[i]] : 'all')), /<img src=x/);
});

test('the webview never turns strings into HTML', () => {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(new URL('../../webview', import.meta.url).pathname);
  assert.ok(files.length > 5);
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'createContextualFragment', 'DOMParser', 'srcdoc', 'eval(', 'new Function']) {
      assert.ok(!src.includes(sink), `${f} uses ${sink}`);
    }
  }
  // Text enters the DOM only as text nodes.
  const dom = readFileSync(new URL('../../webview/dom.ts', import.meta.url), 'utf8');
  assert.match(dom, /createTextNode\(String\(c\)\)/);
});

test('a comparison sorts the top table by the size of the delta, growth and shrink alike', () => {
  const top = {
    frame: Int32Array.from([0, 1, 2, 3]),
    flat: Float64Array.from([5, 5, 5, 5]),
    cum: Float64Array.from([5, 5, 5, 5]),
    delta: Float64Array.from([1, -30, 20, 0]),
  };
  const r = topRows(top, frames, 'count', 100, { key: 'delta', descending: true });
  assert.deepEqual(r.rows.map((x) => x.delta), ['-30', '+20', '+1', '0']);
});

test('a "more" row expands to every child of its parent', () => {
  const rows = treeRows(data, new Set([0]), 1, new Set([0]));
  assert.deepEqual(rows.map((r) => r.node), [1, 7]);
});

test('a long zoom path keeps its first and last steps on one line', () => {
  assert.deepEqual(crumbPath(1), [0]);
  assert.deepEqual(crumbPath(5), [0, 1, 2, 3, 4]);
  assert.deepEqual(crumbPath(9), [0, -1, 6, 7, 8]);
});
