// Shortening Go function names and file locations to a width, with the ellipsis in the middle so the
// parts a reader looks for stay: a function keeps its package and method, a location its file and line.
// `fits` says whether a candidate is short enough (the caller measures text). No DOM.

const ELLIPSIS = '…';

/** Cuts the middle of `s` so it fits, keeping its start and end in proportion (at least one character each). */
export function middleEllipsis(s: string, fits: (t: string) => boolean): string {
  if (fits(s)) return s;
  // Largest kept length that fits, by bisection on the number of characters kept.
  let lo = 0;
  let hi = s.length - 1;
  let best = ELLIPSIS;
  while (lo <= hi) {
    const keep = (lo + hi) >> 1;
    const head = Math.ceil(keep / 2);
    const t = s.slice(0, head) + ELLIPSIS + s.slice(s.length - (keep - head));
    if (fits(t)) {
      best = t;
      lo = keep + 1;
    } else hi = keep - 1;
  }
  return best;
}

/**
 * A Go function name (`go.etcd.io/etcd/server/v3/etcdserver.(*EtcdServer).applyEntryNormal`) shortened:
 * first the import path's middle folders go (`go.etcd.io/…/etcdserver.(*EtcdServer).applyEntryNormal`), then
 * the whole path (`etcdserver.(*EtcdServer).applyEntryNormal`), then the middle between package and method
 * (`etcdserver.(*E…).applyEntryNormal`).
 */
export function shortenGoName(name: string, fits: (t: string) => boolean): string {
  if (fits(name)) return name;
  // The import path ends at the last `/` before any receiver or type arguments (which may hold paths too).
  const open = name.search(/[([]/);
  const slash = name.lastIndexOf('/', open < 0 ? name.length : open);
  const last = slash >= 0 ? name.slice(slash + 1) : name;
  if (slash >= 0) {
    const first = name.slice(0, name.indexOf('/'));
    const candidate = `${first}/${ELLIPSIS}/${last}`;
    if (first !== name.slice(0, slash) && fits(candidate)) return candidate;
    if (fits(last)) return last;
  }
  // `pkg.(*Type).method`: keep `pkg.` and the method, cut in between.
  const dot = last.indexOf('.');
  const method = last.lastIndexOf('.');
  if (dot > 0 && method > dot) {
    const pkg = last.slice(0, dot + 1);
    const tail = last.slice(method);
    const mid = last.slice(dot + 1, method);
    const short = middleEllipsis(mid, (m) => fits(pkg + m + tail));
    if (short !== ELLIPSIS || fits(pkg + ELLIPSIS + tail)) return pkg + short + tail;
  }
  return middleEllipsis(last, fits);
}

/** A `path/to/file.go:123` location shortened in its folders, keeping the file name and line. */
export function shortenLocation(loc: string, fits: (t: string) => boolean): string {
  if (fits(loc)) return loc;
  const slash = loc.lastIndexOf('/');
  if (slash <= 0) return middleEllipsis(loc, fits);
  const dir = loc.slice(0, slash + 1);
  const file = loc.slice(slash + 1);
  const short = middleEllipsis(dir, (d) => fits(d + file));
  if (short !== ELLIPSIS || fits(ELLIPSIS + file)) return short + file;
  return middleEllipsis(file, fits);
}
