import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedSerialQueue, forEachLimited } from '../../src/lib/index.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('tasks of one key run one after another, in order', async () => {
  const q = new KeyedSerialQueue();
  const log: string[] = [];
  let running = 0;
  const task = (name: string, ms: number) => async () => {
    running++;
    assert.equal(running, 1, 'overlap');
    log.push(`start ${name}`);
    await sleep(ms);
    log.push(`end ${name}`);
    running--;
    return name;
  };
  const results = await Promise.all([q.run('a', task('1', 20)), q.run('a', task('2', 1)), q.run('a', task('3', 5))]);
  assert.deepEqual(results, ['1', '2', '3']);
  assert.deepEqual(log, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
});

test('different keys run in parallel', async () => {
  const q = new KeyedSerialQueue();
  let concurrent = 0;
  let peak = 0;
  const task = async () => {
    concurrent++;
    peak = Math.max(peak, concurrent);
    await sleep(20);
    concurrent--;
  };
  await Promise.all(['a', 'b', 'c'].map((k) => q.run(k, task)));
  assert.equal(peak, 3);
});

test('a failing task rejects its own caller and does not block the next', async () => {
  const q = new KeyedSerialQueue();
  const first = q.run('a', async () => {
    throw new Error('boom');
  });
  const second = q.run('a', async () => 'ok');
  await assert.rejects(first, /boom/);
  assert.equal(await second, 'ok');
});

test('idle keys are dropped', async () => {
  const q = new KeyedSerialQueue();
  await Promise.all([q.run('a', async () => 1), q.run('b', async () => 2)]);
  await sleep(0);
  assert.equal(q.activeKeys, 0);
});

test('forEachLimited keeps at most `limit` in flight, visits all, survives failures', async () => {
  let inFlight = 0;
  let peak = 0;
  const seen: number[] = [];
  await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await sleep(5 + (n % 3) * 5);
    seen.push(n);
    inFlight--;
    if (n === 4) throw new Error('one bad item');
  });
  assert.equal(peak, 3);
  assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6, 7]);
  await forEachLimited([], 2, async () => assert.fail('no items'));
  await assert.rejects(
    forEachLimited([1], 0, async () => undefined),
    RangeError,
  );
});
