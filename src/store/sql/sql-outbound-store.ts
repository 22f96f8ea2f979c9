import {
  OUTBOUND_ERROR_MAX,
  type NewOutbound,
  type OutboundRecord,
  type OutboundStatus,
  type OutboundStore,
} from '../outbound-store.ts';
import type { SqlConn } from './sql-driver.ts';
import { iso } from './rows.ts';

/** The outbound queue on either SQL dialect; bound to the store's connection, so inside `tx` it is transactional. */

type Row = Record<string, unknown>;

const COLS =
  'seq, id, instance_id, account_id, chat_jid, body, reply_to, status, attempts, last_error, next_attempt_at, ' +
  'sent_at, wa_timestamp, created_at';

const toOutbound = (r: Row): OutboundRecord => ({
  seq: Number(r.seq),
  id: String(r.id),
  instanceId: String(r.instance_id),
  accountId: String(r.account_id),
  chatJid: String(r.chat_jid),
  body: String(r.body),
  replyTo: r.reply_to === null || r.reply_to === undefined ? null : String(r.reply_to),
  status: String(r.status) as OutboundStatus,
  attempts: Number(r.attempts),
  lastError: r.last_error === null || r.last_error === undefined ? null : String(r.last_error),
  nextAttemptAt: iso(r.next_attempt_at),
  createdAt: iso(r.created_at),
  sentAt: r.sent_at === null || r.sent_at === undefined ? null : iso(r.sent_at),
  waTimestamp: r.wa_timestamp === null || r.wa_timestamp === undefined ? null : Number(r.wa_timestamp),
});

export class SqlOutboundStore implements OutboundStore {
  constructor(private readonly db: SqlConn) {}

  async enqueue(m: NewOutbound): Promise<OutboundRecord> {
    const at = m.createdAt ?? new Date().toISOString();
    const rows = await this.db.all(
      `INSERT INTO outbound_messages (id, instance_id, account_id, chat_jid, body, reply_to, status, attempts, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?) RETURNING ${COLS}`,
      [m.id, m.instanceId, m.accountId, m.chatJid, m.body, m.replyTo, at, at],
    );
    return toOutbound(rows[0]!);
  }

  async get(id: string): Promise<OutboundRecord | null> {
    const rows = await this.db.all(`SELECT ${COLS} FROM outbound_messages WHERE id = ?`, [id]);
    return rows[0] ? toOutbound(rows[0]) : null;
  }

  async head(instanceId: string): Promise<OutboundRecord | null> {
    const rows = await this.db.all(
      `SELECT ${COLS} FROM outbound_messages WHERE instance_id = ? AND status = 'queued' ORDER BY seq LIMIT 1`,
      [instanceId],
    );
    return rows[0] ? toOutbound(rows[0]) : null;
  }

  async markSent(id: string, sent: { sentAt: string; waTimestamp: number }): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE outbound_messages SET status = 'sent', sent_at = ?, wa_timestamp = ?, attempts = attempts + 1
       WHERE id = ? AND status = 'queued'`,
      [sent.sentAt, sent.waTimestamp, id],
    );
    return changed > 0;
  }

  async recordFailure(
    id: string,
    failure: { error: string; nextAttemptAt: string; final: boolean },
  ): Promise<OutboundRecord | null> {
    const rows = await this.db.all(
      `UPDATE outbound_messages SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, status = ?
       WHERE id = ? AND status = 'queued' RETURNING ${COLS}`,
      [failure.error.slice(0, OUTBOUND_ERROR_MAX), failure.nextAttemptAt, failure.final ? 'failed' : 'queued', id],
    );
    return rows[0] ? toOutbound(rows[0]) : null;
  }

  async countQueued(instanceId: string): Promise<number> {
    const rows = await this.db.all<{ n: unknown }>(
      "SELECT COUNT(*) AS n FROM outbound_messages WHERE instance_id = ? AND status = 'queued'",
      [instanceId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async queuedInstances(): Promise<string[]> {
    const rows = await this.db.all("SELECT DISTINCT instance_id FROM outbound_messages WHERE status = 'queued'");
    return rows.map((r) => String(r.instance_id));
  }
}
