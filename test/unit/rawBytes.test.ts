// Profile strings that are not valid UTF-8 keep their bytes (src/profile/rawBytes.ts): decoding escapes exactly the
// bytes Go's utf8.DecodeRune refuses, and encoding gives the input back byte for byte.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decodeKeepingBytes, encodeKeepingBytes, replaceEscapedBytes } from '../../src/profile/rawBytes.ts';

test('any bytes come back as they were; valid UTF-8 decodes as TextDecoder does', () => {
  for (let i = 0; i < 2000; i++) {
    const bytes = randomBytes(1 + (i % 40));
    assert.deepEqual(encodeKeepingBytes(decodeKeepingBytes(bytes)), bytes);
  }
  const valid = Buffer.from('etcd/server/v3 ☃ 𝄞 é \uFFFD', 'utf8');
  assert.equal(decodeKeepingBytes(valid), new TextDecoder().decode(valid));
  assert.deepEqual(encodeKeepingBytes(decodeKeepingBytes(valid)), valid);
});

test("each byte Go's utf8.DecodeRune refuses is one escape, as Go's json writes one U+FFFD per byte", () => {
  const cases: [number[], string][] = [
    [[0x61, 0xff, 0x62], 'a\uFFFDb'],
    [[0xc0, 0x80], '\uFFFD\uFFFD'], // overlong NUL
    [[0xed, 0xa0, 0x80], '\uFFFD\uFFFD\uFFFD'], // a UTF-16 surrogate
    [[0xf4, 0x90, 0x80, 0x80], '\uFFFD\uFFFD\uFFFD\uFFFD'], // past U+10FFFF
    [[0xe2, 0x98], '\uFFFD\uFFFD'], // cut short
    [[0xe2, 0x98, 0x83], '☃'],
  ];
  for (const [bytes, json] of cases) assert.equal(replaceEscapedBytes(decodeKeepingBytes(Buffer.from(bytes))), json, Buffer.from(bytes).toString('hex'));
});

test('a real surrogate pair is text, not an escaped byte', () => {
  const text = '\uD83D\uDCA9'; // U+1F4A9: its low half is in U+DC80..U+DCFF
  assert.equal(replaceEscapedBytes(text), text);
  assert.deepEqual(encodeKeepingBytes(text), Buffer.from(text, 'utf8'));
});
