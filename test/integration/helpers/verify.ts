// Checks a saved capture the way a reader will use it: profiles decode as pprof, dumps parse as goroutine
// text, traces carry the runtime/trace header.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import type { CaptureKind } from '../../../src/capture/kinds.ts';
import { CaptureError } from '../../../src/capture/validate.ts';
import { decodeProfile } from '../../../src/profile/decode.ts';
import { parseGoroutineDump } from '../../../src/profile/goroutines.ts';

export function verifyCaptureFile(file: string, kind: CaptureKind): { bytes: number; samples?: number } {
  assert.ok(file.endsWith(kind.extension), `${file} ends with ${kind.extension}`);
  const data = readFileSync(file);
  switch (kind.format) {
    case 'profile': {
      const p = Profile.decode(gunzipSync(data));
      assert.ok(p.sampleType.length > 0, `${file}: no sample types`);
      assert.ok(p.stringTable.strings.length > 1, `${file}: empty string table`);
      // An idle etcd may not be on CPU during a 1 s profile: a CPU profile is checked by its types and duration.
      if (kind.id === 'goroutine') assert.ok(p.sample.length > 0, `${file}: no samples`);
      if (kind.id === 'cpu') {
        const types = p.sampleType.map((t) => `${p.stringTable.strings[Number(t.type)]}/${p.stringTable.strings[Number(t.unit)]}`);
        assert.deepEqual(types, ['samples/count', 'cpu/nanoseconds']);
        assert.ok(Number(p.durationNanos) >= 0.9e9, `${file}: duration ${p.durationNanos}`);
      }
      // And the extension's own decoder (the profile viewer's) accepts it with the same samples.
      const model = decodeProfile(data, file);
      assert.equal(model.samples.length, p.sample.length);
      return { bytes: data.length, samples: p.sample.length };
    }
    case 'text': {
      const text = data.toString('utf8');
      if (kind.id === 'goroutine-debug1') assert.match(text, /^goroutine profile: total \d+\n/);
      else assert.match(text, /^goroutine \d+ \[[^\]]+\]:\n/);
      const dump = parseGoroutineDump(data, file);
      assert.ok(dump.goroutines > 0, `${file}: no goroutines parsed`);
      return { bytes: data.length };
    }
    case 'trace':
      assert.match(data.subarray(0, 16).toString('latin1'), /^go 1\.\d+ trace\0/);
      assert.ok(data.length > 64, `${file}: trace too short`);
      return { bytes: data.length };
  }
}

/** Awaits a capture that must fail, and returns its CaptureError. */
export async function captureError(p: Promise<unknown>): Promise<CaptureError> {
  const err = await p.then(
    () => assert.fail('expected the capture to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CaptureError, `not a CaptureError: ${String(err)}`);
  return err;
}
