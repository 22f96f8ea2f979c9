import { newId } from '../../lib/index.ts';
import type { EventRecord } from '../store.ts';
import {
  LAST_ERROR_MAX_BYTES,
  eventMatches,
  type ClaimedLane,
  type DeliveryFilter,
  type DeliveryOutcome,
  type DeliveryRecord,
  type DeliveryWork,
  type NewSubscription,
  type SubscriptionRecord,
  type WebhookStore,
} from '../webhooks-store.ts';
import type { SqlConn, SqlDriver } from './sql-driver.ts';
import { chunks } from '../../lib/index.ts';
import {
  DELIVERY_COLS,
  SUBSCRIPTION_COLS,
  laneId,
  toDelivery,
  toDeliveryWork,
  toSubscription,
  truncateUtf8,
} from './webhook-rows.ts';

type Atomic = <T>(fn: (db: SqlConn) => Promise<T>) => Promise<T>;

const CHUNK = 100;
const UNDONE = "('pending', 'failed')";
const DELIVERY_INSERT =
  'INSERT INTO webhook_deliveries (id, subscription_id, lane_id, account_id, instance_id, event_seq, event_id, event, ' +
  'status, attempts, generation, queued_at, next_attempt_at, created_at) VALUES ';
const DELIVERY_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?, ?, ?)";
/** Fan-out never moves a lane's wake time: a new delivery is never ahead of the lane's existing undone ones. */
const LANE_UPSERT_KEEP = 'ON CONFLICT (id) DO UPDATE SET wake_at = COALESCE(webhook_lanes.wake_at, excluded.wake_at)';
/** A redelivery may become the lane's head: wake no later than it. */
const LANE_UPSERT_EARLIER =
  'ON CONFLICT (id) DO UPDATE SET wake_at = CASE WHEN webhook_lanes.wake_at IS NULL OR webhook_lanes.wake_at > excluded.wake_at ' +
  'THEN excluded.wake_at ELSE webhook_lanes.wake_at END';

interface Pair {
  subscriptionId: string;
  event: Pick<EventRecord, 'seq' | 'id' | 'accountId' | 'instanceId' | 'event'>;
}

/** Inserts pending deliveries for (event, subscription) pairs and wakes their lanes. */
async function queuePairs(
  db: SqlConn,
  pairs: Pair[],
  now: string,
  onConflict: string,
  laneConflict: string,
): Promise<void> {
  for (const part of chunks(pairs, CHUNK)) {
    await db.run(
      `${DELIVERY_INSERT}${part.map(() => DELIVERY_ROW).join(', ')} ${onConflict}`,
      part.flatMap(({ subscriptionId, event }) => [
        newId('dlv'),
        subscriptionId,
        laneId(subscriptionId, event.instanceId),
        event.accountId,
        event.instanceId,
        event.seq,
        event.id,
        event.event,
        now,
        now,
        now,
      ]),
    );
    // One row per lane per statement (PostgreSQL refuses to upsert the same row twice in one statement).
    const lanes = new Map(part.map((p) => [laneId(p.subscriptionId, p.event.instanceId), p]));
    await db.run(
      `INSERT INTO webhook_lanes (id, subscription_id, instance_id, wake_at) VALUES ${[...lanes.values()].map(() => '(?, ?, ?, ?)').join(', ')} ${laneConflict}`,
      [...lanes].flatMap(([id, p]) => [id, p.subscriptionId, p.event.instanceId, now]),
    );
  }
}

/**
 * Called by appendEvent inside the event's transaction: one pending delivery per active subscription (the instance's
 * own and the account-wide ones) whose filter takes the event. Exactly once per (event, subscription): the event row is
 * new in this very transaction, and (event_seq, subscription_id) is unique anyway.
 */
export async function fanOutEvent(db: SqlConn, event: EventRecord): Promise<void> {
  const subs = await db.all<{ id: string; events: string }>(
    `SELECT id, CAST(events AS TEXT) AS events FROM webhook_subscriptions
      WHERE account_id = ? AND is_active = ? AND (instance_id = ? OR instance_id IS NULL)`,
    [event.accountId, true, event.instanceId],
  );
  const pairs = subs
    .filter((s) => eventMatches(JSON.parse(s.events) as string[], event.event))
    .map((s) => ({ subscriptionId: s.id, event }));
  if (pairs.length > 0) await queuePairs(db, pairs, new Date().toISOString(), '', LANE_UPSERT_KEEP);
}

/** One attempt's outcome; only while the delivery is undone and still of that generation. */
async function complete(db: SqlConn, id: string, generation: number, outcome: DeliveryOutcome): Promise<boolean> {
  const error = outcome.status === 'delivered' ? null : truncateUtf8(outcome.error, LAST_ERROR_MAX_BYTES);
  const changed = await db.run(
    `UPDATE webhook_deliveries
        SET status = ?, attempts = attempts + 1, last_error = COALESCE(?, last_error), response_code = ?,
            next_attempt_at = ?, delivered_at = ?
      WHERE id = ? AND generation = ? AND status IN ${UNDONE}`,
    [
      outcome.status,
      error,
      outcome.responseCode,
      outcome.status === 'failed' ? outcome.nextAttemptAt : null,
      outcome.status === 'delivered' ? outcome.at : null,
      id,
      generation,
    ],
  );
  return changed > 0;
}

