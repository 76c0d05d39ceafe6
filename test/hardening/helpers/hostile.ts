// Hostile inputs derived from REAL captures (test/hardening/testdata, written by gen/ from runtime/pprof):
// the captured profile is decoded with pprof-format and re-encoded with its strings renamed (markup, script,
// control and bidi characters, a 1 MiB name, paths outside any root), its samples repeated to millions, or its
// recursive stack deepened to 10k frames. Mutations of real captures, not hand-written protobuf.
import { gunzipSync, gzipSync } from 'node:zlib';
import { Profile, Sample } from 'pprof-format';

export const HOSTILE_NAMES = [
  '<script>alert("name")</script>',
  '<img src=x onerror=alert(1)>main.(*T).run',
  '"><svg onload=alert(2)>',
  'main.\u202Egnp.exe\u202C.evil',
  'main.\u2066isolate\u2069\u200F\u061C',
  'main.ctl\u0000\u0007\u001b[31mred\u001b[0m\r\nFAKE LINE',
  'javascript:alert(3)',
  '{{constructor.constructor("alert(4)")()}}',
  '&lt;already&gt;escaped&amp;',
  '\uD800lonely surrogate',
];

export const HOSTILE_FILES = [
  '/etc/passwd',
  '../../../../../../etc/shadow',
  '/proc/self/environ',
  'C:\\Windows\\System32\\config\\SAM',
  '\\\\evil-host\\share\\x.go',
  'file:///etc/hosts',
  '/root/.kube/config',
  '/src/app/../../../../etc/passwd',
  '~/.ssh/id_rsa',
  '/tmp/\u202Eog.dwssap',
  '/dev/zero',
  'https://attacker.example/x.go',
];

/** A name of `chars` characters made of markup and bidi controls: the "megabyte-long name". */
export function hugeName(chars: number): string {
  const unit = '<b>&\u202E';
  return ('main.' + unit.repeat(Math.ceil(chars / unit.length))).slice(0, chars);
}

function load(gz: Uint8Array): Profile {
  return Profile.decode(gunzipSync(gz));
}

function save(p: Profile): Buffer {
  return gzipSync(p.encode(), { level: 1 });
}

/** Every function renamed to a hostile name and every file to a hostile path; one function gets a 1 MiB name. */
export function withHostileStrings(gz: Uint8Array, hugeBytes = 1 << 20): Buffer {
  const p = load(gz);
  p.function.forEach((f, i) => {
    const name = i === 0 ? hugeName(hugeBytes) : `${HOSTILE_NAMES[i % HOSTILE_NAMES.length]}#${i}`;
    f.name = p.stringTable.dedup(name);
    f.systemName = f.name;
    f.filename = p.stringTable.dedup(HOSTILE_FILES[i % HOSTILE_FILES.length]);
  });
  for (const m of p.mapping) m.filename = p.stringTable.dedup('<script>/bin/etcd\u202E');
  return save(p);
}

/**
 * The shortest real samples repeated to `count` samples. Encoded once, then their encoded records repeated:
 * pprof-format writes field 2 (samples) right after field 1 (sample types), so the profile without samples
 * and the one with them differ exactly by those records.
 */
export function withManySamples(gz: Uint8Array, count: number, distinct = 32): Buffer {
  const p = load(gz);
  const base = [...p.sample].sort((a, b) => a.locationId.length - b.locationId.length).slice(0, distinct);
  if (base.length === 0) throw new Error('the capture has no samples');
  p.sample = [];
  const without = Buffer.from(p.encode());
  p.sample = base;
  const withBase = Buffer.from(p.encode());
  let prefix = 0;
  while (prefix < without.length && without[prefix] === withBase[prefix]) prefix++;
  const records = withBase.subarray(prefix, prefix + withBase.length - without.length);
  if (records[0] !== 0x12) throw new Error('unexpected encoding: samples are not where expected');
  const copies = Math.ceil(count / base.length);
  const parts: Buffer[] = [without.subarray(0, prefix)];
  for (let i = 0; i < copies; i++) parts.push(records);
  parts.push(without.subarray(prefix));
  return gzipSync(Buffer.concat(parts), { level: 1 });
}

/** The deepest real sample's recursive frame repeated until the stack has `depth` frames. */
export function withDeepStack(gz: Uint8Array, depth: number, recursive: RegExp): Buffer {
  const p = load(gz);
  const nameOf = (locId: unknown): string => {
    const loc = p.location.find((l) => String(l.id) === String(locId));
    const fn = loc && p.function.find((f) => String(f.id) === String(loc.line[0]?.functionId));
    return fn ? p.stringTable.strings[Number(fn.name)] : '';
  };
  const deepest = [...p.sample].sort((a, b) => b.locationId.length - a.locationId.length)[0];
  const recIdx = deepest.locationId.findIndex((id) => recursive.test(nameOf(id)));
  if (recIdx < 0) throw new Error(`no frame matching ${recursive} in the deepest sample`);
  const ids = [...deepest.locationId];
  const rec = ids[recIdx];
  while (ids.length < depth) ids.splice(recIdx, 0, rec);
  p.sample = [new Sample({ locationId: ids, value: deepest.value, label: deepest.label }), ...p.sample.slice(0, 50)];
  return save(p);
}

/** A real debug=2 dump with hostile function names and paths, a 1 MiB name, and one goroutine `depth` frames deep. */
export function hostileDump(text: string, depth: number, hugeBytes = 1 << 20): string {
  let n = 0;
  // Rename function call lines ("pkg.fn(args)") and file lines ("\t/path/x.go:12 +0x1d").
  let out = text.replace(/^([\w./*()-]+)\((.*)\)$/gm, (_m, _fn, args) => `${HOSTILE_NAMES[n++ % HOSTILE_NAMES.length]}(${args})`);
  out = out.replace(/^\t\/[^\s:]+\.go:(\d+)/gm, (_m, line) => `\t${HOSTILE_FILES[n++ % HOSTILE_FILES.length]}:${line}`);
  // The goroutine parked in main.parkDeep: repeat its recursive frame pair to `depth` frames.
  const blocks = out.split('\n\n');
  const realBlocks = text.split('\n\n');
  const i = realBlocks.findIndex((b) => b.includes('main.parkDeep'));
  if (i >= 0 && blocks.length === realBlocks.length) {
    const lines = realBlocks[i].split('\n');
    const at = lines.findIndex((l) => l.startsWith('main.parkDeep('));
    const pair = lines.slice(at, at + 2);
    const frames: string[] = [];
    for (let k = 0; k < depth; k++) frames.push(...pair);
    blocks[i] = [...lines.slice(0, at), ...frames, ...lines.slice(at + 2)].join('\n');
  }
  blocks.push(`goroutine 999999 [select, 5 minutes]:\n${hugeName(hugeBytes)}(0x1)\n\t/etc/passwd:1 +0x1`);
  return blocks.join('\n\n');
}
