import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { availableParallelism } from 'node:os';
import { ConfigError, defaultEngineThreads, loadConfig, secretsInFlags } from '../src/config.ts';

describe('loadConfig', () => {
  test('defaults', () => {
    assert.deepEqual(loadConfig({}, []), {
      port: 3000,
      host: '127.0.0.1',
      dataDir: './data',
      databaseUrl: null,
      adminToken: null,
      masterKey: null,
      sandbox: false,
      waUrl: null,
      waRootKey: null,
      webhookAllowPrivate: false,
      webhookRetryHorizonMs: 24 * 3_600_000,
      sendRatePerMin: 60,
      maxStreamsPerAccount: 20,
      streamReplayWindowMs: 86_400_000,
      logLevel: 'info',
      accessLog: true,
      nodeId: null,
      nodeAddress: null,
      clusterSecret: null,
      engineThreads: Math.min(4, Math.max(1, availableParallelism() - 1)),
    });
  });

  test('SWITCHBOARD_ENGINE_THREADS: 0 runs the engine in the HTTP thread; the default leaves one core to HTTP, 1 to 4 threads', () => {
    assert.equal(loadConfig({ SWITCHBOARD_ENGINE_THREADS: '0' }, []).engineThreads, 0);
    assert.equal(loadConfig({}, ['--engine-threads', '3']).engineThreads, 3);
    assert.deepEqual(
      [1, 2, 3, 8, 64].map((cores) => defaultEngineThreads(cores)),
      [1, 1, 2, 4, 4],
    );
    for (const bad of ['-1', 'two', '65', '1.5'])
      assert.throws(() => loadConfig({ SWITCHBOARD_ENGINE_THREADS: bad }, []), /SWITCHBOARD_ENGINE_THREADS/);
  });

  test('SWITCHBOARD_ACCESS_LOG=0 (or --access-log=false) turns the access lines off', () => {
    assert.equal(loadConfig({ SWITCHBOARD_ACCESS_LOG: '0' }, []).accessLog, false);
    assert.equal(loadConfig({}, ['--access-log=false']).accessLog, false);
    assert.equal(loadConfig({ SWITCHBOARD_ACCESS_LOG: '0' }, ['--access-log']).accessLog, true);
  });

  test('SWITCHBOARD_WA_ROOT_KEY is 32 bytes of hex (env or --wa-root-key)', () => {
    const hex = '744095d2a1e5c3eb753b8c2c2cd56dec72f75feb2a10ae3c8985906b59593f07';
    assert.deepEqual(loadConfig({ SWITCHBOARD_WA_ROOT_KEY: hex }, []).waRootKey, Buffer.from(hex, 'hex'));
    assert.deepEqual(loadConfig({}, ['--wa-root-key', hex.toUpperCase()]).waRootKey, Buffer.from(hex, 'hex'));
  });

  test('SWITCHBOARD_MAX_STREAMS_PER_ACCOUNT and SWITCHBOARD_STREAM_REPLAY_WINDOW', () => {
    assert.equal(loadConfig({ SWITCHBOARD_MAX_STREAMS_PER_ACCOUNT: '3' }, []).maxStreamsPerAccount, 3);
    assert.equal(loadConfig({}, ['--stream-replay-window', '2h']).streamReplayWindowMs, 7_200_000);
    assert.throws(
      () => loadConfig({ SWITCHBOARD_MAX_STREAMS_PER_ACCOUNT: '0' }, []),
      /SWITCHBOARD_MAX_STREAMS_PER_ACCOUNT/,
    );
    assert.throws(
      () => loadConfig({ SWITCHBOARD_STREAM_REPLAY_WINDOW: 'soon' }, []),
      /SWITCHBOARD_STREAM_REPLAY_WINDOW/,
    );
  });

  test('secretsInFlags: --admin-token, --master-key and a --database-url with a password are named; the rest is not', () => {
    assert.deepEqual(secretsInFlags(['serve', '--admin-token', 'x'.repeat(20), '--master-key=abc', '--port', '1']), [
      { flag: '--admin-token', variable: 'SWITCHBOARD_ADMIN_TOKEN' },
      { flag: '--master-key', variable: 'SWITCHBOARD_MASTER_KEY' },
    ]);
    assert.deepEqual(secretsInFlags(['--database-url', 'postgres://u:secret@db/x']), [
      { flag: '--database-url', variable: 'DATABASE_URL' },
    ]);
    assert.deepEqual(secretsInFlags(['--database-url=postgres://u@db/x', '--data-dir', './d']), []);
  });

  test('SWITCHBOARD_SEND_RATE_PER_MIN is a positive integer', () => {
    assert.equal(loadConfig({ SWITCHBOARD_SEND_RATE_PER_MIN: '20' }, []).sendRatePerMin, 20);
    assert.equal(loadConfig({}, ['--send-rate-per-min', '5']).sendRatePerMin, 5);
    for (const bad of ['0', '-1', '1.5', 'fast']) {
      assert.throws(
        () => loadConfig({ SWITCHBOARD_SEND_RATE_PER_MIN: bad }, []),
        (err: unknown) => err instanceof ConfigError && /SWITCHBOARD_SEND_RATE_PER_MIN/.test(err.message),
      );
    }
  });

  test('SWITCHBOARD_WEBHOOK_RETRY_HORIZON takes seconds or a unit; nonsense is refused', () => {
    const horizon = (value: string) =>
      loadConfig({ SWITCHBOARD_WEBHOOK_RETRY_HORIZON: value }, []).webhookRetryHorizonMs;
    assert.equal(horizon('90'), 90_000);
    assert.equal(horizon('30m'), 1_800_000);
    assert.equal(horizon('2h'), 7_200_000);
    assert.equal(horizon('7d'), 604_800_000);
    assert.equal(loadConfig({}, ['--webhook-retry-horizon', '500ms']).webhookRetryHorizonMs, 500);
    for (const bad of ['0', '-5', '1y', 'soon']) {
      assert.throws(
        () => horizon(bad),
        (err: unknown) => err instanceof ConfigError && /SWITCHBOARD_WEBHOOK_RETRY_HORIZON/.test(err.message),
      );
    }
  });

  test('environment values are read', () => {
    const c = loadConfig(
      {
        PORT: '4000',
        HOST: '0.0.0.0',
        SWITCHBOARD_DATA_DIR: '/tmp/x',
        DATABASE_URL: 'postgresql://u:p@db/sb',
        SWITCHBOARD_ADMIN_TOKEN: 'a'.repeat(16),
        SWITCHBOARD_MASTER_KEY: 'k',
        SWITCHBOARD_SANDBOX: 'true',
        SWITCHBOARD_WA_URL: 'ws://127.0.0.1:9000/ws',
        SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE: '1',
        LOG_LEVEL: 'debug',
      },
      [],
    );
    assert.equal(c.port, 4000);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.dataDir, '/tmp/x');
    assert.equal(c.databaseUrl, 'postgresql://u:p@db/sb');
    assert.equal(c.adminToken, 'a'.repeat(16));
    assert.equal(c.masterKey, 'k');
    assert.equal(c.sandbox, true);
    assert.equal(c.waUrl, 'ws://127.0.0.1:9000/ws');
    assert.equal(c.webhookAllowPrivate, true);
    assert.equal(c.logLevel, 'debug');
  });

  test('flags win over the environment; a leading "serve" is skipped; --x=y and bare booleans work', () => {
    const c = loadConfig({ PORT: '4000', SWITCHBOARD_SANDBOX: '0' }, [
      'serve',
      '--port',
      '5000',
      '--data-dir=/tmp/d',
      '--sandbox',
      '--log-level',
      'warn',
    ]);
    assert.equal(c.port, 5000);
    assert.equal(c.dataDir, '/tmp/d');
    assert.equal(c.sandbox, true);
    assert.equal(c.logLevel, 'warn');
  });

  const bad: Array<[string, Record<string, string>, string[]]> = [
    ['PORT', { PORT: '0' }, []],
    ['PORT', { PORT: '65536' }, []],
    ['PORT', { PORT: 'abc' }, []],
    ['PORT', {}, ['--port', '-1']],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }, []],
    ['SWITCHBOARD_ADMIN_TOKEN', { SWITCHBOARD_ADMIN_TOKEN: 'short' }, []],
    ['SWITCHBOARD_SANDBOX', { SWITCHBOARD_SANDBOX: 'yes' }, []],
    ['SWITCHBOARD_WA_URL', { SWITCHBOARD_WA_URL: 'http://x' }, []],
    ['SWITCHBOARD_WA_ROOT_KEY', { SWITCHBOARD_WA_ROOT_KEY: 'abc' }, []],
    ['SWITCHBOARD_WA_ROOT_KEY', { SWITCHBOARD_WA_ROOT_KEY: 'z'.repeat(64) }, []],
    ['SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE', { SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE: '2' }, []],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, []],
    ['SWITCHBOARD_ACCESS_LOG', { SWITCHBOARD_ACCESS_LOG: 'off' }, []],
    ['--bogus', {}, ['--bogus', '1']],
  ];
  for (const [variable, env, argv] of bad) {
    test(`invalid ${variable} (${JSON.stringify(env)} ${argv.join(' ')}) → one-line ConfigError naming it`, () => {
      assert.throws(
        () => loadConfig(env, argv),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.ok(err.message.includes(variable), err.message);
          assert.ok(!err.message.includes('\n'));
          return true;
        },
      );
    });
  }

  test('the admin token value is never echoed in the error', () => {
    assert.throws(
      () => loadConfig({ SWITCHBOARD_ADMIN_TOKEN: 'secret-ish' }, []),
      (err: Error) => !err.message.includes('secret-ish'),
    );
  });
});

describe('bin/switchboard.mjs with a bad PORT', () => {
  test('prints one line naming PORT on stderr and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
    try {
      const res = spawnSync(process.execPath, ['bin/switchboard.mjs', 'serve'], {
        env: { ...process.env, PORT: '99999', SWITCHBOARD_DATA_DIR: dir },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(res.status, 1);
      const lines = res.stderr.split('\n').filter((l) => l.length > 0);
      assert.equal(lines.length, 1, res.stderr);
      assert.match(lines[0], /PORT/);
      assert.doesNotMatch(res.stderr, /\bat .*\(/); // no stack frames
      assert.equal(res.stdout, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
