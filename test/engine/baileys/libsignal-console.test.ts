import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { isLibsignalLine, quietLibsignal } from '../../../src/engine/libsignal-console.ts';

/** libsignal's "Closing session:" line carries a session record with private keys: it must never reach stdout. */
test('libsignal lines become debug log entries without their objects; other console output passes through', () => {
  const printed: unknown[][] = [];
  const target = {
    log: (...a: unknown[]) => printed.push(['log', ...a]),
    info: (...a: unknown[]) => printed.push(['info', ...a]),
    warn: (...a: unknown[]) => printed.push(['warn', ...a]),
    error: (...a: unknown[]) => printed.push(['error', ...a]),
  };
  let logged = '';
  const sink = new Writable({ write: (chunk, _enc, done) => ((logged += chunk), done()) });
  const logger = pino({ level: 'debug' }, sink);
  quietLibsignal(logger, target);
  quietLibsignal(logger, target); // idempotent: not wrapped twice

  const secret = Buffer.from('private-key-material-0123456789ab');
  target.info('Closing session:', { currentRatchet: { ephemeralKeyPair: { privKey: secret } } });
  target.warn('Closing open session in favor of incoming prekey bundle');
  target.error('Session error:Error: Bad MAC', 'stack…');
  assert.deepEqual(printed, [], 'nothing of libsignal reaches the console');
  assert.equal(logged.split('\n').filter(Boolean).length, 3);
  assert.ok(!logged.includes(secret.toString()) && !logged.includes('privKey'), 'the session object is dropped');

  target.info('an unrelated line', 42);
  target.error(new Error('boom'));
  assert.equal(printed.length, 2);
  assert.deepEqual(printed[0], ['info', 'an unrelated line', 42]);
  assert.equal(isLibsignalLine('Closing session: x'), true);
  assert.equal(isLibsignalLine({ toString: () => 'Closing session:' }), false);
});

const run = promisify(execFile);

/** Runs the pruning child; returns what it printed, what it logged and the session secrets it saw. */
async function pruning(mode: 'filtered' | 'unfiltered' | 'threaded') {
  const dir = await mkdtemp(join(tmpdir(), 'libsignal-'));
  try {
    const [log, keys] = [join(dir, 'log'), join(dir, 'keys')];
    const child = fileURLToPath(new URL('./fixtures/libsignal-prune.ts', import.meta.url));
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', child, log, keys, '45', mode]);
    const seen = JSON.parse(await readFile(keys, 'utf8')) as { secrets: string[]; kept: number };
    return { printed: stdout + stderr, logged: await readFile(log, 'utf8'), ...seen };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A key as it could appear: hex, base64, or Node's `<Buffer 0a 1b …>` rendering of the first bytes. */
function leaks(text: string, secrets: string[]): string[] {
  return secrets.filter((hex) => {
    const b = Buffer.from(hex, 'hex');
    const spaced = hex.slice(0, 24).replace(/(..)(?!$)/g, '$1 ');
    return text.includes(hex) || text.includes(b.toString('base64')) || text.includes(spaced);
  });
}

for (const mode of ['filtered', 'threaded'] as const) {
  test(`a peer forcing libsignal to prune closed sessions (45 pre-key messages) gets no key byte onto stdout/stderr or into the log (${mode === 'threaded' ? 'in an engine worker thread' : 'in-process'})`, async () => {
    const { printed, logged, secrets, kept } = await pruning(mode);
    assert.equal(kept, 40, 'libsignal pruned the closed sessions down to its limit');
    assert.ok(secrets.length >= 80, 'root keys and ephemeral private keys of every session collected');
    const lines = logged
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string; module: string });
    assert.ok(
      lines.some((l) => l.msg === 'Removing old closed session:'),
      'the pruning line was logged, as text',
    );
    assert.ok(
      lines.every((l) => l.level === 20 && l.module === 'libsignal'),
      'every libsignal line at debug',
    );
    assert.equal(printed, '', 'nothing of libsignal on stdout/stderr');
    assert.deepEqual(leaks(logged, secrets), []);
    assert.ok(!logged.includes('privKey') && !logged.includes('rootKey'), 'no session object in the log');

    if (mode === 'threaded') {
      // Through the engine thread's logger and across to this thread's: the engine's lines, filtered in the worker.
      assert.ok(lines.every((l) => (l as { engine?: string }).engine === 'baileys'));
      return;
    }
    // Control: the same run without the filter prints the keys (so the assertions above can see a leak).
    const control = await pruning('unfiltered');
    assert.ok(leaks(control.printed, control.secrets).length > 0, 'without the filter libsignal prints session keys');
  });
}

test('any console method called from code inside a libsignal package is caught, whatever its text (future lines too)', async () => {
  const printed: unknown[][] = [];
  const target = Object.fromEntries(
    ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir'].map((m) => [
      m,
      (...a: unknown[]) => printed.push([m, ...a]),
    ]),
  ) as unknown as Console;
  let logged = '';
  const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, done) => ((logged += chunk), done()) }));
  quietLibsignal(logger, target);
  // A module that lives where libsignal lives, printing lines libsignal has never printed, with every method.
  const dir = await mkdtemp(join(tmpdir(), 'future-'));
  try {
    const file = join(dir, 'node_modules', 'libsignal', 'src', 'future.mjs');
    await mkdir(dirname(file), { recursive: true });
    await writeFile(
      file,
      `export function run(c) { for (const m of ['log','info','warn','error','debug','trace','dir']) c[m]('A new line\\nsecond line', { privKey: 'PRIVATE' }); c.info({ rootKey: 'PRIVATE' }); }`,
    );
    const future = (await import(pathToFileURL(file).href)) as { run: (c: Console) => void };
    future.run(target);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  assert.deepEqual(printed, [], 'nothing reached the console');
  const msgs = logged
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { msg: string }).msg);
  assert.deepEqual(msgs, [...Array(7).fill('A new line'), '(console.info without text)']);
  assert.ok(!logged.includes('PRIVATE'));
  target.dir({ secret: 'x' }); // from here (not libsignal): passes through
  assert.equal(printed.length, 1);
});
