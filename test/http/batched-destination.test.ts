import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { BatchedDestination, type LineSink } from '../../src/http/batched-destination.ts';

/** A sink that records each write it receives. */
function recorder(): LineSink & { writes: string[]; syncFlushes: number } {
  const sink = {
    writes: [] as string[],
    syncFlushes: 0,
    write(data: Buffer) {
      sink.writes.push(data.toString('utf8'));
    },
    flushSync() {
      sink.syncFlushes++;
    },
  };
  return sink;
}

describe('BatchedDestination (log lines in batches)', () => {
  test('lines go out together, in order, once a batch is full', () => {
    const sink = recorder();
    const d = new BatchedDestination(sink, { maxBytes: 10, maxDelayMs: 60_000 });
    d.write('aaa\n');
    d.write('bbb\n');
    assert.deepEqual(sink.writes, [], 'held until the batch is full');
    d.write('ccc\n');
    assert.deepEqual(sink.writes, ['aaa\nbbb\nccc\n'], 'one write for the batch');
    d.write('ddd\n');
    d.flushSync();
    assert.deepEqual(sink.writes, ['aaa\nbbb\nccc\n', 'ddd\n']);
    assert.equal(sink.syncFlushes, 1);
  });

  test('UTF-8 is kept whole; a line longer than a batch goes by itself, after what was pending', () => {
    const sink = recorder();
    const d = new BatchedDestination(sink, { maxBytes: 16, maxDelayMs: 60_000 });
    d.write('é\n');
    d.write('😀 ✓\n');
    const long = `${'x'.repeat(40)}\n`;
    d.write(long);
    d.write('après\n');
    d.flushSync();
    assert.deepEqual(sink.writes, ['é\n😀 ✓\n', long, 'après\n']);
  });

  test('a quiet logger: a lone line goes out by itself shortly after', async () => {
    const sink = recorder();
    const d = new BatchedDestination(sink, { maxBytes: 1 << 20, maxDelayMs: 5 });
    d.write('only line\n');
    while (sink.writes.length === 0) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(sink.writes, ['only line\n']);
  });

  test('flush hands pending lines to the sink and calls back once it has written them', async () => {
    let flushed = 0;
    const sink = { ...recorder(), flush: (cb?: (err?: Error | null) => void) => (flushed++, cb?.()) };
    const writes: string[] = [];
    sink.write = (data: Buffer) => void writes.push(data.toString('utf8'));
    const d = new BatchedDestination(sink, { maxBytes: 1 << 20, maxDelayMs: 60_000 });
    d.write('x\n');
    await new Promise<void>((resolve) => d.flush(() => resolve()));
    assert.deepEqual(writes, ['x\n']);
    assert.equal(flushed, 1);
  });

  test('lines still pending when the process exits are written (exit, uncaught exception)', () => {
    const url = new URL('../../src/http/batched-destination.ts', import.meta.url).href;
    for (const ending of ['process.exit(0)', "setImmediate(() => { throw new Error('boom') })"]) {
      const script =
        `import { BatchedDestination } from ${JSON.stringify(url)};\n` +
        `import { writeSync } from 'node:fs';\n` +
        `const d = new BatchedDestination({ write: (b) => writeSync(1, b) }, { maxBytes: 1 << 20, maxDelayMs: 60_000 });\n` +
        `d.write('first\\n'); d.write('last\\n');\n${ending};\n`;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
      });
      assert.equal(r.stdout, 'first\nlast\n', `${ending}: ${r.stderr}`);
    }
  });
});
