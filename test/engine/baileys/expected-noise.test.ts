import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { demoteExpectedNoise, expectedLevel } from '../../../src/engine/baileys/expected-noise.ts';

test('expected Baileys noise goes below warning; anything else keeps its level', () => {
  const cases: Array<[level: 'warn' | 'error', obj: unknown, msg: unknown, expected: string]> = [
    ['error', { fullErrorNode: { tag: 'stream:error', attrs: { code: '515' } } }, 'stream errored out', 'debug'],
    [
      'error',
      { reasonNode: { tag: 'conflict', attrs: { type: 'replaced' } }, fullErrorNode: { attrs: {} } },
      'stream errored out',
      'info',
    ],
    ['error', { fullErrorNode: { attrs: { code: '401' } } }, 'stream errored out', 'info'],
    ['warn', 'no name present, ignoring presence update request...', undefined, 'debug'],
    ['error', { error: { code: 'SWITCHBOARD_SOCKET_ENDED' } }, 'transaction failed, rolling back', 'debug'],
    ['error', { err: { type: 'Error', message: 'socket ended' } }, "unexpected error in 'init queries'", 'debug'],
    ['warn', { trace: 'Error: Connection Closed\n    at sendRawMessage' }, 'error in sending keep alive', 'debug'],
    ['warn', { trace: 'Error: write EPIPE' }, 'failed to send initial passive iq', 'debug'],
    ['error', { err: { message: 'Bad MAC' } }, 'failed to decrypt message', 'error'],
    ['warn', {}, 'something new', 'warn'],
    [
      'error',
      { err: { message: 'server certificate refused: leaf key mismatch' } },
      'error in validating connection',
      'debug',
    ],
  ];
  for (const [level, obj, msg, expected] of cases)
    assert.equal(expectedLevel(level, obj, msg), expected, String(msg ?? obj));
});

test('the wrapped logger writes those lines at the lower level, through children too', () => {
  let text = '';
  const out = new Writable({ write: (chunk, _enc, cb) => ((text += chunk.toString()), cb()) });
  const log = demoteExpectedNoise(pino({ level: 'debug' }, out)).child({ instanceId: 'x' });
  log.error({ fullErrorNode: { attrs: { code: '515' } } }, 'stream errored out');
  log.warn('no name present, ignoring presence update request...');
  log.error({ err: { message: 'Bad MAC' } }, 'failed to decrypt message');
  const lines = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { level: number; msg: string; instanceId: string });
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg]),
    [
      [20, 'stream errored out'],
      [20, 'no name present, ignoring presence update request...'],
      [50, 'failed to decrypt message'],
    ],
  );
  assert.ok(lines.every((l) => l.instanceId === 'x'));
});
