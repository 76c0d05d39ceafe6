// The goal check shared by the benches. `npm run bench -- --strict` (run.ts sets BENCH_STRICT=1) makes a missed
// goal fail the bench (exit 1); without it the bench only reports it, as when measuring by hand.
export const strict = process.env.BENCH_STRICT === '1';

/** Reports whether `what` met its goal; under --strict a miss sets a failing exit code. Returns `met`. */
export function goal(what: string, met: boolean): boolean {
  if (!met) {
    console.log(`GOAL NOT MET: ${what}${strict ? ' (--strict: this bench fails)' : ''}`);
    if (strict) process.exitCode = 1;
  }
  return met;
}
