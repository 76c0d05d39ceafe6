// Resource accounting around one test file: open file descriptors (sockets among them), listening sockets,
// child processes and entries of a private temp dir, counted before and after. Import this module FIRST in
// a test file: it points TMPDIR (os.tmpdir()) at a fresh directory, so only this process's temp files count.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { recordFigure } from './figures.ts';

const baseTmp = process.env.TMPDIR && process.env.TMPDIR !== '' ? process.env.TMPDIR : '/tmp';
export const PRIVATE_TMP = mkdtempSync(path.join(baseTmp, 'ep-hardening-tmp-'));
process.env.TMPDIR = PRIVATE_TMP;

export interface ResourceSnapshot {
  fds: string[];
  sockets: Set<string>;
  listeners: string[];
  children: string[];
  tempEntries: string[];
}

function socketInodes(): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) out.add(m[1]);
    } catch {
      // closed while listing
    }
  }
  return out;
}

function listeningInodes(ours: Set<string>): string[] {
  const found: string[] = [];
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // st 0A = LISTEN; field 9 is the inode
      if (f.length > 9 && f[3] === '0A' && ours.has(f[9])) found.push(`${table.endsWith('6') ? 'tcp6' : 'tcp'} ${f[1]} inode ${f[9]}`);
    }
  }
  return found;
}

function childProcesses(): string[] {
  const me = String(process.pid);
  const out: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[1] === me) out.push(`${pid} ${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`);
    } catch {
      // exited while listing
    }
  }
  return out;
}

function fdList(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.push(`${fd} ${readlinkSync(`/proc/self/fd/${fd}`)}`);
    } catch {
      // the fd of readdir itself
    }
  }
  return out;
}

export function snapshot(): ResourceSnapshot {
  const sockets = socketInodes();
  return { fds: fdList(), sockets, listeners: listeningInodes(sockets), children: childProcesses(), tempEntries: readdirSync(PRIVATE_TMP) };
}

export interface LeakReport {
  leaks: number;
  lines: string[];
  before: ResourceSnapshot;
  after: ResourceSnapshot;
}

export function compare(before: ResourceSnapshot, now: ResourceSnapshot): LeakReport {
  const lines: string[] = [];
  const extraSockets = [...now.sockets].filter((s) => !before.sockets.has(s));
  const extraFds = Math.max(0, now.fds.length - before.fds.length);
  const newListeners = now.listeners.filter((l) => !before.listeners.includes(l));
  const newChildren = now.children.filter((c) => !before.children.includes(c));
  const newTemp = now.tempEntries.filter((e) => !before.tempEntries.includes(e));
  if (extraSockets.length) lines.push(`sockets: ${extraSockets.length} more (${extraSockets.slice(0, 5).join(', ')})`);
  const extraNonSocket = Math.max(0, extraFds - extraSockets.length);
  if (extraNonSocket) {
    const old = new Set(before.fds.map((f) => f.split(' ').slice(1).join(' ')));
    lines.push(`file descriptors: ${extraNonSocket} more (${now.fds.filter((f) => !old.has(f.split(' ').slice(1).join(' '))).slice(0, 5).join('; ')})`);
  }
  if (newListeners.length) lines.push(`listeners: ${newListeners.join('; ')}`);
  if (newChildren.length) lines.push(`child processes: ${newChildren.join('; ')}`);
  if (newTemp.length) lines.push(`temp entries: ${newTemp.join(', ')}`);
  const leaks = extraSockets.length + extraNonSocket + newListeners.length + newChildren.length + newTemp.length;
  return { leaks, lines, before, after: now };
}

/**
 * Waits up to `settleMs` for sockets to close (TLS and WebSocket teardown are asynchronous), then compares.
 */
export async function checkAgainst(before: ResourceSnapshot, settleMs = 8000): Promise<LeakReport> {
  const deadline = Date.now() + settleMs;
  let report = compare(before, snapshot());
  while (report.leaks > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    report = compare(before, snapshot());
  }
  return report;
}

/**
 * Registers before/after hooks on the current test file: snapshot once `warmUp` has run (the first use of the
 * Kubernetes client opens nothing that lasts, but module loading does), and after all tests check and record.
 */
export function guardLeaks(source: string, warmUp?: () => Promise<void>): void {
  let base: ResourceSnapshot;
  before(async () => {
    if (warmUp) await warmUp();
    base = snapshot();
  });
  after(async () => {
    const report = await checkAgainst(base);
    recordFigure('leakChecks', 1, source);
    recordFigure('leaksFound', report.leaks, source, report.lines.join(' | '));
    const remaining = readdirSync(PRIVATE_TMP);
    if (report.leaks === 0 && remaining.length === 0) rmSync(PRIVATE_TMP, { recursive: true, force: true });
    console.log(`${source}: leak check: ${report.leaks} leaked (fds ${base.fds.length}→${report.after.fds.length}, sockets ${base.sockets.size}→${report.after.sockets.size}, listeners ${base.listeners.length}→${report.after.listeners.length}, children ${base.children.length}→${report.after.children.length}, temp ${base.tempEntries.length}→${report.after.tempEntries.length})`);
    assert.equal(report.leaks, 0, `${source} leaked: ${report.lines.join(' | ')}`);
  });
}
