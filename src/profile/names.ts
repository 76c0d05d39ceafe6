// Function names as `go tool pprof` shows them. On load pprof "demangles" every function whose
// name equals its system name; for names that are not mangled C++ it then applies a heuristic:
// a name that looks like demangled C++ (contains <, >, [, ] or ::, but is neither a Java
// `class.<init>` nor a Go method on a generic type `pkg.(*T[…]).M`) loses its (…) and <…> groups.
// For Go that turns `pkg.F[go.shape.func(int)]` into `pkg.F[go.shape.func]`.
import type { Profile, ProfileFunction } from './types.ts';

function looksLikeDemangledCPlusPlus(name: string): boolean {
  if (name.includes('.<')) return false;
  if (name.includes(']).')) return false;
  return /[<>[\]]/.test(name) || name.includes('::');
}

// Removes nested start…end groups, as pprof's removeMatching does (including its behaviour on
// unbalanced names: it stops at a stray `end` and keeps an unclosed group).
function removeMatching(input: string, start: string, end: string): string {
  let name = input;
  let nesting = 0;
  let first = 0;
  for (let current = 0; current < name.length; current++) {
    const c = name[current];
    if (c === start) {
      nesting++;
      if (nesting === 1) first = current;
    } else if (c === end) {
      nesting--;
      if (nesting < 0) return name;
      if (nesting === 0) {
        name = name.slice(0, first) + name.slice(current + 1);
        current = first - 1;
      }
    }
  }
  return name;
}

export function displayName(fn: ProfileFunction): string {
  if (fn.name !== '' && fn.systemName !== fn.name) return fn.name;
  let name = fn.systemName;
  if (looksLikeDemangledCPlusPlus(name)) {
    name = removeMatching(name, '(', ')');
    name = removeMatching(name, '<', '>');
  }
  return name;
}

/** Applies pprof's default name simplification to every function (a new profile when any changes). */
export function simplifyFunctionNames(profile: Profile): Profile {
  let changed = false;
  const functions = profile.functions.map((fn) => {
    const name = displayName(fn);
    if (name === fn.name) return fn;
    changed = true;
    return { ...fn, name };
  });
  return changed ? { ...profile, functions } : profile;
}
