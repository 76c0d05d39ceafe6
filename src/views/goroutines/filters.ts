// Filters of the Goroutines view, pure so unit tests run them: by state, by minimum wait, by a
// function/package/file regular expression.
import type { GoroutineGroup } from '../../profile/goroutines.ts';

export interface GroupFilter {
  /** Shown states; empty: all. */
  states: string[];
  /** Minimum wait in minutes (a group passes when its longest wait reaches it); 0: no filter. */
  minWaitMinutes: number;
  /** Regular expression matched against every frame's function and file (and the creator's). */
  pattern?: string;
}

export const NO_FILTER: GroupFilter = { states: [], minWaitMinutes: 0 };

export function isFiltered(f: GroupFilter): boolean {
  return f.states.length > 0 || f.minWaitMinutes > 0 || !!f.pattern;
}

/** A compiled pattern: case-insensitive; throws SyntaxError on a bad expression. */
export function compilePattern(pattern: string): RegExp {
  return new RegExp(pattern, 'i');
}

export function groupMatches(g: GoroutineGroup, f: GroupFilter, re?: RegExp): boolean {
  if (f.states.length && !f.states.includes(g.state)) return false;
  if (f.minWaitMinutes > 0 && g.waitMinutes[1] < f.minWaitMinutes) return false;
  if (re) {
    const frames = g.createdBy ? [...g.frames, g.createdBy] : g.frames;
    if (!frames.some((fr) => re.test(fr.function) || re.test(fr.file))) return false;
  }
  return true;
}

/** Indexes of the groups that pass, in the dump's order (largest first). */
export function filterGroups(groups: readonly GoroutineGroup[], f: GroupFilter): number[] {
  const re = f.pattern ? compilePattern(f.pattern) : undefined;
  const out: number[] = [];
  groups.forEach((g, i) => {
    if (groupMatches(g, f, re)) out.push(i);
  });
  return out;
}

export function describeFilter(f: GroupFilter): string {
  const parts: string[] = [];
  if (f.states.length) parts.push(f.states.join(' | '));
  if (f.minWaitMinutes > 0) parts.push(`waiting ≥ ${f.minWaitMinutes} min`);
  if (f.pattern) parts.push(`/${f.pattern}/`);
  return parts.join(', ');
}

/** "12", "3-10 min" … for a group's wait range; empty when the dump shows no waits. */
export function waitLabel(w: readonly [number, number]): string {
  if (w[1] === 0) return '';
  return w[0] === w[1] ? `${w[0]} min` : `${w[0]}-${w[1]} min`;
}
