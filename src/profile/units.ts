// Unit scaling and labels as pprof's internal/measurement does them: bytes, time and GCU units are
// known; other units (count, samples) print as plain numbers.

interface Unit {
  name: string;
  aliases: string[];
  factor: number;
}
interface UnitType {
  defaultUnit: Unit;
  units: Unit[];
}

const BYTES: Unit = { name: 'B', aliases: ['b', 'byte'], factor: 1 };
const UNIT_TYPES: UnitType[] = [
  {
    defaultUnit: BYTES,
    units: [
      BYTES,
      { name: 'kB', aliases: ['kb', 'kbyte', 'kilobyte'], factor: 2 ** 10 },
      { name: 'MB', aliases: ['mb', 'mbyte', 'megabyte'], factor: 2 ** 20 },
      { name: 'GB', aliases: ['gb', 'gbyte', 'gigabyte'], factor: 2 ** 30 },
      { name: 'TB', aliases: ['tb', 'tbyte', 'terabyte'], factor: 2 ** 40 },
      { name: 'PB', aliases: ['pb', 'pbyte', 'petabyte'], factor: 2 ** 50 },
    ],
  },
  {
    defaultUnit: { name: 's', aliases: [], factor: 1e9 },
    units: [
      { name: 'ns', aliases: ['ns', 'nanosecond'], factor: 1 },
      { name: 'us', aliases: ['μs', 'us', 'microsecond'], factor: 1e3 },
      { name: 'ms', aliases: ['ms', 'millisecond'], factor: 1e6 },
      { name: 's', aliases: ['s', 'sec', 'second'], factor: 1e9 },
      { name: 'hrs', aliases: ['hour', 'hr'], factor: 3600e9 },
    ],
  },
  {
    defaultUnit: { name: 'GCU', aliases: [], factor: 1 },
    units: [
      { name: 'n*GCU', aliases: ['nanogcu'], factor: 1e-9 },
      { name: 'u*GCU', aliases: ['microgcu'], factor: 1e-6 },
      { name: 'm*GCU', aliases: ['milligcu'], factor: 1e-3 },
      { name: 'GCU', aliases: ['gcu'], factor: 1 },
      { name: 'k*GCU', aliases: ['kilogcu'], factor: 1e3 },
      { name: 'M*GCU', aliases: ['megagcu'], factor: 1e6 },
      { name: 'G*GCU', aliases: ['gigagcu'], factor: 1e9 },
      { name: 'T*GCU', aliases: ['teragcu'], factor: 1e12 },
      { name: 'P*GCU', aliases: ['petagcu'], factor: 1e15 },
    ],
  },
];

function sniffUnit(type: UnitType, unit: string): Unit | undefined {
  let u = unit.toLowerCase();
  if (u.length > 2 && u.endsWith('s')) u = u.slice(0, -1);
  return type.units.find((x) => x.aliases.includes(u));
}

function autoScale(type: UnitType, value: number): [number, string] | undefined {
  let f = 0;
  let name = '';
  for (const u of type.units) {
    if (u.factor >= f && value / u.factor >= 1) {
      f = u.factor;
      name = u.name;
    }
  }
  return f === 0 ? undefined : [value / f, name];
}

/**
 * Converts `value` from `fromUnit` to `toUnit` ('auto' or 'minimum' pick a readable unit).
 * Returns the value and the unit label ('' for plain counts).
 */
export function scale(value: number, fromUnit: string, toUnit: string): [number, string] {
  if (value < 0) {
    const [v, u] = scale(-value, fromUnit, toUnit);
    return [-v, u];
  }
  for (const type of UNIT_TYPES) {
    const from = sniffUnit(type, fromUnit);
    if (!from) continue;
    const v = value * from.factor;
    if (toUnit === 'minimum' || toUnit === 'auto') {
      return autoScale(type, v) ?? [v / type.defaultUnit.factor, type.defaultUnit.name];
    }
    const to = sniffUnit(type, toUnit) ?? type.defaultUnit;
    return [v / to.factor, to.name];
  }
  switch (toUnit) {
    case 'count':
    case 'sample':
    case 'unit':
    case 'minimum':
    case 'auto':
      return [value, ''];
    default:
      return [value, toUnit];
  }
}

