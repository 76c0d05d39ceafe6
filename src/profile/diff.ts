// The difference of two profiles as `go tool pprof -diff_base` computes it: the base's samples are
// negated, marked with the label pprof::base and merged into the profile, so every flat/cum is
// profile − base and percentages are relative to the base's total.
import { BASE_LABEL } from './aggregate.ts';
import { ProfileError } from './errors.ts';
import type { Location, Profile, Sample } from './types.ts';

function sameKind(a: string, b: string): boolean {
  return a.replace(/s$/, '') === b.replace(/s$/, '');
}

/** Returns `profile` − `base`. Throws ProfileError when their sample types differ. */
export function diffProfiles(profile: Profile, base: Profile, name = 'the profile', baseName = 'the base'): Profile {
  const a = profile.sampleTypes;
  const b = base.sampleTypes;
  if (a.length !== b.length || a.some((t, i) => !sameKind(t.type, b[i].type) || t.unit !== b[i].unit)) {
    const show = (p: Profile) => p.sampleTypes.map((t) => `${t.type}/${t.unit}`).join(', ');
    throw new ProfileError('bad-option', `${baseName} (${show(base)}) cannot be subtracted from ${name} (${show(profile)}): the sample types differ.`);
  }
  const fOff = profile.functions.length;
  const mOff = profile.mappings.length;
  const lOff = profile.locations.length;
  const baseLocations: Location[] = base.locations.map((l) => ({
    ...l,
    mapping: l.mapping >= 0 ? l.mapping + mOff : -1,
    lines: l.lines.map((ln) => ({ ...ln, function: ln.function >= 0 ? ln.function + fOff : -1 })),
  }));
  const marker = { key: BASE_LABEL, str: 'true', num: 0, numUnit: '' };
  const baseSamples: Sample[] = base.samples.map((s) => ({
    locations: s.locations.map((l) => l + lOff),
    values: s.values.map((v) => -v),
    labels: [...s.labels, marker],
  }));
  return {
    ...profile,
    samples: [...profile.samples, ...baseSamples],
    locations: [...profile.locations, ...baseLocations],
    functions: [...profile.functions, ...base.functions],
    mappings: [...profile.mappings, ...base.mappings],
  };
}
