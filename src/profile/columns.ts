// Decoded samples are kept in columns (typed arrays, no object per sample); `Profile.samples`
// is materialised from them only when something reads it. Aggregation reads the columns directly
// while the profile object is the one decode returned: a profile derived by spreading
// (`{ ...p, samples }`) is a different object and is read through its `samples`.
import type { Profile, Sample, SampleLabel } from './types.ts';

export interface SampleColumns {
  count: number;
  nTypes: number;
  /** Sample i's locations are ids[idStart[i] .. idStart[i+1]), as indices into Profile.locations. */
  idStart: Int32Array;
  ids: Int32Array;
  /** Sample i's values are values[i*nTypes .. (i+1)*nTypes). */
  values: Float64Array;
  /** Shared, frozen label lists. */
  labels: (readonly SampleLabel[])[];
}

const columnsOf = new WeakMap<object, SampleColumns>();

/** The columns behind a decoded profile's samples, or undefined for any other profile. */
export function sampleColumns(profile: Profile): SampleColumns | undefined {
  return columnsOf.get(profile);
}

/** A profile whose `samples` are materialised from `columns` on first read. */
export function withColumns(rest: Omit<Profile, 'samples'>, columns: SampleColumns): Profile {
  const profile = rest as Profile;
  let samples: Sample[] | undefined;
  Object.defineProperty(profile, 'samples', {
    enumerable: true,
    configurable: true,
    get(): Sample[] {
      if (!samples) {
        const { count, nTypes, idStart, ids, values, labels } = columns;
        samples = new Array<Sample>(count);
        for (let i = 0; i < count; i++) {
          samples[i] = {
            locations: ids.subarray(idStart[i], idStart[i + 1]),
            values: values.subarray(i * nTypes, (i + 1) * nTypes),
            labels: labels[i],
          };
        }
      }
      return samples;
    },
    set(value: Sample[]) {
      columnsOf.delete(profile);
      Object.defineProperty(profile, 'samples', { value, writable: true, enumerable: true, configurable: true });
    },
  });
  columnsOf.set(profile, columns);
  return profile;
}

/**
 * One sample's weight and stack, from columns or objects alike: a reusable cursor so the hot
 * loops of aggregation have a single body.
 */
export interface StackCursor {
  count: number;
  /** Loads sample i; returns its value for `sampleIndex`. */
  load(i: number): number;
  /** The loaded sample's locations are locs[lo .. hi), leaf first. */
  locs: Int32Array;
  lo: number;
  hi: number;
  labels(): readonly SampleLabel[];
}

export function stackCursor(profile: Profile, sampleIndex: number): StackCursor {
  const cols = columnsOf.get(profile);
  if (cols) {
    const { idStart, ids, values, nTypes, labels } = cols;
    let current = 0;
    const cursor: StackCursor = {
      count: cols.count,
      locs: ids,
      lo: 0,
      hi: 0,
      load(i) {
        current = i;
        cursor.lo = idStart[i];
        cursor.hi = idStart[i + 1];
        return values[i * nTypes + sampleIndex];
      },
      labels: () => labels[current],
    };
    return cursor;
  }
  const samples = profile.samples;
  let current = 0;
  const cursor: StackCursor = {
    count: samples.length,
    locs: new Int32Array(0),
    lo: 0,
    hi: 0,
    load(i) {
      current = i;
      const s = samples[i];
      cursor.locs = s.locations;
      cursor.lo = 0;
      cursor.hi = s.locations.length;
      return s.values[sampleIndex];
    },
    labels: () => samples[current].labels,
  };
  return cursor;
}
