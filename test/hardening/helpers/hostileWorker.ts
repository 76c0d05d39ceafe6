// Runs one hostile input through what the extension does with a profile or dump, in a child process whose
// heap is capped (--max-old-space-size), and prints a JSON report: its peak RSS (VmHWM), what the panel model
// produced, whether the rendered text carries any markup we did not write, and every path the source
// resolver asked about. Usage: node hostileWorker.ts <profile|dump> <file> <workspace dir> [no-svg]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseGoroutineDump } from '../../../src/profile/goroutines.ts';
import { buildView, loadProfile } from '../../../src/views/profilePanel/model.ts';
import { allowedRoots, isInside, resolveSourcePath, type SourceRoots } from '../../../src/source/sourceMap.ts';
import { buildLayout } from '../../../webview/flame/layout.ts';
import { flameToSvg, flameToText } from '../../../webview/flame/svg.ts';
import { topRows, topToText } from '../../../webview/views/topRows.ts';

const [kind, file, workspace, mode] = process.argv.slice(2);
const t0 = performance.now();
const bytes = readFileSync(file);

function peakRssMB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : -1;
}

const roots: SourceRoots = {
  workspaceFolders: [workspace],
  modules: [{ modulePath: 'etcd-profiler/hardening/gen', dir: path.join(workspace, 'gen') }],
  vendorDirs: [],
  goroot: path.join(workspace, 'goroot'),
  gopath: [],
  rewrites: [{ from: '/src/app/', to: path.join(workspace, 'app') }],
  workspaceFiles: [path.join(workspace, 'gen', 'main.go')],
};

async function resolveAll(files: Iterable<string>): Promise<{ asked: string[]; outside: string[]; resolved: number }> {
  const allowed = allowedRoots(roots);
  const asked: string[] = [];
  let resolved = 0;
  for (const f of files) {
    const r = await resolveSourcePath(f, roots, (p) => {
      asked.push(p);
      return false;
    });
    if (r.found) resolved++;
  }
  const outside = asked.filter((p) => !allowed.some((root) => isInside(p, root)));
  return { asked, outside, resolved };
}

const ALLOWED_TAGS = new Set(['svg', 'g', 'rect', 'text', 'title']);

async function profile(): Promise<Record<string, unknown>> {
  const loaded = loadProfile(bytes, path.basename(file));
  if ('error' in loaded) return { error: loaded.error };
  const view = buildView(loaded, { sampleIndex: -1, granularity: 'functions', focus: '', ignore: '', hide: '' }, undefined, { fileName: path.basename(file) });
  const { frames, flame, top, header } = view.payload;
  const layout = buildLayout(flame);
  const label = (i: number): string => (flame.frame[i] >= 0 ? frames.names[flame.frame[i]] : 'all');
  const svg = mode === 'no-svg' ? '<svg></svg>' : flameToSvg(layout, {
    zoom: 0,
    width: 1200,
    rowHeight: 16,
    orientation: 'icicle',
    label,
    tooltip: (i) => (flame.frame[i] >= 0 ? `${frames.names[flame.frame[i]]}\n${frames.files[flame.frame[i]]}` : 'all'),
    fill: () => '#345',
    text: () => '#fff',
    fontFamily: 'monospace',
    background: '#000',
  });
  const tags = [...new Set([...svg.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1]))];
  const rows = topRows(top, frames, header.unit, header.total, { key: 'flat', descending: true });
  const text = flameToText(layout, 0, label) + topToText(rows.rows, false);
  const files = new Set<string>([...frames.files, ...loaded.profile.functions.map((f) => f.filename)].filter(Boolean));
  const res = await resolveAll(files);
  let maxDepth = 0;
  for (const d of flame.depth) if (d > maxDepth) maxDepth = d;
  const longest = frames.names.reduce((m, n) => Math.max(m, n.length), 0);
  return {
    samples: loaded.profile.samples.length,
    nodes: flame.cum.length,
    maxDepth,
    longestName: longest,
    names: frames.names.length,
    foreignTags: tags.filter((t) => !ALLOWED_TAGS.has(t)),
    rawScriptInSvg: /<script|<img|<svg onload/i.test(svg.replace(/^<svg[^>]*>/, '')),
    namesVerbatim: rows.rows.some((r) => /<script>|\u202E|<img /.test(r.name)),
    textLines: text.split('\n').length,
    filesResolved: res.resolved,
    pathsAsked: res.asked.length,
    pathsOutside: res.outside,
    sourceFiles: files.size,
    warnings: view.payload.warnings,
  };
}

async function dump(): Promise<Record<string, unknown>> {
  const d = parseGoroutineDump(bytes, path.basename(file));
  let maxFrames = 0;
  let longest = 0;
  const files = new Set<string>();
  for (const g of d.groups) {
    maxFrames = Math.max(maxFrames, g.frames.length);
    for (const f of g.frames) {
      longest = Math.max(longest, f.function.length);
      if (f.file) files.add(f.file);
    }
  }
  const res = await resolveAll(files);
  return { goroutines: d.goroutines, groups: d.groups.length, maxFrames, longestName: longest, pathsAsked: res.asked.length, pathsOutside: res.outside, sourceFiles: files.size };
}

const result = kind === 'dump' ? await dump() : await profile();
process.stdout.write(JSON.stringify({ ...result, ms: Math.round(performance.now() - t0), peakRssMB: peakRssMB() }) + '\n');
