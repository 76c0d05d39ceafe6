// Frame labels that fit: the full Go name, else without its import path, else truncated.

/** `github.com/x/y/pkg.(*T).Method` → `pkg.(*T).Method`. */
export function shortName(name: string): string {
  const paren = name.indexOf('(');
  const head = paren >= 0 ? name.slice(0, paren) : name;
  const slash = head.lastIndexOf('/');
  return slash >= 0 ? name.slice(slash + 1) : name;
}

export function fitLabel(name: string, chars: number): string {
  if (chars >= name.length) return name;
  const short = shortName(name);
  if (chars >= short.length) return short;
  return chars > 1 ? short.slice(0, chars - 1) + '…' : '';
}