/** `value` in `fromUnit` as pprof labels it in `toUnit`, e.g. `1.50MB`, `10ms`, `42`. */
export function scaledLabel(value: number, fromUnit: string, toUnit = 'auto'): string {
  const [v, u] = scale(value, fromUnit, toUnit);
  let s = goFixed(v, 2);
  if (s.endsWith('.00')) s = s.slice(0, -3);
  if (s === '0' || s === '-0') return '0';
  return s + u;
}

// JavaScript's toFixed/toExponential round an exact tie away from zero; Go's fmt rounds it to even
// (`%.2f` of 1025.125 is 1025.12). The exact decimal expansion (up to 100 digits) tells a tie apart.
function halfEven(rounded: string, exact: string, digits: number): string {
  const e = exact.search(/e|$/);
  const mantissa = exact.slice(0, e);
  const dot = mantissa.indexOf('.');
  const cut = dot + 1 + digits;
  if (dot < 0 || !/^50*$/.test(mantissa.slice(cut))) return rounded;
  const kept = mantissa.slice(0, digits === 0 ? dot : cut);
  return Number(kept[kept.length - 1]) % 2 === 0 ? kept + exact.slice(e) : rounded;
}

/** `x` with `digits` decimals as Go's `%.Nf` prints it. */
export function goFixed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return s;
  const sign = x < 0 ? '-' : '';
  const r = halfEven(Math.abs(x).toFixed(digits), Math.abs(x).toFixed(Math.min(100, digits + 70)), digits);
  return sign + r;
}

function goExponential(x: number, digits: number): string {
  const sign = x < 0 ? '-' : '';
  return sign + halfEven(Math.abs(x).toExponential(digits), Math.abs(x).toExponential(Math.min(100, digits + 70)), digits);
}

// Go's %.2g: two significant digits, trailing zeros removed, exponent form below 1e-4.
function formatG2(x: number): string {
  if (x === 0) return '0';
  const [mantissa, expText] = goExponential(x, 1).split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 2) {
    const m = mantissa.replace(/\.0$/, '');
    const sign = exp < 0 ? '-' : '+';
    return `${m}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  // %.2g in plain notation: the two significant digits of the exponential form, trailing zeros removed
  return Number(goExponential(x, 1)).toString();
}

/** `value` as a percentage of `total`, formatted like pprof's text reports (`12.34%`, `  100%`). */
export function percentage(value: number, total: number): string {
  const ratio = total !== 0 ? Math.abs(value / total) * 100 : 0;
  if (ratio >= 99.95 && ratio <= 100.05) return '  100%';
  if (ratio >= 1) return `${goFixed(ratio, 2).padStart(5)}%`;
  return `${formatG2(ratio).padStart(5)}%`;
}

/**
 * The unit pprof's text report uses ("minimum" output unit): one readable unit for the smallest
 * non-zero value, unless that is 100× smaller than the total.
 */
export function selectOutputUnit(values: Iterable<number>, total: number, sampleUnit: string): string {
  let min = 0;
  for (const v of values) {
    const a = Math.abs(v);
    if (a > 0 && (min === 0 || a < min)) min = a;
  }
  const max = total;
  if (min === 0) min = max;
  const [, minUnit] = scale(min, sampleUnit, 'minimum');
  const [, maxUnit] = scale(max, sampleUnit, 'minimum');
  let unit = minUnit;
  if (minUnit !== maxUnit && min * 100 < max) [, unit] = scale(100 * min, sampleUnit, 'minimum');
  return unit !== '' ? unit : sampleUnit;
}

/** `1 goroutine`, `3 goroutines`: a count with its noun in the right number (English `-s` plurals). */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