/** The webhook half of the SQL store (see webhooks-store.ts); `db` is the store's connection or its transaction's. */
export class SqlWebhookStore implements WebhookStore {
  constructor(
    private readonly driver: SqlDriver,
    private readonly db: SqlConn,
    private readonly atomic: Atomic,
  ) {}

  async createSubscription(input: NewSubscription): Promise<SubscriptionRecord> {
    const rows = await this.db.all(
      `INSERT INTO webhook_subscriptions (id, account_id, instance_id, url, events, secret, is_active, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${SUBSCRIPTION_COLS}`,
      [
        input.id,
        input.accountId,
        input.instanceId,
        input.url,
        JSON.stringify(input.events),
        input.secret,
        input.isActive,
        new Date().toISOString(),
      ],
    );
    return toSubscription(rows[0]!);
  }

  async updateSubscription(
    id: string,
    patch: Partial<Pick<SubscriptionRecord, 'events' | 'isActive' | 'secret'>>,
  ): Promise<SubscriptionRecord | null> {
    const columns: Array<[string, unknown]> = [];
    if (patch.events !== undefined) columns.push(['events', JSON.stringify(patch.events)]);
    if (patch.isActive !== undefined) columns.push(['is_active', patch.isActive]);
    if (patch.secret !== undefined) columns.push(['secret', patch.secret]);
    const set = columns.length > 0 ? columns.map(([c]) => `${c} = ?`).join(', ') : 'id = id';
    const rows = await this.db.all(
      `UPDATE webhook_subscriptions SET ${set} WHERE id = ? RETURNING ${SUBSCRIPTION_COLS}`,
      [...columns.map(([, v]) => v), id],
    );
    return rows[0] ? toSubscription(rows[0]) : null;
  }

  async deleteSubscription(id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM webhook_subscriptions WHERE id = ?', [id])) > 0;
  }

  async listSubscriptions(scope: { accountId: string; instanceId: string | null }): Promise<SubscriptionRecord[]> {
    const byInstance = scope.instanceId !== null;
    const rows = await this.db.all(
      `SELECT ${SUBSCRIPTION_COLS} FROM webhook_subscriptions
        WHERE account_id = ? AND ${byInstance ? 'instance_id = ?' : 'instance_id IS NULL'} ORDER BY created_at, id`,
      byInstance ? [scope.accountId, scope.instanceId] : [scope.accountId],
    );
    return rows.map(toSubscription);
  }

  // --- dispatch ---

  async claimLanes(opts: { now: string; leaseUntil: string; limit: number; token: string }): Promise<ClaimedLane[]> {
    const rows = await this.db.all<{ id: string; subscription_id: string; instance_id: string }>(
      `UPDATE webhook_lanes SET lease_until = ?, lease_token = ?
        WHERE id IN (SELECT id FROM webhook_lanes
                      WHERE wake_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
                      ORDER BY wake_at LIMIT ?${this.driver.skipLocked})
       RETURNING id, subscription_id, instance_id`,
      [opts.leaseUntil, opts.token, opts.now, opts.now, opts.limit],
    );
    return rows.map((r) => ({
      id: r.id,
      subscriptionId: r.subscription_id,
      instanceId: r.instance_id,
      leaseToken: opts.token,
    }));
  }

  async renewLane(id: string, token: string, leaseUntil: string): Promise<boolean> {
    return (
      (await this.db.run('UPDATE webhook_lanes SET lease_until = ? WHERE id = ? AND lease_token = ?', [
        leaseUntil,
        id,
        token,
      ])) > 0
    );
  }

  releaseLane(id: string, token: string): Promise<void> {
    return this.atomic(async (db) => {
      // Lock the lane first, then look for its head: on PostgreSQL a fan-out that commits while we wait for the lock
      // is then visible to the SELECT (a new snapshot per statement), and one that has not upserted the lane yet will
      // find our wake time NULL and set its own. Either way no delivery is left with an idle lane.
      const held = await db.run(
        'UPDATE webhook_lanes SET lease_until = NULL, lease_token = NULL WHERE id = ? AND lease_token = ?',
        [id, token],
      );
      if (held === 0) return;
      const head = await db.all<{ next_attempt_at: unknown }>(
        `SELECT next_attempt_at FROM webhook_deliveries WHERE lane_id = ? AND status IN ${UNDONE} ORDER BY event_seq LIMIT 1`,
        [id],
      );
      await db.run('UPDATE webhook_lanes SET wake_at = ? WHERE id = ?', [head[0]?.next_attempt_at ?? null, id]);
    });
  }

  async releaseAllLanes(): Promise<number> {
    return this.db.run('UPDATE webhook_lanes SET lease_until = NULL, lease_token = NULL WHERE lease_token IS NOT NULL');
  }

