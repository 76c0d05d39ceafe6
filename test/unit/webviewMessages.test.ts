// Messages from the profile panel's webview are checked at runtime: well-formed ones come through (copied, with no
// extra keys), anything else is dropped, and the log line describing a dropped one never quotes its content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeMessage, parseFromWebview } from '../../src/protocol.ts';

const options = { sampleIndex: 1, granularity: 'lines', focus: 'raft', ignore: '', hide: '' };

test('well-formed messages pass, copied field by field', () => {
  assert.deepEqual(parseFromWebview({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseFromWebview({ type: 'openSource', frame: 3 }), { type: 'openSource', frame: 3 });
  assert.deepEqual(parseFromWebview({ type: 'copyText', text: 'x' }), { type: 'copyText', text: 'x' });
  const parsed = parseFromWebview({ type: 'setOptions', options: { ...options, __proto__: { polluted: true }, extra: 'dropped' } });
  assert.deepEqual(parsed, { type: 'setOptions', options });
  assert.equal(Object.keys((parsed as { options: object }).options).includes('extra'), false);
});

test('malformed messages are dropped', () => {
  const malformed: unknown[] = [
    null,
    'ready',
    [{ type: 'ready' }],
    {},
    { type: 'rm -rf' },
    { type: 'setOptions' },
    { type: 'setOptions', options: { ...options, focus: 42 } },
    { type: 'setOptions', options: { ...options, granularity: 'bytes' } },
    { type: 'setOptions', options: { ...options, sampleIndex: -1 } },
    { type: 'setOptions', options: { ...options, sampleIndex: 0.5 } },
    { type: 'openSource', frame: '3' },
    { type: 'openSource', frame: -1 },
    { type: 'openSource', frame: Number.NaN },
    { type: 'copyText', text: { toString: () => 'x' } },
    { type: 'exportSvg' },
  ];
  for (const m of malformed) assert.equal(parseFromWebview(m), undefined, JSON.stringify(m));
});

test('the log line names the type and keys, not the content', () => {
  assert.equal(describeMessage({ type: 'copyText', text: 'secret' }), 'type "copyText", keys type, text');
  assert.equal(describeMessage(null), 'null');
  assert.equal(describeMessage([1]), 'an array');
  assert.doesNotMatch(describeMessage({ type: 'x', payload: 'secret' }), /secret/);
});
