// User regular expressions (focus / ignore / hide, the Goroutines view's function filter) never run on the
// calling thread: a pattern such as `(a+)+$` backtracks for hours on a long name. They are length-limited and
// compiled here (compiling is cheap and safe), then matched against the distinct names in a worker thread that is
// terminated after a deadline; the caller gets the set of names that match, or a ProfileError saying why not.
import { Worker } from 'node:worker_threads';
import { ProfileError } from './errors.ts';
import type { FilterMatchers, FilterOptions, NameTest, Profile } from './types.ts';

/** Longest expression accepted, in characters (the webview's search has the same limit, see protocol.ts). */
export const MAX_PATTERN_LENGTH = 500;
/** How long matching may take (from the worker's start) before the pattern is given up as runaway. */
export const REGEX_DEADLINE_MS = 800;

/** Checks length and syntax; throws ProfileError('bad-option') with a message for the user. */
export function checkPattern(expr: string, what: string, flags = ''): RegExp {
  if (expr.length > MAX_PATTERN_LENGTH) {
    throw new ProfileError('bad-option', `the ${what} expression is ${expr.length} characters long; the limit is ${MAX_PATTERN_LENGTH}.`);
  }
  try {
    return new RegExp(expr, flags);
  } catch (err) {
    throw new ProfileError('bad-option', `the ${what} expression "${expr}" is not a valid regular expression (${(err as Error).message}).`);
  }
}

// Plain CommonJS run with `eval`, so no extra bundle is needed: for each pattern, the indexes of the matching names.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', ({ patterns, names }) => {
  const hits = patterns.map(({ source, flags }) => {
    const re = new RegExp(source, flags);
    const out = [];
    for (let i = 0; i < names.length; i++) if (re.test(names[i])) out.push(i);
    return Int32Array.from(out);
  });
  parentPort.postMessage(hits, hits.map((h) => h.buffer));
});
`;

export interface PatternRequest {
  expr: string;
  /** Names the expression in messages: "focus", "function filter"… */
  what: string;
  flags?: string;
}

/**
 * For each pattern, the names it matches. Runs in a fresh worker that is terminated when done or after
 * `deadlineMs`; a runaway pattern rejects with ProfileError('bad-option') while the caller's thread keeps serving.
 */
export async function matchNames(patterns: PatternRequest[], names: readonly string[], deadlineMs = REGEX_DEADLINE_MS): Promise<Set<string>[]> {
  const compiled = patterns.map((p) => checkPattern(p.expr, p.what, p.flags ?? ''));
  if (patterns.length === 0) return [];
  const { worker, online } = takeWorker();
  try {
    const hits = await new Promise<Int32Array[]>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      // The deadline counts matching time only, from when the worker runs (a warm one already does).
      void online.then(() => {
        timer = setTimeout(() => {
          const which = patterns.map((p) => `${p.what} "${p.expr}"`).join(', ');
          reject(
            new ProfileError(
              'bad-option',
              `the ${which} expression took longer than ${deadlineMs / 1000} s on ${names.length} names and was stopped (nested repetition like (a+)+ backtracks without end). Simplify it.`,
            ),
          );
        }, deadlineMs);
      });
      worker.once('message', (h: Int32Array[]) => {
        clearTimeout(timer);
        resolve(h);
      });
      worker.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      worker.postMessage({ patterns: compiled.map((re) => ({ source: re.source, flags: re.flags })), names });
    });
    return hits.map((h) => new Set(Array.from(h, (i) => names[i])));
  } finally {
    void worker.terminate();
  }
}

interface Spare {
  worker: Worker;
  online: Promise<void>;
}
let spare: Spare | undefined;

function spawn(): Spare {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  const online = new Promise<void>((resolve) => worker.once('online', () => resolve()));
  worker.once('error', () => {
    if (spare?.worker === worker) spare = undefined;
  });
  return { worker, online };
}

/** The warm worker if there is one (a fresh one replaces it), else a new one. Each worker serves one request. */
function takeWorker(): Spare {
  const taken = spare ?? spawn();
  taken.worker.ref(); // keeps a headless process alive until the answer (the spare is unref'd)
  spare = spawn();
  return taken;
}

/** Starts a worker ahead of the first filter (when a profile opens), so the deadline is not spent starting one. */
export function warmRegexWorker(): Promise<void> {
  spare ??= spawn();
  return spare.online;
}

/** Stops the warm worker (extension shutdown, tests). */
export function stopRegexWorker(): void {
  void spare?.worker.terminate();
  spare = undefined;
}

/** A NameTest answering from a precomputed set of matching names. */
function setTest(set: Set<string>): NameTest {
  return { test: (s: string) => set.has(s) };
}

/** Every name the filters look at: function names, file names and mapping files of the profiles. */
export function filterNames(profiles: readonly Profile[]): string[] {
  const names = new Set<string>();
  for (const p of profiles) {
    for (const f of p.functions) {
      names.add(f.name);
      names.add(f.filename);
    }
    for (const m of p.mappings) names.add(m.file);
  }
  return [...names];
}

/**
 * The focus / ignore / hide expressions of `options`, matched off-thread against the names of `profiles` (the
 * profile and a compare base). The result goes into `FilterOptions.matchers`, so filtering runs no user regex.
 */
export async function prepareFilterMatchers(profiles: readonly Profile[], options: FilterOptions, deadlineMs = REGEX_DEADLINE_MS): Promise<FilterMatchers> {
  const keys = (['focus', 'ignore', 'hide'] as const).filter((k) => options[k]);
  if (keys.length === 0) return {};
  const sets = await matchNames(
    keys.map((k) => ({ expr: options[k]!, what: k })),
    filterNames(profiles),
    deadlineMs,
  );
  const matchers: FilterMatchers = {};
  keys.forEach((k, i) => (matchers[k] = setTest(sets[i])));
  return matchers;
}