  async laneDeliveries(id: string, limit: number): Promise<DeliveryWork[]> {
    const rows = await this.db.all(
      `SELECT ${DELIVERY_COLS}, s.secret, CAST(e.payload AS TEXT) AS payload
         FROM webhook_deliveries d
         JOIN webhook_subscriptions s ON s.id = d.subscription_id
         JOIN events e ON e.seq = d.event_seq
        WHERE d.lane_id = ? AND d.status IN ${UNDONE}
        ORDER BY d.event_seq LIMIT ?`,
      [id, limit],
    );
    return rows.map(toDeliveryWork);
  }

  completeDelivery(id: string, generation: number, outcome: DeliveryOutcome): Promise<boolean> {
    return complete(this.db, id, generation, outcome);
  }

  completeDeliveries(items: Array<{ id: string; generation: number; outcome: DeliveryOutcome }>): Promise<boolean[]> {
    if (items.length === 0) return Promise.resolve([]);
    return this.atomic(async (db) => {
      const done: boolean[] = [];
      for (const item of items) done.push(await complete(db, item.id, item.generation, item.outcome));
      return done;
    });
  }

  // --- inspection and replay ---

  async getDelivery(id: string): Promise<DeliveryRecord | null> {
    const rows = await this.db.all(
      `SELECT ${DELIVERY_COLS} FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE d.id = ?`,
      [id],
    );
    return rows[0] ? toDelivery(rows[0]) : null;
  }

  async listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]> {
    const where = ['d.account_id = ?'];
    const params: unknown[] = [filter.accountId];
    if (filter.instanceId !== undefined) {
      where.push('d.instance_id = ?');
      params.push(filter.instanceId);
    }
    if (filter.status !== undefined) {
      where.push('d.status = ?');
      params.push(filter.status);
    }
    if (filter.since !== undefined) {
      where.push('d.created_at >= ?');
      params.push(filter.since);
    }
    const rows = await this.db.all(
      `SELECT ${DELIVERY_COLS} FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
        WHERE ${where.join(' AND ')} ORDER BY d.created_at DESC, d.event_seq DESC, d.id DESC LIMIT ?`,
      [...params, filter.limit],
    );
    return rows.map(toDelivery);
  }

  redeliver(id: string, now: string): Promise<boolean> {
    return this.atomic(async (db) => {
      const rows = await db.all<{ lane_id: string; subscription_id: string; instance_id: string }>(
        `UPDATE webhook_deliveries
            SET status = 'pending', attempts = 0, generation = generation + 1, queued_at = ?, next_attempt_at = ?, delivered_at = NULL
          WHERE id = ? RETURNING lane_id, subscription_id, instance_id`,
        [now, now, id],
      );
      const r = rows[0];
      if (!r) return false;
      await db.run(
        `INSERT INTO webhook_lanes (id, subscription_id, instance_id, wake_at) VALUES (?, ?, ?, ?) ${LANE_UPSERT_EARLIER}`,
        [r.lane_id, r.subscription_id, r.instance_id, now],
      );
      return true;
    });
  }

  redeliverRange(opts: {
    accountId: string;
    instanceId?: string;
    since: string;
    until: string;
    now: string;
  }): Promise<number> {
    return this.atomic(async (db) => {
      const subs = (
        await db.all(`SELECT ${SUBSCRIPTION_COLS} FROM webhook_subscriptions WHERE account_id = ? AND is_active = ?`, [
          opts.accountId,
          true,
        ])
      )
        .map(toSubscription)
        .filter((s) => s.instanceId === null || opts.instanceId === undefined || s.instanceId === opts.instanceId);
      if (subs.length === 0) return 0;
      const byInstance = opts.instanceId !== undefined;
      let after = 0;
      let queued = 0;
      for (;;) {
        const events = await db.all<{ seq: unknown; id: string; instance_id: string; event: string }>(
          `SELECT seq, id, instance_id, event FROM events
            WHERE account_id = ?${byInstance ? ' AND instance_id = ?' : ''} AND created_at >= ? AND created_at <= ? AND seq > ?
            ORDER BY seq LIMIT 500`,
          [opts.accountId, ...(byInstance ? [opts.instanceId] : []), opts.since, opts.until, after],
        );
        if (events.length === 0) return queued;
        const pairs: Pair[] = [];
        for (const e of events) {
          const event = {
            seq: Number(e.seq),
            id: e.id,
            accountId: opts.accountId,
            instanceId: e.instance_id,
            event: e.event,
          };
          for (const s of subs) {
            if ((s.instanceId === null || s.instanceId === e.instance_id) && eventMatches(s.events, e.event)) {
              pairs.push({ subscriptionId: s.id, event });
            }
          }
        }
        await queuePairs(
          db,
          pairs,
          opts.now,
          `ON CONFLICT (event_seq, subscription_id) DO UPDATE SET status = 'pending', attempts = 0,
             generation = webhook_deliveries.generation + 1, queued_at = excluded.queued_at,
             next_attempt_at = excluded.next_attempt_at, delivered_at = NULL`,
          LANE_UPSERT_EARLIER,
        );
        queued += pairs.length;
        after = Number(events[events.length - 1]!.seq);
      }
    });
  }
}
