// The decoded profile: plain data indexed by number (no object cycles), so it can be copied,
// serialised or handed to a worker unchanged. Field meanings follow profile.proto.

/** A sample type or the period type, e.g. `{ type: 'alloc_space', unit: 'bytes' }`. */
export interface ValueType {
  type: string;
  unit: string;
}

/** A pprof label (tag) on a sample: either a string or a number with an optional unit. */
export interface SampleLabel {
  key: string;
  str: string;
  num: number;
  numUnit: string;
}

export interface Sample {
  /**
   * Indices into `Profile.locations`, leaf (innermost call) first, as in profile.proto. Decoded
   * samples share one buffer: treat as read-only and copy (`slice`) before changing.
   */
  locations: Int32Array;
  /** One value per `Profile.sampleTypes` entry (read-only, shared like `locations`). */
  values: Float64Array;
  labels: readonly SampleLabel[];
}

export interface Line {
  /** Index into `Profile.functions`, -1 when the line names no function. */
  function: number;
  line: number;
  column: number;
}

export interface Location {
  id: number;
  /** Index into `Profile.mappings`, -1 when none. */
  mapping: number;
  address: number;
  /** Inlined frames expanded: innermost (the inlined callee) first, the physical caller last. */
  lines: readonly Line[];
  isFolded: boolean;
}

export interface ProfileFunction {
  id: number;
  name: string;
  systemName: string;
  filename: string;
  startLine: number;
}

export interface Mapping {
  id: number;
  start: number;
  limit: number;
  offset: number;
  file: string;
  buildId: string;
  hasFunctions: boolean;
  hasFilenames: boolean;
  hasLineNumbers: boolean;
  hasInlineFrames: boolean;
}

export interface Profile {
  sampleTypes: ValueType[];
  /** Name of the default sample type ('' when the profile does not set one). */
  defaultSampleType: string;
  samples: Sample[];
  locations: Location[];
  functions: ProfileFunction[];
  mappings: Mapping[];
  periodType: ValueType | null;
  period: number;
  timeNanos: number;
  durationNanos: number;
  /** Regular expressions (RE2 syntax) of frames pprof drops from stacks, '' when unset. */
  dropFrames: string;
  keepFrames: string;
  comments: string[];
  docUrl: string;
}

/** How frames are merged into nodes: one per function, per source line, or per file. */
export type Granularity = 'functions' | 'lines' | 'files';

/** Regular expressions as pprof's -focus, -ignore and -hide take them; '' or undefined when unset. */
export interface FilterOptions {
  focus?: string;
  ignore?: string;
  hide?: string;
  /**
   * The same expressions already matched off-thread (regexGuard.prepareFilterMatchers); when set, filtering uses
   * them instead of compiling the strings, so no user regex runs on the caller's thread.
   */
  matchers?: FilterMatchers;
}

/** Answers whether a name matches, like RegExp.test. */
export interface NameTest {
  test(name: string): boolean;
}

export interface FilterMatchers {
  focus?: NameTest;
  ignore?: NameTest;
  hide?: NameTest;
}

/** What every view over a profile is computed for. */
export interface ViewSelection extends FilterOptions {
  /** Index into `Profile.sampleTypes` (see `resolveSampleIndex`); default: the profile's default. */
  sampleIndex?: number;
  granularity?: Granularity;
}

/**
 * The distinct nodes of a profile at one granularity. Flame and top data point into it by index.
 * `names[i]` is the short label (function, or file for `files`), `labels[i]` the full name as
 * `go tool pprof` prints it (e.g. `pkg.F /src/f.go:12` for `lines`).
 */
export interface FrameTable {
  names: string[];
  labels: string[];
  files: string[];
  /** 0 when the granularity has no line. */
  lines: Uint32Array;
  /** Index into `packages`, for colouring. */
  pkg: Uint32Array;
  packages: string[];
}

/**
 * The merged call tree in depth-first preorder, for flame graphs. Node 0 is the synthetic root
 * with frame -1; `end[i]` is the index just past node i's subtree, so node i's subtree is the
 * range [i, end[i]) and its children are i+1, end[i+1], end[end[i+1]] … up to end[i].
 * Children are ordered by descending `cum`, then by name. Arrays are always present.
 */
export interface FlameData {
  depth: Uint16Array;
  /** Index into the `FrameTable`, -1 for the root. */
  frame: Int32Array;
  cum: Float64Array;
  self: Float64Array;
  end: Uint32Array;
  /** Only when built against a base: cum(profile) − cum(base) of the same stack. */
  delta?: Float64Array;
}

/** The top table: one row per node with non-zero flat or cum, sorted by |flat| descending. */
export interface TopData {
  frame: Int32Array;
  flat: Float64Array;
  cum: Float64Array;
  /** Only when built against a base: flat(profile) − flat(base). */
  delta?: Float64Array;
}
