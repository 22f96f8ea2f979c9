/**
 * Several nodes on one PostgreSQL (docs/multi-node.md): three real gateway processes with the default lease timings
 * (ttl 10 s), a simulator in this process.
 *
 * 1. Pairing: N instances linked through the three nodes in turn (each is owned by the node that started it).
 * 2. Join: every node stopped gracefully (leases released), then the three started together: time until all N are
 *    WORKING again from stored credentials, and how the claims split them (instances per node).
 * 3. Failover: kill -9 of one node, then of a second: time from the kill until every instance the dead node held is
 *    WORKING again on a survivor (lease expiry + claim + reconnect), and the split afterwards.
 *
 *   node --import tsx bench/cluster.ts [--instances 100] [--concurrency 3]
 *   npm run bench -- cluster
 *
 * `/me` on PostgreSQL vs SQLite is `npm run bench -- http --pg` (bench/http.ts), not repeated here.
 */
import { startSimulator } from '../sim/index.ts';
import { ClusterHarness, type NodeProcess } from '../test/harness/cluster.ts';
import { PG_URL, dropSchema, pgQuery, randomSchema } from '../test/store/pg.ts';
import { intFlag, sec, sleep } from './lib/stats.ts';

const argv = process.argv.slice(2);
const count = intFlag(argv, 'instances', 100);
const concurrency = intFlag(argv, 'concurrency', 3);
const log = (s: string) => process.stderr.write(`[cluster] ${s}\n`);

const NODES = ['node-a', 'node-b', 'node-c'];
const schema = randomSchema();
const sim = await startSimulator({ port: 0 });
const cluster = new ClusterHarness(schema, sim);
await pgQuery(`CREATE SCHEMA "${schema}"`);

/** Instance id → node id, for live leases; per node counts in NODES order. */
const perNode = (owners: Record<string, string>, ids: string[]) =>
  NODES.map((n) => ids.filter((id) => owners[id] === n).length);

/** The newest status_history row of each instance. */
async function latest(ids: string[]): Promise<Map<string, { id: number; status: string; reason: string }>> {
  const rows = await pgQuery<{ instance_id: string; id: string; status: string; reason: string }>(
    `SELECT DISTINCT ON (instance_id) instance_id, id, status, reason FROM "${schema}".status_history
      WHERE instance_id = ANY($1) ORDER BY instance_id, id DESC`,
    [ids],
  );
  return new Map(rows.map((r) => [r.instance_id, { id: Number(r.id), status: r.status, reason: r.reason }]));
}

/** Polls until every one of `ids` has a WORKING row newer than `after` (history id); resolves with the elapsed ms. */
async function workingAgain(ids: string[], after: number, t0: number, limitMs = 120_000): Promise<number> {
  for (;;) {
    const rows = await latest(ids);
    if (ids.every((id) => (rows.get(id)?.id ?? 0) > after && rows.get(id)!.status === 'WORKING')) {
      return performance.now() - t0;
    }
    if (performance.now() - t0 > limitMs) throw new Error(`not all WORKING after ${limitMs} ms`);
    await sleep(100);
  }
}

const maxHistoryId = async () =>
  Number((await pgQuery<{ m: string | null }>(`SELECT max(id) AS m FROM "${schema}".status_history`))[0].m ?? 0);

const rows: string[][] = [];
try {
  log(`PostgreSQL ${new URL(PG_URL).host}, schema ${schema}; ${count} instances on ${NODES.length} nodes`);
  let nodes: NodeProcess[] = [];
  for (const id of NODES) nodes.push(await cluster.start(id));
  const { token } = await cluster.account(nodes[0], count);

  // 1. Pairing, `concurrency` at a time, round-robin over the nodes.
  const ids: string[] = [];
  const tPair = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const phone = `2010666${String(i).padStart(5, '0')}`;
        ids.push(await cluster.link(nodes[i % nodes.length], token, `b${i}`, phone));
      }
    }),
  );
  await cluster.allWorking(ids, 300_000);
  log(`paired ${count} in ${sec(performance.now() - tPair)}`);

  // 2. Graceful stop of all, then the three start together and claim.
  await Promise.all(nodes.map((n) => cluster.kill(n, 'SIGTERM')));
  const beforeJoin = await maxHistoryId();
  const tJoin = performance.now();
  nodes = await Promise.all(NODES.map((id) => cluster.start(id)));
  const joinMs = await workingAgain(ids, beforeJoin, tJoin);
  const joined = perNode(await cluster.owners(), ids);
  log(`join: all WORKING in ${sec(joinMs)}, split ${joined.join('/')}`);
  rows.push([
    `3 nodes started together, ${count} instances to restore`,
    `all WORKING after ${sec(joinMs)} (from the spawn)`,
    joined.join(' / '),
  ]);

  // 3. Failover: kill -9 of node-a, then of node-b.
  for (const victim of ['node-a', 'node-b']) {
    const owners = await cluster.owners();
    const held = ids.filter((id) => owners[id] === victim);
    const mark = await maxHistoryId();
    const node = cluster.nodes.get(victim)!;
    const t0 = performance.now();
    await cluster.kill(node);
    const ms = await workingAgain(held, mark, t0);
    const lost = [...(await latest(held)).values()].length;
    const split = perNode(await cluster.owners(), ids);
    log(
      `kill -9 ${victim}: ${held.length} instances WORKING on the survivors after ${sec(ms)}; split ${split.join('/')}`,
    );
    rows.push([
      `kill -9 of ${victim} (${held.length} instances${lost === held.length ? '' : '?'})`,
      `all ${held.length} WORKING again after **${sec(ms)}**`,
      split.join(' / '),
    ]);
  }
} finally {
  await cluster.stopAll();
  await sim.stop();
  await dropSchema(schema);
}

process.stdout.write(
  [
    `${count} instances, 3 gateway processes (default lease timings: ttl 10 s, renewal 3 s, scan 1 s), PostgreSQL, simulator in the bench process.`,
    '',
    '| step | time | instances per node (a / b / c) |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n'),
);
process.exit(0);
