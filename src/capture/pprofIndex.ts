// The /debug/pprof/ index page of net/http/pprof: which profiles the endpoint offers, with their counts.
import { CAPTURE_KINDS, type CaptureKindId } from './kinds.ts';
import { requestFromPod, type PodAnswer, type PodRequestOptions } from './podRequest.ts';
import { CaptureError, pprofSwitch } from './validate.ts';

export interface PprofIndexEntry {
  /** Profile name as the page lists it: allocs, block, cmdline, goroutine, heap, mutex, profile, threadcreate, trace… */
  name: string;
  /** The count column (goroutines, heap samples…); undefined for profile/trace/cmdline/symbol. */
  count?: number;
  /** The capture kinds this entry maps to. */
  kinds: CaptureKindId[];
}

const KINDS_BY_NAME: Record<string, CaptureKindId[]> = {
  profile: ['cpu'],
  goroutine: ['goroutine', 'goroutine-debug1', 'goroutine-debug2'],
};

/** Parses the index HTML; throws when it is not a pprof index. */
export function parsePprofIndex(html: string): PprofIndexEntry[] {
  const entries = new Map<string, PprofIndexEntry>();
  // Rows with counts: <tr><td>12</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr>
  for (const m of html.matchAll(/<td>\s*(\d+)\s*<\/td>\s*<td>\s*<a href=['"]?([A-Za-z0-9_.-]+)[^>]*>([^<]+)<\/a>/g)) {
    const name = m[3].trim();
    if (name) entries.set(name, { name, count: Number(m[1]), kinds: kindsOf(name) });
  }
  // Links without counts (profile, trace, cmdline, symbol, full goroutine dump).
  for (const m of html.matchAll(/<a href=['"]?([A-Za-z0-9_.-]+)(\?[^'">]*)?['"]?>([^<]+)<\/a>/g)) {
    const name = m[1];
    if (!entries.has(name) && /^[a-z]+$/.test(name)) entries.set(name, { name, kinds: kindsOf(name) });
  }
  if (entries.size === 0 || !/pprof/i.test(html)) throw new Error('Not a /debug/pprof/ index page.');
  return [...entries.values()];
}

/**
 * Why an entry is empty, for kinds that are off unless the process turns them on: block and mutex
 * profiles count 0 until the process sets runtime.SetBlockProfileRate / SetMutexProfileFraction.
 */
export function offNote(e: PprofIndexEntry): string | undefined {
  if (e.count !== 0) return undefined;
  if (e.name === 'block') return 'the process has not called runtime.SetBlockProfileRate (etcd does not by default)';
  if (e.name === 'mutex') return 'the process has not called runtime.SetMutexProfileFraction (etcd does when started with --enable-pprof), or nothing was contended yet';
  return undefined;
}

function kindsOf(name: string): CaptureKindId[] {
  if (KINDS_BY_NAME[name]) return KINDS_BY_NAME[name];
  return CAPTURE_KINDS.some((k) => k.id === name) ? [name as CaptureKindId] : [];
}

/** Fetches and parses a pod's index (same reach as a capture: forward, own forward, or exec). */
export async function fetchPprofIndex(options: PodRequestOptions): Promise<{ entries: PprofIndexEntry[]; answer: PodAnswer }> {
  const answer = await requestFromPod(options, '/debug/pprof/');
  if (answer.status === 404) {
    throw new CaptureError('pprof-disabled', `pprof is not enabled on this endpoint (404). To turn it on, ${pprofSwitch(answer.endpoint.flavor)}.`);
  }
  if (answer.status !== 200) throw new CaptureError('http-error', `The endpoint answered ${answer.status} for /debug/pprof/.`);
  try {
    return { entries: parsePprofIndex(answer.body.toString('utf8')), answer };
  } catch (err) {
    throw new CaptureError('not-a-profile', `${(err as Error).message} Is port ${answer.endpoint.port} the pprof endpoint?`);
  }
}
