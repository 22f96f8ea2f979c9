/**
 * Webhook throughput: events/s the dispatcher delivers to a local receiver (its own process), 100 instances, one
 * account-wide subscription (so 100 ordered lanes). Events are appended through the store first, as the status
 * recorder does (fan-out into deliveries in the same transaction), to isolate the dispatcher; then the dispatcher
 * starts and the clock runs until the receiver has every event id. Zero loss is checked id by id.
 *
 *   node --import tsx bench/webhooks.ts [--instances 100] [--events 20000] [--concurrency 128] [--pg]
 *   npm run bench -- webhooks
 *
 * --pg runs against PostgreSQL (SWITCHBOARD_TEST_PG_URL or postgres://127.0.0.1:5432/test, throwaway schema).
 */
import { fork } from 'node:child_process';
import { benchTempDir, killWithBench } from './lib/processes.ts';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { WebhookDispatcher } from '../src/webhooks/index.ts';
import { WebhookService } from '../src/webhooks/index.ts';
import { newId, newInstanceId } from '../src/lib/index.ts';
import { openStore } from '../src/store/index.ts';
import type { Store } from '../src/store/index.ts';
import { intFlag, sleep } from './lib/stats.ts';

const argv = process.argv.slice(2);
const instances = intFlag(argv, 'instances', 100);
const total = intFlag(argv, 'events', 20_000);
const concurrency = intFlag(argv, 'concurrency', 128);
const pg = argv.includes('--pg');
const log = (s: string) => process.stderr.write(`[webhooks] ${s}\n`);

const receiver = killWithBench(
  fork(fileURLToPath(new URL('./lib/webhook-receiver.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  }),
);
const ask = <T>(msg: object): Promise<T> =>
  new Promise((resolve) => {
    receiver.once('message', (m) => resolve(m as T));
    receiver.send(msg);
  });
const { port } = await new Promise<{ port: number }>((resolve) =>
  receiver.once('message', (m) => resolve(m as { port: number })),
);

const dir = benchTempDir('sb-bench-webhooks-');
const schema = `sb_bench_${randomBytes(4).toString('hex')}`;
const store: Store = await openStore({
  dataDir: dir,
  databaseUrl: pg ? (process.env.SWITCHBOARD_TEST_PG_URL ?? 'postgres://127.0.0.1:5432/test') : null,
  schema: pg ? schema : undefined,
});
let dispatcher: WebhookDispatcher | null = null;
try {
  const account = await store.createAccount({ name: 'bench', maxInstances: instances });
  const ids: string[] = [];
  for (let i = 0; i < instances; i++) {
    const id = newInstanceId();
    await store.createInstance({
      id,
      accountId: account.id,
      name: `b${i}`,
      config: { expectedPhone: null, signature: null },
      status: 'WORKING',
      reason: 'connected',
    });
    ids.push(id);
  }
  const service = new WebhookService(store, randomBytes(32), { allowPrivate: true });
  await service.replace(
    { accountId: account.id, instanceId: null },
    await service.prepare([{ url: `http://127.0.0.1:${port}/hook` }]),
  );

  // The backlog: round-robin over the instances, each event a full envelope as the status recorder writes it.
  const eventIds: string[] = [];
  const t0 = performance.now();
  for (let n = 0; n < total; n++) {
    const instanceId = ids[n % instances]!;
    const id = newId('evt');
    eventIds.push(id);
    const envelope = {
      id,
      timestamp: Date.now(),
      session: instanceId,
      instance_id: instanceId,
      engine: 'BAILEYS',
      event: 'message',
      payload: {
        id: `m${n}`,
        from: '201000000000@c.us',
        to: '201111111111@c.us',
        fromMe: false,
        body: `hello ${n}`,
        hasMedia: false,
        ack: 1,
        ackName: 'SERVER',
        replyTo: null,
        pushName: 'Bench',
      },
      me: null,
    };
    await store.appendEvent({ id, accountId: account.id, instanceId, event: 'message', payload: envelope });
  }
  const appendSec = (performance.now() - t0) / 1000;
  log(`appended ${total} events in ${appendSec.toFixed(1)} s (${Math.round(total / appendSec)}/s, with fan-out)`);

  dispatcher = new WebhookDispatcher({
    store,
    secrets: service.secrets,
    logger: pino({ level: 'warn' }),
    options: { allowPrivate: true, concurrency, pollMs: 200 },
  });
  const t1 = performance.now();
  await dispatcher.start();
  let counts = { requests: 0, unique: 0 };
  while (counts.unique < total) {
    await sleep(50);
    counts = await ask<{ requests: number; unique: number }>({ cmd: 'count' });
    if (performance.now() - t1 > 600_000) throw new Error(`gave up: ${counts.unique}/${total} after 10 min`);
  }
  const sec = (performance.now() - t1) / 1000;
  await dispatcher.stop();
  dispatcher = null;
  const { missing } = await ask<{ missing: string[] }>({ cmd: 'check', ids: eventIds });
  const undone = (await store.webhooks.listDeliveries({ accountId: account.id, status: 'pending', limit: 10 })).length;
  const rate = Math.round(total / sec);
  log(
    `delivered ${total} in ${sec.toFixed(2)} s: ${rate}/s; duplicates ${counts.requests - counts.unique}; missing ${missing.length}`,
  );

  const cmd = `node --import tsx bench/webhooks.ts --instances ${instances} --events ${total} --concurrency ${concurrency}${pg ? ' --pg' : ''}`;
  process.stdout.write(
    [
      '### Webhooks: delivery throughput (backlog drain to a local receiver)',
      '',
      '| store | instances (lanes) | events | concurrency | delivered/s | drain time | duplicates | lost | target |',
      '|---|---|---|---|---|---|---|---|---|',
      `| ${store.kind} | ${instances} | ${total} | ${concurrency} | **${rate}** | ${sec.toFixed(2)} s | ${counts.requests - counts.unique} | ${missing.length} | ≥ 5,000/s, 0 lost: ${rate >= 5000 && missing.length === 0 ? 'met' : 'NOT met'} |`,
      '',
      `Command: \`${cmd}\`. Append (with fan-out, not timed above): ${Math.round(total / appendSec)} events/s. Still pending after: ${undone}.`,
      '',
    ].join('\n'),
  );
} finally {
  await dispatcher?.stop();
  await store.close();
  receiver.disconnect();
  rmSync(dir, { recursive: true, force: true });
  if (pg) {
    const pgmod = await import('pg');
    const client = new pgmod.default.Client({
      connectionString: process.env.SWITCHBOARD_TEST_PG_URL ?? 'postgres://127.0.0.1:5432/test',
    });
    await client
      .connect()
      .then(() => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))
      .finally(() => client.end());
  }
}
