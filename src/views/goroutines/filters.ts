// Filters of the Goroutines view, pure so unit tests run them: by state, by minimum wait, by a
// function/package/file regular expression.
import type { GoroutineGroup } from '../../profile/goroutines.ts';
import { checkPattern } from '../../profile/regexGuard.ts';
import type { NameTest } from '../../profile/types.ts';

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

export const PATTERN_FLAGS = 'i';

/** A compiled pattern: case-insensitive; throws (ProfileError) on a bad or over-long expression. */
export function compilePattern(pattern: string): RegExp {
  return checkPattern(pattern, 'function filter', PATTERN_FLAGS);
}

/** The names a pattern is matched against: every frame's function and file, creators included. */
export function groupNames(groups: readonly GoroutineGroup[]): string[] {
  const names = new Set<string>();
  for (const g of groups) {
    for (const fr of g.createdBy ? [...g.frames, g.createdBy] : g.frames) {
      names.add(fr.function);
      names.add(fr.file);
    }
  }
  return [...names];
}

export function groupMatches(g: GoroutineGroup, f: GroupFilter, re?: NameTest): boolean {
  if (f.states.length && !f.states.includes(g.state)) return false;
  if (f.minWaitMinutes > 0 && g.waitMinutes[1] < f.minWaitMinutes) return false;
  if (re) {
    const frames = g.createdBy ? [...g.frames, g.createdBy] : g.frames;
    if (!frames.some((fr) => re.test(fr.function) || re.test(fr.file))) return false;
  }
  return true;
}

/**
 * Indexes of the groups that pass, in the dump's order (largest first). `matches` answers for the pattern from a
 * set computed off-thread (the extension); without it the pattern is compiled here (tests, the CLI).
 */
export function filterGroups(groups: readonly GoroutineGroup[], f: GroupFilter, matches?: NameTest): number[] {
  const re = f.pattern ? (matches ?? compilePattern(f.pattern)) : undefined;
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
