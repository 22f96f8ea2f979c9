import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coalescedRun } from '../../src/lib/index.ts';

test('calls during a run share it and cause exactly one more run; runs never overlap', async () => {
  let runs = 0;
  let active = 0;
  let release!: () => void;
  const run = coalescedRun(async () => {
    runs++;
    active++;
    assert.equal(active, 1, 'no overlap');
    if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
    active--;
  });
  const first = run();
  const second = run();
  const third = run();
  assert.equal(second, first, 'a call during a run gets the run in flight');
  assert.equal(third, first);
  release();
  await first;
  assert.equal(runs, 2, 'three calls: the first run and one more');
  await run();
  assert.equal(runs, 3, 'idle again: a new call runs at once');
});

test('a failure goes to onError, ends the pending runs, and the next call runs again', async () => {
  const errors: unknown[] = [];
  let fail = true;
  let runs = 0;
  const run = coalescedRun(
    async () => {
      runs++;
      if (fail) throw new Error('down');
    },
    (err) => errors.push(err),
  );
  await run();
  assert.equal(errors.length, 1);
  fail = false;
  await run();
  assert.equal(runs, 2);
  assert.equal(errors.length, 1);
});
