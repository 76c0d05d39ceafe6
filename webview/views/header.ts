// The header: what was captured, as text.
import type { ProfileHeader } from '../../src/protocol.ts';
import { h, type Child } from '../dom.ts';
import { headerItems } from './headerItems.ts';

export function renderHeader(hd: ProfileHeader, sampleIndex: number): HTMLElement {
  const items = headerItems(hd, sampleIndex);
  const parts: Child[] = items.map(([k, v]) => h('span', { class: 'hd-item' }, h('span', { class: 'hd-key' }, k), ' ', h('span', { class: 'hd-val' }, v)));
  return h('header', { class: 'profile-header' }, h('h1', { class: 'hd-file' }, hd.fileName), h('div', { class: 'hd-items' }, ...parts));
}
