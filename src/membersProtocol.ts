// Messages between the members view's host (src/views/members) and its webview (webview/members.ts): the
// members side by side (a profiling bundle, or one kind captured from every member), and the user's actions.
// Type-only for the webview.

export interface MemberFile {
  /** Opaque to the webview: the host resolves it. */
  id: string;
  /** `heap.pb.gz` */
  label: string;
  /** cpu, heap, goroutine-debug2, metrics… */
  item: string;
  size: number;
}

export interface MemberSection {
  title: string;
  /** `Total 1.2s (cpu)` */
  total?: string;
  rows: { name: string; value: string; percent: string }[];
  error?: string;
}

export interface MemberColumn {
  pod: string;
  namespace: string;
  /** `leader`, `follower`, `unknown` for members; `operator` or `go` otherwise. */
  role: string;
  /** Label / value pairs shown as table rows, the same labels in every column. */
  facts: { label: string; value: string }[];
  sections: MemberSection[];
  files: MemberFile[];
}

export interface MembersPayload {
  type: 'members';
  title: string;
  subtitle: string;
  /** `bundle: N of M items`, failed items named. */
  summaryLine?: string;
  members: MemberColumn[];
  /** Failed or skipped items, one line each. */
  problems: string[];
  /** Items that two or more members have as profiles: what Compare members offers. */
  compareItems: string[];
  /** The bundle has these top-level documents (SUMMARY.md, manifest.json). */
  documents: string[];
}

export type ToMembers = MembersPayload | { type: 'error'; message: string };

export type FromMembers =
  | { type: 'ready' }
  | { type: 'open'; id: string }
  | { type: 'openDocument'; name: string }
  /** Diff `target`'s profile of `item` against `base`'s (pod names). */
  | { type: 'compare'; item: string; target: string; base: string };
