// The packaged extension holds every script the code loads: .vscodeignore excludes everything (`**`) and lists
// what goes in, so a new webview bundle that is not listed is left out of the .vsix and its view never renders
// (the members view stayed at "Reading the members' profiles…" that way).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Files `dist/<name>` that the extension's code loads (webview scripts, workers). */
function loadedFromDist(): string[] {
  const names = new Set<string>();
  for (const file of sources(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/joinPath\(\s*dist\s*,\s*'([\w.-]+\.c?js)'\s*\)/g)) names.add(m[1]);
    for (const m of text.matchAll(/'dist\/([\w.-]+\.c?js)'/g)) names.add(m[1]);
  }
  return [...names].sort();
}

test('.vscodeignore lets every dist script the code loads into the package', () => {
  const allowed = readFileSync(join(root, '.vscodeignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('!dist/'))
    .map((l) => l.slice('!dist/'.length));
  const loaded = loadedFromDist();
  assert.ok(loaded.includes('webview.js') && loaded.includes('members.js') && loaded.includes('timeline.js') && loaded.includes('goroutineWorker.cjs'), `found the webview scripts: ${loaded.join(', ')}`);
  const missing = loaded.filter((name) => !allowed.includes(name));
  assert.deepEqual(missing, [], `.vscodeignore must list !dist/${missing.join(', !dist/')}`);
});
