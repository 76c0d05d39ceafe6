// Frame colours from the VS Code theme: packages get one of the theme's chart colours mixed
// with the editor background at a few strengths; a comparison colours growth and shrink.

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export interface Theme {
  background: Rgb;
  foreground: Rgb;
  /** Chart colours of the theme (red, blue, yellow, orange, green, purple). */
  charts: Rgb[];
  grow: Rgb;
  shrink: Rgb;
  highlight: Rgb;
  focusBorder: Rgb;
  /** High contrast themes: draw frame borders, no tints. */
  contrastBorder?: Rgb;
  fontFamily: string;
}

export function parseColor(s: string): Rgb | undefined {
  const t = s.trim();
  let m = /^#([0-9a-f]{3,8})$/i.exec(t);
  if (m) {
    let hex = m[1];
    if (hex.length === 3 || hex.length === 4) hex = [...hex.slice(0, 3)].map((c) => c + c).join('');
    return { r: parseInt(hex.slice(0, 2), 16), g: parseInt(hex.slice(2, 4), 16), b: parseInt(hex.slice(4, 6), 16) };
  }
  m = /^rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)/i.exec(t);
  if (m) return { r: +m[1], g: +m[2], b: +m[3] };
  return undefined;
}

export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return { r: a.r + (b.r - a.r) * t, g: a.g + (b.g - a.g) * t, b: a.b + (b.b - a.b) * t };
}

export function css(c: Rgb): string {
  return `rgb(${Math.round(c.r)},${Math.round(c.g)},${Math.round(c.b)})`;
}

export function luminance(c: Rgb): number {
  const f = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
}

/** Black or white, whichever reads better on `bg`. */
export function textOn(bg: Rgb): string {
  return luminance(bg) > 0.4 ? '#000' : '#fff';
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

const STRENGTHS = [0.85, 0.65, 0.5];

/** One fill per package, stable across sessions for the same package name. */
export function packageColors(packages: readonly string[], theme: Theme): { fill: string[]; text: string[] } {
  const fill: string[] = [];
  const text: string[] = [];
  for (const p of packages) {
    const k = hash(p);
    const base = theme.charts[k % theme.charts.length];
    const strength = theme.contrastBorder ? 0.35 : STRENGTHS[(k >>> 8) % STRENGTHS.length];
    const c = mix(theme.background, base, strength);
    fill.push(css(c));
    text.push(textOn(c));
  }
  return { fill, text };
}

/** Comparison colour: red for growth, green for shrink, grey for no change, by the delta's share of the frame. */
export function deltaColor(delta: number, cum: number, theme: Theme): { fill: string; text: string } {
  const neutral = mix(theme.background, theme.foreground, 0.18);
  const ref = Math.max(Math.abs(cum), Math.abs(delta), 1e-12);
  const t = Math.min(1, Math.abs(delta) / ref);
  const c = delta === 0 ? neutral : mix(neutral, delta > 0 ? theme.grow : theme.shrink, 0.25 + 0.75 * t);
  return { fill: css(c), text: textOn(c) };
}

/** The Go package of a function name: `k8s.io/x/y.(*T).M` → `k8s.io/x/y`, `main.f` → `main`. */
export function packageOf(name: string): string {
  const slash = name.lastIndexOf('/');
  const dot = name.indexOf('.', slash + 1);
  return dot > 0 ? name.slice(0, dot) : name;
}
