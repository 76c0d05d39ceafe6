// `npm run bench [-- [--strict] NAME…]`: runs every test/bench/*.bench.ts (or those whose name contains one of
// the arguments) one after another, each in its own Node process, and passes their output through.
// Exits non-zero when any bench failed. Benches print their own figures and goals; with --strict a missed goal
// fails its bench (BENCH_STRICT=1, see goals.ts), as CI runs them (test/run-all.sh's bench phase).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const args = process.argv.slice(2);
const strict = args.includes('--strict');
const filters = args.filter((a) => a !== '--strict');
const unknown = filters.filter((a) => a.startsWith('-'));
if (unknown.length > 0) {
  console.error(`unknown option ${unknown.join(', ')} (usage: npm run bench -- [--strict] [NAME…])`);
  process.exit(2);
}
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const unmatched = filters.filter((x) => !benches.some((f) => f.includes(x)));
if (benches.length === 0 || unmatched.length > 0) {
  console.error(`no bench matches ${(unmatched.length ? unmatched : filters).join(', ')}`);
  process.exit(2);
}

const failed: string[] = [];
for (const bench of benches) {
  console.log(`\n=== ${bench}`);
  const started = performance.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [join(dir, bench), ...(strict ? ['--strict'] : [])], {
      stdio: 'inherit',
      env: strict ? { ...process.env, BENCH_STRICT: '1' } : process.env,
    });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
    child.on('error', () => resolve(127));
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`=== ${bench}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${seconds} s`);
  if (code !== 0) failed.push(bench);
}
if (failed.length > 0) {
  console.log(`\nfailed${strict ? ' (--strict: a missed goal fails its bench)' : ''}: ${failed.join(', ')}`);
  process.exitCode = 1;
}
