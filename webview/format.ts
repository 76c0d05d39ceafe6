// Number formatting for values of a sample type, by pprof unit name.

export function formatValue(v: number, unit: string): string {
  const a = Math.abs(v);
  const sign = v < 0 ? '-' : '';
  switch (unit) {
    case 'nanoseconds': {
      if (a >= 3600e9) return sign + trim(a / 3600e9) + 'h';
      if (a >= 60e9) return sign + trim(a / 60e9) + 'min';
      if (a >= 1e9) return sign + trim(a / 1e9) + 's';
      if (a >= 1e6) return sign + trim(a / 1e6) + 'ms';
      if (a >= 1e3) return sign + trim(a / 1e3) + 'µs';
      return sign + trim(a) + 'ns';
    }
    case 'bytes': {
      const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      let x = a;
      let i = 0;
      while (x >= 1024 && i < units.length - 1) {
        x /= 1024;
        i++;
      }
      return sign + trim(x) + units[i];
    }
    default:
      if (a >= 1e9) return sign + trim(a / 1e9) + 'G';
      if (a >= 1e6) return sign + trim(a / 1e6) + 'M';
      if (a >= 1e4) return sign + trim(a / 1e3) + 'k';
      return sign + trim(a);
  }
}

function trim(x: number): string {
  if (x === 0) return '0';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1).replace(/\.0$/, '');
  return x.toFixed(2).replace(/\.?0+$/, '');
}

export function formatPercent(part: number, total: number): string {
  if (!total) return '0%';
  const p = (part / total) * 100;
  if (Math.abs(p) >= 10) return p.toFixed(1) + '%';
  return p.toFixed(2) + '%';
}

export function formatSigned(v: number, unit: string): string {
  return (v > 0 ? '+' : '') + formatValue(v, unit);
}

export function formatDuration(nanos: number): string {
  return nanos > 0 ? formatValue(nanos, 'nanoseconds') : '';
}

export function formatTime(nanos: number): string {
  if (!nanos) return '';
  return new Date(nanos / 1e6).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}
