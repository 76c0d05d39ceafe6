// Reads test-results/hardening/figures.jsonl (written by the hardening test files) and prints one line per
// area; exits 1 when a figure falls short of issue 7's floors or a test file did not report.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FIGURES_DIR, FIGURES_FILE } from './helpers/figures.ts';

interface Row {
  figure: string;
  value: number;
  source: string;
  detail: string;
}

const rows: Row[] = existsSync(FIGURES_FILE)
  ? readFileSync(FIGURES_FILE, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row)
  : [];
const sum = (f: string): number => rows.filter((r) => r.figure === f).reduce((n, r) => n + r.value, 0);
const problems: string[] = [];
const need = (ok: boolean, what: string): void => {
  if (!ok) problems.push(what);
};

const fuzzed = sum('inputsFuzzed');
const hostile = sum('hostileInputs');
const injected = sum('faultsInjected');
const survived = sum('faultsSurvived');
const held = sum('connectionsHeld');
const forwards = sum('forwardsAtOnce');
const members = sum('membersCaptured');
const checks = sum('leakChecks');
const leaks = sum('leaksFound');
const scans = sum('keyScans');
const keyBytes = sum('keyBytesFound');

const printed: string[] = [];
const say = (line: string): void => {
  printed.push(line);
  console.log(line);
};
say(`hardening: inputs fuzzed ${fuzzed}, hostile inputs ${hostile}`);
say(`hardening: faults injected ${injected}, survived ${survived}`);
say(`hardening: connections held ${held} (${forwards} forwards at once), members captured at once ${members}`);
say(`hardening: leaks found ${leaks} (${checks} test files checked)`);
say(`hardening: key bytes found ${keyBytes} (${scans} files and streams scanned)`);
for (const r of rows.filter((x) => (x.figure === 'leaksFound' || x.figure === 'keyBytesFound') && x.value > 0)) say(`  ${r.source}: ${r.detail}`);

need(fuzzed >= 100_000, `inputs fuzzed ${fuzzed} < 100000`);
need(hostile >= 6, `hostile inputs ${hostile} < 6`);
need(injected >= 12 && survived === injected, `faults survived ${survived} of ${injected} (at least 12 expected)`);
need(held >= 500 && forwards >= 10, `connections held ${held} through ${forwards} forwards (500 through 10 expected)`);
need(members >= 6, `members captured ${members} (3 members x CPU and heap expected)`);
need(checks >= 5 && leaks === 0, `leaks found ${leaks} in ${checks} checks (5 files, 0 leaks expected)`);
need(scans > 0 && keyBytes === 0, `key bytes found ${keyBytes} in ${scans} scans`);
const finish = (): void => {
  mkdirSync(FIGURES_DIR, { recursive: true });
  writeFileSync(path.join(FIGURES_DIR, 'summary.txt'), printed.join('\n') + '\n');
};
if (problems.length) {
  say(`hardening: FAILED: ${problems.join('; ')}`);
  finish();
  process.exit(1);
}
say('hardening: all figures met');
finish();
