/**
 * The simulator's durable state: one SQLite file (`<dataDir>/sandbox.db`), or an in-memory database when there is no
 * data directory. Write-through: every mutation is written (synchronously, better-sqlite3) before the call that made
 * it returns, so a `kill -9` loses nothing the simulator acknowledged. WAL with synchronous=NORMAL is durable against a
 * process crash (only an OS crash can lose the last transactions), which is what a simulator needs.
 *
 * Runtime objects (phones.ts, directory.ts, signal-party.ts) stay the source of truth while running; this module only
 * stores and loads rows. JSON columns use Baileys' BufferJSON so Buffers and Signal records round-trip.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BufferJSON } from 'baileys';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS persons (number TEXT PRIMARY KEY, data TEXT NOT NULL, party TEXT);
CREATE TABLE IF NOT EXISTS received (seq INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS signal_keys (number TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (number, type, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS phones (phone TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS patches (phone TEXT NOT NULL, version INTEGER NOT NULL, patch BLOB NOT NULL, PRIMARY KEY (phone, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS devices (phone TEXT NOT NULL, id INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (phone, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS device_prekeys (phone TEXT NOT NULL, device INTEGER NOT NULL, key_id INTEGER NOT NULL, pub BLOB NOT NULL,
  PRIMARY KEY (phone, device, key_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue (seq INTEGER PRIMARY KEY AUTOINCREMENT, phone TEXT NOT NULL, device INTEGER NOT NULL, item TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS activity (seq INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT NOT NULL, entry TEXT NOT NULL);
`;
const TABLES = [
  'meta',
  'persons',
  'received',
  'signal_keys',
  'phones',
  'patches',
  'devices',
  'device_prekeys',
  'queue',
  'activity',
];

export const toJson = (v: unknown): string => JSON.stringify(v, BufferJSON.replacer);
export const fromJson = <T>(s: string): T => JSON.parse(s, BufferJSON.reviver) as T;

export const SANDBOX_DB = 'sandbox.db';

type Row = Record<string, unknown>;

export class SimStore {
  private readonly db: Database.Database;
  private readonly st: Record<string, Database.Statement>;

  /** `dataDir` undefined: an in-memory database (same code path, nothing survives the process). */
  constructor(readonly dataDir?: string) {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    this.db = new Database(dataDir ? join(dataDir, SANDBOX_DB) : ':memory:');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    const prep = (sql: string) => this.db.prepare(sql);
    this.st = {
      getMeta: prep('SELECT value FROM meta WHERE key = ?'),
      setMeta: prep(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      savePerson: prep(
        'INSERT INTO persons (number, data) VALUES (?, ?) ON CONFLICT (number) DO UPDATE SET data = excluded.data',
      ),
      saveParty: prep('UPDATE persons SET party = ? WHERE number = ?'),
      addReceived: prep('INSERT INTO received (number, data) VALUES (?, ?)'),
      setKey: prep(
        'INSERT INTO signal_keys (number, type, id, value) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value',
      ),
      delKey: prep('DELETE FROM signal_keys WHERE number = ? AND type = ? AND id = ?'),
      keysOf: prep('SELECT type, id, value FROM signal_keys WHERE number = ?'),
      delKeysOf: prep('DELETE FROM signal_keys WHERE number = ?'),
      savePhone: prep(
        'INSERT INTO phones (phone, data) VALUES (?, ?) ON CONFLICT (phone) DO UPDATE SET data = excluded.data',
      ),
      addPatch: prep('INSERT OR REPLACE INTO patches (phone, version, patch) VALUES (?, ?, ?)'),
      saveDevice: prep(
        'INSERT INTO devices (phone, id, data) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET data = excluded.data',
      ),
      delDevice: prep('DELETE FROM devices WHERE phone = ? AND id = ?'),
      addPreKey: prep('INSERT OR REPLACE INTO device_prekeys (phone, device, key_id, pub) VALUES (?, ?, ?, ?)'),
      delPreKey: prep('DELETE FROM device_prekeys WHERE phone = ? AND device = ? AND key_id = ?'),
      delPreKeys: prep('DELETE FROM device_prekeys WHERE phone = ? AND device = ?'),
      enqueue: prep('INSERT INTO queue (phone, device, item) VALUES (?, ?, ?)'),
      dequeue: prep('DELETE FROM queue WHERE seq = ?'),
      delQueue: prep('DELETE FROM queue WHERE phone = ? AND device = ?'),
      addActivity: prep('INSERT INTO activity (number, entry) VALUES (?, ?)'),
      activityOf: prep('SELECT entry FROM activity WHERE number = ? ORDER BY seq'),
    };
  }

  /** Runs a write; after close() (a stopped simulator whose background work is still finishing) it does nothing. */
  private run(stmt: string, ...args: unknown[]): Database.RunResult | undefined {
    if (!this.db.open) return undefined;
    return this.st[stmt].run(...args);
  }

  /** Runs `fn` in one transaction (one fsync-free commit for many rows, e.g. an 812-key pre-key upload). */
  tx(fn: () => void): void {
    if (this.db.open) this.db.transaction(fn)();
  }

  getMeta<T>(key: string): T | undefined {
    const row = this.st.getMeta.get(key) as { value: string } | undefined;
    return row ? fromJson<T>(row.value) : undefined;
  }
  setMeta(key: string, value: unknown): void {
    this.run('setMeta', key, toJson(value));
  }

  savePerson(number: string, data: unknown): void {
    this.run('savePerson', number, toJson(data));
  }
  /** A number made anew (after a reset) starts with no Signal keys, even if a late write of its old party left some. */
  newPerson(number: string, data: unknown): void {
    this.tx(() => {
      this.run('delKeysOf', number);
      this.run('savePerson', number, toJson(data));
    });
  }
  saveParty(number: string, party: unknown): void {
    this.run('saveParty', toJson(party), number);
  }
  addReceived(number: string, message: unknown): void {
    this.run('addReceived', number, toJson(message));
  }
  /** Every person with its party (or null) and the texts it received, oldest first. */
  loadPersons(): Array<{ number: string; data: unknown; party: unknown; received: unknown[] }> {
    const received = new Map<string, unknown[]>();
    for (const r of this.db.prepare('SELECT number, data FROM received ORDER BY seq').all() as Row[]) {
      const list = received.get(r.number as string) ?? [];
      list.push(fromJson(r.data as string));
      received.set(r.number as string, list);
    }
    return (this.db.prepare('SELECT number, data, party FROM persons').all() as Row[]).map((r) => ({
      number: r.number as string,
      data: fromJson(r.data as string),
      party: r.party ? fromJson(r.party as string) : null,
      received: received.get(r.number as string) ?? [],
    }));
  }

  /** A Signal party's key-store write (null deletes). */
  setSignalKey(number: string, type: string, id: string, value: unknown): void {
    if (value == null) this.run('delKey', number, type, id);
    else this.run('setKey', number, type, id, toJson(value));
  }
  signalKeys(number: string): Array<{ type: string; id: string; value: unknown }> {
    if (!this.db.open) return [];
    return (this.st.keysOf.all(number) as Row[]).map((r) => ({
      type: r.type as string,
      id: r.id as string,
      value: fromJson(r.value as string),
    }));
  }

  savePhone(phone: string, data: unknown): void {
    this.run('savePhone', phone, toJson(data));
  }
  addPatch(phone: string, version: number, patch: Uint8Array): void {
    this.run('addPatch', phone, version, Buffer.from(patch));
  }
  loadPhones(): Array<{ phone: string; data: unknown; patches: Buffer[] }> {
    const patches = new Map<string, Buffer[]>();
    for (const r of this.db.prepare('SELECT phone, patch FROM patches ORDER BY phone, version').all() as Row[]) {
      const list = patches.get(r.phone as string) ?? [];
      list.push(r.patch as Buffer);
      patches.set(r.phone as string, list);
    }
    return (this.db.prepare('SELECT phone, data FROM phones').all() as Row[]).map((r) => ({
      phone: r.phone as string,
      data: fromJson(r.data as string),
      patches: patches.get(r.phone as string) ?? [],
    }));
  }

  saveDevice(phone: string, id: number, data: unknown): void {
    this.run('saveDevice', phone, id, toJson(data));
  }
  /** Forgets a device with its pre-keys and queued stanzas. */
  deleteDevice(phone: string, id: number): void {
    this.tx(() => {
      this.run('delDevice', phone, id);
      this.run('delPreKeys', phone, id);
      this.run('delQueue', phone, id);
    });
  }
  addPreKeys(phone: string, device: number, keys: Iterable<[number, Buffer]>): void {
    this.tx(() => {
      for (const [id, pub] of keys) this.run('addPreKey', phone, device, id, pub);
    });
  }
  deletePreKeys(phone: string, device: number): void {
    this.run('delPreKeys', phone, device);
  }
  deletePreKey(phone: string, device: number, keyId: number): void {
    this.run('delPreKey', phone, device, keyId);
  }
  enqueue(phone: string, device: number, item: unknown): number {
    return Number(this.run('enqueue', phone, device, toJson(item))?.lastInsertRowid ?? 0);
  }
  dequeue(seq: number): void {
    this.run('dequeue', seq);
  }
  /** Devices with their pre-keys (ascending id) and queued items (oldest first). */
  loadDevices(): Array<{
    phone: string;
    id: number;
    data: unknown;
    preKeys: Array<[number, Buffer]>;
    queue: Array<{ seq: number; item: unknown }>;
  }> {
    const key = (phone: unknown, id: unknown) => `${phone}:${id}`;
    const preKeys = new Map<string, Array<[number, Buffer]>>();
    for (const r of this.db
      .prepare('SELECT phone, device, key_id, pub FROM device_prekeys ORDER BY phone, device, key_id')
      .all() as Row[]) {
      const k = key(r.phone, r.device);
      const list = preKeys.get(k) ?? [];
      list.push([r.key_id as number, r.pub as Buffer]);
      preKeys.set(k, list);
    }
    const queue = new Map<string, Array<{ seq: number; item: unknown }>>();
    for (const r of this.db.prepare('SELECT seq, phone, device, item FROM queue ORDER BY seq').all() as Row[]) {
      const k = key(r.phone, r.device);
      const list = queue.get(k) ?? [];
      list.push({ seq: r.seq as number, item: fromJson(r.item as string) });
      queue.set(k, list);
    }
    return (this.db.prepare('SELECT phone, id, data FROM devices ORDER BY phone, id').all() as Row[]).map((r) => ({
      phone: r.phone as string,
      id: r.id as number,
      data: fromJson(r.data as string),
      preKeys: preKeys.get(key(r.phone, r.id)) ?? [],
      queue: queue.get(key(r.phone, r.id)) ?? [],
    }));
  }

  addActivity(number: string, entry: unknown): void {
    this.run('addActivity', number, toJson(entry));
  }
  activity<T>(number: string): T[] {
    return (this.st.activityOf.all(number) as Row[]).map((r) => fromJson<T>(r.entry as string));
  }

  /** Forgets every phone, device, key and message (the server keys in `meta` stay: clients keep trusting the root). */
  reset(): void {
    this.tx(() => {
      for (const t of TABLES) if (t !== 'meta') this.db.exec(`DELETE FROM ${t}`);
    });
  }

  /** Size of the database file(s) in bytes (0 in memory), for the per-phone measurements. */
  sizeBytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const size = this.db.pragma('page_size', { simple: true }) as number;
    return pages * size;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
