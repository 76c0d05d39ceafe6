// The flame graph as a standalone SVG document and as indented text. Names are escaped.
import { fitLabel } from './label.ts';
import { forEachVisible, type FlameLayout } from './layout.ts';

/** Longest name or tooltip put into an export: a crafted profile's megabyte-long name in each of 10k frames
 * would otherwise make gigabytes of SVG or text. */
export const MAX_EXPORT_TEXT = 2000;

export function clipText(s: string, max = MAX_EXPORT_TEXT): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export interface SvgOptions {
  zoom: number;
  width: number;
  rowHeight: number;
  orientation: 'icicle' | 'flame';
  label: (node: number) => string;
  tooltip: (node: number) => string;
  fill: (node: number) => string;
  text: (node: number) => string;
  fontFamily: string;
  background: string;
}

export function flameToSvg(l: FlameLayout, o: SvgOptions): string {
  const parts: string[] = [];
  let maxDepth = 0;
  const frames: { i: number; left: number; w: number }[] = [];
  forEachVisible(l, { zoom: o.zoom, width: o.width }, 1, (i, left, w) => {
    frames.push({ i, left, w });
    if (l.data.depth[i] > maxDepth) maxDepth = l.data.depth[i];
  });
  const height = (maxDepth + 1) * o.rowHeight;
  const charW = 6.5;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${o.width}" height="${height}" viewBox="0 0 ${o.width} ${height}" font-family="${escapeXml(o.fontFamily)}" font-size="11">`,
    `<rect width="100%" height="100%" fill="${escapeXml(o.background)}"/>`,
  );
  for (const { i, left, w } of frames) {
    const d = l.data.depth[i];
    const y = o.orientation === 'icicle' ? d * o.rowHeight : height - (d + 1) * o.rowHeight;
    const label = o.label(i);
    const shown = fitLabel(clipText(label), Math.floor((w - 6) / charW));
    parts.push(
      `<g><title>${escapeXml(clipText(o.tooltip(i)))}</title>` +
        `<rect x="${left.toFixed(1)}" y="${y}" width="${Math.max(0.5, w - 1).toFixed(1)}" height="${o.rowHeight - 1}" fill="${escapeXml(o.fill(i))}"/>` +
        (shown ? `<text x="${(left + 3).toFixed(1)}" y="${y + o.rowHeight - 5}" fill="${escapeXml(o.text(i))}">${escapeXml(shown)}</text>` : '') +
        `</g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** The zoomed subtree as indented text, frames below `minShare` of the zoom node left out. */
export function flameToText(l: FlameLayout, zoom: number, line: (node: number) => string, minShare = 0.001, maxLines = 5000): string {
  const { cum, end, depth } = l.data;
  const out: string[] = [];
  const limit = cum[zoom] * minShare;
  const base = depth[zoom];
  let i = zoom;
  while (i < end[zoom] && out.length < maxLines) {
    if (cum[i] < limit) {
      i = end[i];
      continue;
    }
    out.push('  '.repeat(depth[i] - base) + clipText(line(i)));
    i++;
  }
  return out.join('\n') + '\n';
}
