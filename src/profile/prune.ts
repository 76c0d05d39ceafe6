// drop_frames / keep_frames, applied as pprof's Profile.RemoveUninteresting does when it loads a
// profile: stacks lose the frames from the first dropped function (seen from the root, after the
// first kept frame) down to the leaf.
import type { Location, Profile, Sample } from './types.ts';

const RESERVED = ['(anonymous namespace)', 'operator()'];

// pprof's simplifyFunc: drop a C++-style argument list, keeping reserved names that contain '('.
function simplifyFunc(name: string): string {
  const f = name.startsWith('.') ? name.slice(1) : name;
  for (let i = 0; i < f.length; i++) {
    const reserved = RESERVED.find((r) => f.startsWith(r, i));
    if (reserved) i += reserved.length - 1;
    else if (f[i] === '(') return f.slice(0, i);
  }
  return f;
}

function compile(expr: string): RegExp | null {
  try {
    return new RegExp(`^(?:${expr})$`);
  } catch {
    return null; // pprof ignores an invalid drop_frames expression too
  }
}

/** Returns the profile with drop_frames/keep_frames applied (unchanged when unset). */
export function removeUninteresting(profile: Profile): Profile {
  if (!profile.dropFrames) return profile;
  const drop = compile(profile.dropFrames);
  if (!drop) return profile;
  const keep = profile.keepFrames ? compile(profile.keepFrames) : null;
  if (profile.keepFrames && !keep) return profile;

  const cache = new Map<string, boolean>();
  const pruneFrom = (fn: string): boolean => {
    let r = cache.get(fn);
    if (r === undefined) {
      const simple = simplifyFunc(fn);
      r = drop.test(simple) && !(keep && keep.test(simple));
      cache.set(fn, r);
    }
    return r;
  };

  const prune = new Uint8Array(profile.locations.length);
  const pruneBeneath = new Uint8Array(profile.locations.length);
  const locations: Location[] = profile.locations.map((loc, li) => {
    let i = loc.lines.length - 1;
    for (; i >= 0; i--) {
      const f = loc.lines[i].function;
      const fname = f >= 0 ? profile.functions[f].name : '';
      if (fname !== '' && pruneFrom(fname)) break;
    }
    if (i < 0) return loc;
    pruneBeneath[li] = 1;
    if (i === loc.lines.length - 1) {
      prune[li] = 1;
      return loc;
    }
    return { ...loc, lines: loc.lines.slice(i + 1) };
  });

  const samples: Sample[] = profile.samples.map((s) => {
    let foundUser = false;
    for (let i = s.locations.length - 1; i >= 0; i--) {
      const l = s.locations[i];
      if (!prune[l] && !pruneBeneath[l]) {
        foundUser = true;
        continue;
      }
      if (!foundUser) continue;
      if (prune[l]) return { ...s, locations: s.locations.slice(i + 1) };
      return { ...s, locations: s.locations.slice(i) };
    }
    return s;
  });
  return { ...profile, locations, samples };
}
