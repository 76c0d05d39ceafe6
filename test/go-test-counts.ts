// Reads `go test -json` from stdin, prints what `go test -v` would (each test's output and result), and writes
// the counts for test/run-all.sh's summary to the file named by the first argument, in the JSON shape of
// test/counts-reporter.ts. Subtests count as tests, as node:test counts them; a package that fails without a
// failing test (it does not build, or it panicked or timed out outside a test) counts as one failure.
// Exits non-zero when anything failed or no test ran.
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

interface GoTestEvent {
  Action: string;
  Package?: string;
  Test?: string;
  Output?: string;
  Elapsed?: number;
}

const out = process.argv[2];
const counts = { pass: 0, fail: 0, skip: 0, todo: 0, skippedSuites: [] as string[], failedHooks: [] as string[], skipped: [] as string[] };
const failedTestsIn = new Map<string, number>();

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  let e: GoTestEvent;
  try {
    e = JSON.parse(line) as GoTestEvent;
  } catch {
    process.stdout.write(`${line}\n`); // the go command's own messages (build errors) are not JSON
    continue;
  }
  const pkg = e.Package ?? '';
  if (e.Action === 'output' && e.Output) process.stdout.write(e.Output);
  if (e.Action === 'build-output' && e.Output) process.stdout.write(e.Output);
  if (!['pass', 'fail', 'skip'].includes(e.Action)) continue;
  if (e.Test) {
    if (e.Action === 'pass') counts.pass++;
    else if (e.Action === 'skip') {
      counts.skip++;
      counts.skipped.push(`${pkg}.${e.Test}`);
    } else {
      counts.fail++;
      failedTestsIn.set(pkg, (failedTestsIn.get(pkg) ?? 0) + 1);
    }
  } else if (e.Action === 'fail' && !failedTestsIn.get(pkg)) {
    counts.fail++;
    counts.failedHooks.push(`package ${pkg || '(unknown)'}`);
  }
}

console.log(`go tests: ${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped${counts.skipped.length ? ` (${counts.skipped.join(', ')})` : ''}`);
if (out) writeFileSync(out, `${JSON.stringify(counts)}\n`);
process.exitCode = counts.fail > 0 || counts.pass + counts.fail + counts.skip === 0 ? 1 : 0;
