// The header's items (what was captured) as key/value text. No DOM.
import type { ProfileHeader } from '../../src/protocol.ts';
import { formatDuration, formatTime, formatValue } from '../format.ts';

export function headerItems(hd: ProfileHeader, sampleIndex: number): [string, string][] {
  const st = hd.sampleTypes;
  const items: [string, string][] = [['kind', hd.kind]];
  const sel = st[sampleIndex] ?? st[0];
  if (sel) items.push(['sample', `${sel.type} (${sel.unit})`]);
  items.push(['total', formatValue(hd.total, hd.unit)]);
  if (hd.durationNanos) items.push(['duration', formatDuration(hd.durationNanos)]);
  if (hd.timeNanos) items.push(['time', formatTime(hd.timeNanos)]);
  const c = hd.capture;
  if (c?.context) items.push(['context', c.context]);
  if (c?.namespace) items.push(['namespace', c.namespace]);
  if (c?.pod) items.push(['pod', c.pod]);
  if (c?.container) items.push(['container', c.container]);
  if (c?.node) items.push(['node', c.node]);
  if (hd.baseFileName) items.push(['compared with', hd.baseFileName]);
  return items;
}
