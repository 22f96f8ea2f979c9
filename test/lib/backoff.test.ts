import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_BACKOFF, backoffDelay } from '../../src/lib/index.ts';

test('defaults: 1 s base, 60 s cap', () => {
  assert.equal(DEFAULT_BACKOFF.baseMs, 1000);
  assert.equal(DEFAULT_BACKOFF.maxMs, 60_000);
});

test('without jitter the delay doubles from base and stops at the cap', () => {
  const o = { baseMs: 1000, maxMs: 60_000, jitter: 0 };
  const delays = [1, 2, 3, 4, 5, 6, 7, 8, 100, 5000].map((n) => backoffDelay(n, o));
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000]);
});

test('jitter only shortens, within [d·(1−jitter), d], and never exceeds the cap', () => {
  const o = { baseMs: 1000, maxMs: 60_000, jitter: 0.5 };
  assert.equal(
    backoffDelay(3, o, () => 0),
    4000,
  );
  assert.equal(
    backoffDelay(3, o, () => 0.999999),
    2000,
  );
  for (let attempt = 1; attempt <= 12; attempt++) {
    const ceiling = Math.min(60_000, 1000 * 2 ** (attempt - 1));
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(attempt, o);
      assert.ok(d <= ceiling && d >= ceiling * 0.5, `attempt ${attempt}: ${d}`);
    }
  }
});

test('jitter spreads delays (not all equal)', () => {
  const o = { baseMs: 1000, maxMs: 60_000, jitter: 0.2 };
  const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(4, o)));
  assert.ok(seen.size > 10, `only ${seen.size} distinct delays`);
});

test('out-of-range jitter is clamped; bad attempt numbers are refused', () => {
  assert.equal(
    backoffDelay(1, { baseMs: 100, maxMs: 1000, jitter: 7 }, () => 0.5),
    50,
  );
  assert.equal(
    backoffDelay(1, { baseMs: 100, maxMs: 1000, jitter: -1 }, () => 0.5),
    100,
  );
  assert.throws(() => backoffDelay(0, DEFAULT_BACKOFF), RangeError);
  assert.throws(() => backoffDelay(1.5, DEFAULT_BACKOFF), RangeError);
});
