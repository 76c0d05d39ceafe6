// focus / ignore / hide as pprof's Profile.FilterSamplesByName applies them:
// - focus keeps the samples with at least one location matching (function name, file name or
//   mapping file); ignore drops the samples with any matching location;
// - hide removes matching lines from locations, and locations left empty from stacks.
import { checkPattern } from './regexGuard.ts';
import type { FilterOptions, Location, NameTest, Profile, Sample } from './types.ts';

/** The expression compiled (length and syntax checked), or null when unset. */
export function compileFilter(expr: string | undefined, what: string): RegExp | null {
  if (expr === undefined || expr === '') return null;
  return checkPattern(expr, what);
}

function filterTest(options: FilterOptions, key: 'focus' | 'ignore' | 'hide'): NameTest | null {
  if (!options[key]) return null;
  return options.matchers?.[key] ?? compileFilter(options[key], key);
}

export function hasFilters(options: FilterOptions): boolean {
  return !!(options.focus || options.ignore || options.hide);
}

/** Returns a profile with the filters applied (the same object when there are none). */
export function filterProfile(profile: Profile, options: FilterOptions): Profile {
  const focus = filterTest(options, 'focus');
  const ignore = filterTest(options, 'ignore');
  const hide = filterTest(options, 'hide');
  if (!focus && !ignore && !hide) return profile;

  const { functions, mappings } = profile;
  const lineMatches = (re: NameTest, f: number): boolean =>
    f >= 0 && (re.test(functions[f].name) || re.test(functions[f].filename));
  const matches = (loc: Location, re: NameTest): boolean =>
    loc.lines.some((l) => lineMatches(re, l.function)) || (loc.mapping >= 0 && re.test(mappings[loc.mapping].file));

  // 1 focused, 2 ignored, 0 neither
  const mark = new Uint8Array(profile.locations.length);
  const hidden = new Uint8Array(profile.locations.length);
  let anyHidden = false;
  const locations = profile.locations.map((loc, i) => {
    if (ignore && matches(loc, ignore)) mark[i] = 2;
    else if (!focus || matches(loc, focus)) mark[i] = 1;
    if (hide && matches(loc, hide)) {
      const mappingHidden = loc.mapping >= 0 && hide.test(mappings[loc.mapping].file);
      const lines = mappingHidden ? [] : loc.lines.filter((l) => !lineMatches(hide, l.function));
      if (lines.length === 0) {
        hidden[i] = 1;
        anyHidden = true;
      }
      return { ...loc, lines };
    }
    return loc;
  });

  const samples: Sample[] = [];
  for (const s of profile.samples) {
    let focused = false;
    let ignored = false;
    for (const l of s.locations) {
      if (mark[l] === 2) {
        ignored = true;
        break;
      }
      if (mark[l] === 1) focused = true;
    }
    if (ignored || !focused) continue;
    if (anyHidden) {
      const locs = s.locations.filter((l) => !hidden[l]);
      if (locs.length === 0) continue;
      samples.push({ ...s, locations: locs });
    } else {
      samples.push(s);
    }
  }
  return { ...profile, locations, samples };
}
