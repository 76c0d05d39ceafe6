// How bundle entries are named as editor tabs (`heap-<pod>.pb.gz`) and back. No `vscode`: unit-tested.
const EXT = /(\.pb\.gz|\.tar\.gz|\.[A-Za-z0-9]+)$/;

/** `heap.pb.gz` of pod `etcd-master-0` → `heap-etcd-master-0.pb.gz`. */
export function shownName(entry: string, pod: string): string {
  const ext = EXT.exec(entry)?.[0] ?? '';
  return `${entry.slice(0, entry.length - ext.length)}-${pod}${ext}`;
}

/** The bundle entry a URI path names (inverse of `bundleUri`). */
export function entryOf(uriPath: string): string | undefined {
  const parts = uriPath.replace(/^\/+/, '').split('/');
  if (parts.length === 1 && parts[0]) return parts[0];
  if (parts.length !== 3) return undefined;
  const [ns, pod, name] = parts;
  const ext = EXT.exec(name)?.[0] ?? '';
  const stem = name.slice(0, name.length - ext.length);
  if (!stem.endsWith(`-${pod}`)) return undefined;
  return `${ns}/${pod}/${stem.slice(0, stem.length - pod.length - 1)}${ext}`;
}
