// The figures each hardening test file reports (inputs fuzzed, faults injected/survived, connections held,
// leaks found…): appended as JSON lines to test-results/hardening/figures.jsonl, which summary.ts turns into
// one line per area and checks against the floors of issue 7.
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '../../..');
export const FIGURES_DIR = process.env.HARDENING_RESULTS ?? path.join(REPO, 'test-results', 'hardening');
export const FIGURES_FILE = path.join(FIGURES_DIR, 'figures.jsonl');

export type Figure =
  | 'inputsFuzzed'
  | 'hostileInputs'
  | 'faultsInjected'
  | 'faultsSurvived'
  | 'connectionsHeld'
  | 'forwardsAtOnce'
  | 'membersCaptured'
  | 'leaksFound'
  | 'leakChecks'
  | 'keyScans'
  | 'keyBytesFound';

/** Adds `value` to `figure` for this run; `detail` says what was counted (shown by summary.ts). */
export function recordFigure(figure: Figure, value: number, source: string, detail = ''): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  appendFileSync(FIGURES_FILE, JSON.stringify({ figure, value, source, detail, at: new Date().toISOString() }) + '\n');
}
