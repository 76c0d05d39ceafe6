// The pprof endpoints of net/http/pprof, with their parameters and what a good answer looks like.

export type CaptureKindId =
  | 'cpu'
  | 'heap'
  | 'allocs'
  | 'goroutine'
  | 'goroutine-debug1'
  | 'goroutine-debug2'
  | 'block'
  | 'mutex'
  | 'threadcreate'
  | 'trace';

/** `profile`: gzipped protobuf; `text`: a goroutine dump; `trace`: a runtime/trace stream. */
export type CaptureFormat = 'profile' | 'text' | 'trace';

export interface CaptureKind {
  id: CaptureKindId;
  label: string;
  path: string;
  /** Fixed query parameters (e.g. debug=2). */
  params: Record<string, string>;
  /** Takes `seconds` and runs that long (CPU, trace). */
  timed: boolean;
  format: CaptureFormat;
  extension: '.pb.gz' | '.txt' | '.trace';
}

export const CAPTURE_KINDS: readonly CaptureKind[] = [
  { id: 'cpu', label: 'CPU profile', path: '/debug/pprof/profile', params: {}, timed: true, format: 'profile', extension: '.pb.gz' },
  { id: 'heap', label: 'Heap', path: '/debug/pprof/heap', params: {}, timed: false, format: 'profile', extension: '.pb.gz' },
  { id: 'allocs', label: 'Allocations', path: '/debug/pprof/allocs', params: {}, timed: false, format: 'profile', extension: '.pb.gz' },
  { id: 'goroutine', label: 'Goroutine profile', path: '/debug/pprof/goroutine', params: {}, timed: false, format: 'profile', extension: '.pb.gz' },
  { id: 'goroutine-debug1', label: 'Goroutine dump (debug=1)', path: '/debug/pprof/goroutine', params: { debug: '1' }, timed: false, format: 'text', extension: '.txt' },
  { id: 'goroutine-debug2', label: 'Goroutine dump (debug=2)', path: '/debug/pprof/goroutine', params: { debug: '2' }, timed: false, format: 'text', extension: '.txt' },
  { id: 'block', label: 'Block profile', path: '/debug/pprof/block', params: {}, timed: false, format: 'profile', extension: '.pb.gz' },
  { id: 'mutex', label: 'Mutex profile', path: '/debug/pprof/mutex', params: {}, timed: false, format: 'profile', extension: '.pb.gz' },
  { id: 'threadcreate', label: 'Thread creation', path: '/debug/pprof/threadcreate', params: {}, timed: false, format: 'profile', extension: '.pb.gz' },
  { id: 'trace', label: 'Execution trace', path: '/debug/pprof/trace', params: {}, timed: true, format: 'trace', extension: '.trace' },
];

export function captureKind(id: string): CaptureKind {
  const kind = CAPTURE_KINDS.find((k) => k.id === id);
  if (!kind) throw new Error(`Unknown capture kind "${id}". Known: ${CAPTURE_KINDS.map((k) => k.id).join(', ')}.`);
  return kind;
}

/** Path and query for a capture; `seconds` applies to timed kinds (default 30). */
export function capturePath(kind: CaptureKind, seconds?: number): string {
  const query = new URLSearchParams(kind.params);
  if (kind.timed) query.set('seconds', String(Math.max(1, Math.round(seconds ?? 30))));
  const q = query.toString();
  return q ? `${kind.path}?${q}` : kind.path;
}
