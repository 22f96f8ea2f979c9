import { availableParallelism } from 'node:os';

/**
 * Runtime configuration from the environment and `--kebab-case` flags (flags win). Every problem is a
 * ConfigError whose message is one line naming the variable, so main.ts can print it without a stack trace.
 */

/** Default engine threads: every core but the HTTP thread's, at least one, at most four. */
export function defaultEngineThreads(cores: number = availableParallelism()): number {
  return Math.min(4, Math.max(1, cores - 1));
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`.replace(/[\r\n]+/g, ' '));
    this.name = 'ConfigError';
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  adminToken: string | null;
  /** Passed as is to the store's master-key loader, which validates it (and names the variable). */
  masterKey: string | null;
  sandbox: boolean;
  waUrl: string | null;
  /** 32-byte root public key the service's certificate chain must be signed by (null: WhatsApp's own). */
  waRootKey: Buffer | null;
  webhookAllowPrivate: boolean;
  /** How long a webhook delivery is retried before it is dead (SWITCHBOARD_WEBHOOK_RETRY_HORIZON, default 24h). */
  webhookRetryHorizonMs: number;
  /** Outbound texts per minute per instance (SWITCHBOARD_SEND_RATE_PER_MIN, default 60). */
  sendRatePerMin: number;
  /** Live event streams (SSE + WebSocket) one account may hold open (SWITCHBOARD_MAX_STREAMS_PER_ACCOUNT, default 20). */
  maxStreamsPerAccount: number;
  /** A stream resume replays at most this far back (SWITCHBOARD_STREAM_REPLAY_WINDOW, default 24h). */
  streamReplayWindowMs: number;
  logLevel: LogLevel;
  /** One `request completed` line per request at `info` (SWITCHBOARD_ACCESS_LOG, default on; 0 turns it off). */
  accessLog: boolean;
  /**
   * With PostgreSQL, this process is one node of a cluster (docs/multi-node.md). Its name (SWITCHBOARD_NODE_ID;
   * null: `<hostname>:<port>`, stable across restarts, so a restarted node takes its own instances back at once).
   */
  nodeId: string | null;
  /** The URL other nodes reach this one at (SWITCHBOARD_NODE_ADDRESS), shown in GET /admin/nodes; null: none. */
  nodeAddress: string | null;
  /** Shared secret of forwarded calls (SWITCHBOARD_CLUSTER_SECRET); null: derived from the master key. */
  clusterSecret: string | null;
  /**
   * Worker threads hosting the WhatsApp sessions (SWITCHBOARD_ENGINE_THREADS); 0: in the HTTP thread. Default: the
   * cores but one, at least 1, at most 4.
   */
  engineThreads: number;
}

type Env = Record<string, string | undefined>;

/** Live event stream limits when not configured (docs/http-api.md "Events"). */
export const STREAM_DEFAULTS = { maxStreamsPerAccount: 20, streamReplayWindowMs: 24 * 3_600_000 } as const;

/** One configuration option: its variable, its flag (without `--`), and what `switchboard serve --help` says of it. */
export interface ConfigOption {
  variable: string;
  flag: string;
  /** Placeholder of the value in help ('' for boolean flags). */
  value: string;
  meaning: string;
  /** Default, as help shows it ('' when none). */
  fallback: string;
}

export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  { variable: 'PORT', flag: 'port', value: '<n>', meaning: 'HTTP port', fallback: '3000' },
  {
    variable: 'HOST',
    flag: 'host',
    value: '<address>',
    meaning: 'bind address (0.0.0.0 in containers)',
    fallback: '127.0.0.1',
  },
  {
    variable: 'SWITCHBOARD_DATA_DIR',
    flag: 'data-dir',
    value: '<dir>',
    meaning: 'SQLite database and generated keys',
    fallback: './data',
  },
  {
    variable: 'DATABASE_URL',
    flag: 'database-url',
    value: '<postgres://…>',
    meaning: 'use PostgreSQL instead of SQLite',
    fallback: '',
  },
  {
    variable: 'SWITCHBOARD_ADMIN_TOKEN',
    flag: 'admin-token',
    value: '<token>',
    meaning: 'admin bearer token (≥ 16 chars); set on a later start, it replaces the stored one',
    fallback: 'generated at first start into <data dir>/admin-token',
  },
  {
    variable: 'SWITCHBOARD_MASTER_KEY',
    flag: 'master-key',
    value: '<base64>',
    meaning: '32-byte key encrypting WhatsApp credentials',
    fallback: 'generated into the data dir',
  },
  {
    variable: 'SWITCHBOARD_SANDBOX',
    flag: 'sandbox',
    value: '',
    meaning: 'embedded WhatsApp simulator and /sandbox/* routes',
    fallback: '0',
  },
  {
    variable: 'SWITCHBOARD_WA_URL',
    flag: 'wa-url',
    value: '<ws://…>',
    meaning: 'WebSocket URL of the WhatsApp service',
    fallback: "WhatsApp's own",
  },
  {
    variable: 'SWITCHBOARD_WA_ROOT_KEY',
    flag: 'wa-root-key',
    value: '<64 hex>',
    meaning: 'root key that must sign that service (switchboard-sim prints it)',
    fallback: "WhatsApp's own",
  },
  {
    variable: 'SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE',
    flag: 'webhook-allow-private',
    value: '',
    meaning: 'allow webhook URLs on private addresses',
    fallback: '0',
  },
  {
    variable: 'SWITCHBOARD_WEBHOOK_RETRY_HORIZON',
    flag: 'webhook-retry-horizon',
    value: '<duration>',
    meaning: 'how long a webhook delivery is retried',
    fallback: '24h',
  },
  {
    variable: 'SWITCHBOARD_SEND_RATE_PER_MIN',
    flag: 'send-rate-per-min',
    value: '<n>',
    meaning: 'outbound texts per minute per instance',
    fallback: '60',
  },
  {
    variable: 'SWITCHBOARD_MAX_STREAMS_PER_ACCOUNT',
    flag: 'max-streams-per-account',
    value: '<n>',
    meaning: 'live event streams open at once per account',
    fallback: '20',
  },
  {
    variable: 'SWITCHBOARD_STREAM_REPLAY_WINDOW',
    flag: 'stream-replay-window',
    value: '<duration>',
    meaning: 'how far back a stream resume replays',
    fallback: '24h',
  },
  {
    variable: 'LOG_LEVEL',
    flag: 'log-level',
    value: '<level>',
    meaning: 'fatal, error, warn, info, debug, trace or silent',
    fallback: 'info',
  },
  {
    variable: 'SWITCHBOARD_ACCESS_LOG',
    flag: 'access-log',
    value: '',
    meaning: 'one access line per request (0 turns them off)',
    fallback: '1',
  },
  {
    variable: 'SWITCHBOARD_NODE_ID',
    flag: 'node-id',
    value: '<name>',
    meaning: 'this node of a PostgreSQL cluster',
    fallback: '<hostname>:<port>',
  },
  {
    variable: 'SWITCHBOARD_NODE_ADDRESS',
    flag: 'node-address',
    value: '<http://…>',
    meaning: 'URL other nodes reach this one at',
    fallback: '',
  },
  {
    variable: 'SWITCHBOARD_CLUSTER_SECRET',
    flag: 'cluster-secret',
    value: '<secret>',
    meaning: 'signs calls forwarded between nodes (same on every node)',
    fallback: 'derived from the master key',
  },
  {
    variable: 'SWITCHBOARD_ENGINE_THREADS',
    flag: 'engine-threads',
    value: '<n>',
    meaning: 'worker threads running the WhatsApp sessions (0: in the HTTP thread)',
    fallback: 'cores - 1, 1 to 4',
  },
];

/** Flag name (without `--`) for each variable, e.g. SWITCHBOARD_DATA_DIR ↔ --data-dir. */
const FLAGS: Record<string, string> = Object.fromEntries(CONFIG_OPTIONS.map((o) => [o.variable, o.flag]));
const VARIABLE_BY_FLAG = new Map(Object.entries(FLAGS).map(([variable, flag]) => [flag, variable]));
/** Flags that may stand alone (`--sandbox` means true). */
const BOOLEAN_FLAGS = new Set(CONFIG_OPTIONS.filter((o) => o.value === '').map((o) => o.flag));

/** Parses `--name value`, `--name=value` and bare boolean flags into variable → value. */
function parseFlags(argv: string[]): Env {
  const args = argv[0] === 'serve' ? argv.slice(1) : argv;
  const out: Env = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--'))
      throw new ConfigError('arguments:', `unexpected argument at position ${i + 1} (flags are --name value)`);
    const eq = arg.indexOf('=');
    const flag = arg.slice(2, eq === -1 ? undefined : eq);
    const variable = VARIABLE_BY_FLAG.get(flag);
    if (!variable) throw new ConfigError(`--${flag.slice(0, 40)}`, 'is not a known flag');
    if (eq !== -1) {
      out[variable] = arg.slice(eq + 1);
    } else if (BOOLEAN_FLAGS.has(flag) && (i + 1 >= args.length || args[i + 1].startsWith('--'))) {
      out[variable] = '1';
    } else if (i + 1 < args.length) {
      out[variable] = args[++i];
    } else {
      throw new ConfigError(variable, `(--${flag}) needs a value`);
    }
  }
  return out;
}

function bool(variable: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw new ConfigError(variable, 'must be 0, 1, true or false');
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration: `90` (seconds) or with a unit, `500ms`, `30s`, `15m`, `24h`, `7d`. */
function duration(variable: string, raw: string | null, fallbackMs: number): number {
  if (raw === null) return fallbackMs;
  const m = /^(\d{1,9})\s*(ms|s|m|h|d)?$/i.exec(raw);
  const ms = m ? Number(m[1]) * UNIT_MS[(m[2] ?? 's').toLowerCase()]! : NaN;
  if (!(ms > 0)) throw new ConfigError(variable, 'must be a positive duration such as 3600, 30m, 24h or 7d');
  return ms;
}

function optional(raw: string | undefined): string | null {
  return raw === undefined || raw.trim() === '' ? null : raw.trim();
}

export function loadConfig(env: Env = process.env, argv: string[] = process.argv.slice(2)): Config {
  const merged: Env = { ...pick(env), ...parseFlags(argv) };

  const portRaw = optional(merged.PORT) ?? '3000';
  if (!/^\d{1,5}$/.test(portRaw) || Number(portRaw) < 1 || Number(portRaw) > 65535) {
    throw new ConfigError('PORT', 'must be an integer between 1 and 65535');
  }

  const host = optional(merged.HOST) ?? '127.0.0.1';
  if (/\s/.test(host)) throw new ConfigError('HOST', 'must be a host name or address');

  const databaseUrl = optional(merged.DATABASE_URL);
  if (databaseUrl !== null && !/^postgres(ql)?:\/\/\S+$/i.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must start with postgres:// or postgresql://');
  }

  const adminToken = optional(merged.SWITCHBOARD_ADMIN_TOKEN);
  if (adminToken !== null && (adminToken.length < 16 || /\s/.test(adminToken))) {
    throw new ConfigError('SWITCHBOARD_ADMIN_TOKEN', 'must be at least 16 characters without spaces');
  }

  const waUrl = optional(merged.SWITCHBOARD_WA_URL);
  if (waUrl !== null && !/^wss?:\/\/\S+$/i.test(waUrl)) {
    throw new ConfigError('SWITCHBOARD_WA_URL', 'must be a ws:// or wss:// URL');
  }

  // The root key that must sign the service's certificate chain: WhatsApp's own unless a standalone simulator is used.
  const waRootKeyRaw = optional(merged.SWITCHBOARD_WA_ROOT_KEY);
  if (waRootKeyRaw !== null && !/^[0-9a-f]{64}$/i.test(waRootKeyRaw)) {
    throw new ConfigError(
      'SWITCHBOARD_WA_ROOT_KEY',
      'must be 64 hex characters (a 32-byte public key, as switchboard-sim prints it)',
    );
  }

  const rateRaw = optional(merged.SWITCHBOARD_SEND_RATE_PER_MIN) ?? '60';
  if (!/^\d{1,6}$/.test(rateRaw) || Number(rateRaw) < 1) {
    throw new ConfigError(
      'SWITCHBOARD_SEND_RATE_PER_MIN',
      'must be an integer of at least 1 (messages per minute per instance)',
    );
  }

  const streamsRaw =
    optional(merged.SWITCHBOARD_MAX_STREAMS_PER_ACCOUNT) ?? String(STREAM_DEFAULTS.maxStreamsPerAccount);
  if (!/^\d{1,6}$/.test(streamsRaw) || Number(streamsRaw) < 1) {
    throw new ConfigError(
      'SWITCHBOARD_MAX_STREAMS_PER_ACCOUNT',
      'must be an integer of at least 1 (live event streams per account)',
    );
  }

  const nodeId = optional(merged.SWITCHBOARD_NODE_ID);
  if (nodeId !== null && !/^[A-Za-z0-9._:-]{1,100}$/.test(nodeId)) {
    throw new ConfigError('SWITCHBOARD_NODE_ID', 'must be 1-100 letters, digits or . _ : -');
  }
  const nodeAddress = optional(merged.SWITCHBOARD_NODE_ADDRESS);
  if (nodeAddress !== null && !/^https?:\/\/\S+$/i.test(nodeAddress)) {
    throw new ConfigError('SWITCHBOARD_NODE_ADDRESS', 'must be an http:// or https:// URL');
  }

  const clusterSecret = optional(merged.SWITCHBOARD_CLUSTER_SECRET);
  if (clusterSecret !== null && clusterSecret.length < 32) {
    throw new ConfigError(
      'SWITCHBOARD_CLUSTER_SECRET',
      'must be at least 32 characters (e.g. `openssl rand -base64 32`)',
    );
  }

  const threadsRaw = optional(merged.SWITCHBOARD_ENGINE_THREADS);
  if (threadsRaw !== null && (!/^\d{1,2}$/.test(threadsRaw) || Number(threadsRaw) > 64)) {
    throw new ConfigError('SWITCHBOARD_ENGINE_THREADS', 'must be an integer from 0 (in the HTTP thread) to 64');
  }

  const logLevel = (optional(merged.LOG_LEVEL) ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }

  return {
    port: Number(portRaw),
    host,
    dataDir: optional(merged.SWITCHBOARD_DATA_DIR) ?? './data',
    databaseUrl,
    adminToken,
    masterKey: optional(merged.SWITCHBOARD_MASTER_KEY),
    sandbox: bool('SWITCHBOARD_SANDBOX', merged.SWITCHBOARD_SANDBOX, false),
    waUrl,
    waRootKey: waRootKeyRaw === null ? null : Buffer.from(waRootKeyRaw, 'hex'),
    webhookAllowPrivate: bool('SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE', merged.SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE, false),
    webhookRetryHorizonMs: duration(
      'SWITCHBOARD_WEBHOOK_RETRY_HORIZON',
      optional(merged.SWITCHBOARD_WEBHOOK_RETRY_HORIZON),
      24 * 3_600_000,
    ),
    sendRatePerMin: Number(rateRaw),
    maxStreamsPerAccount: Number(streamsRaw),
    streamReplayWindowMs: duration(
      'SWITCHBOARD_STREAM_REPLAY_WINDOW',
      optional(merged.SWITCHBOARD_STREAM_REPLAY_WINDOW),
      STREAM_DEFAULTS.streamReplayWindowMs,
    ),
    logLevel: logLevel as LogLevel,
    accessLog: bool('SWITCHBOARD_ACCESS_LOG', merged.SWITCHBOARD_ACCESS_LOG, true),
    nodeId,
    nodeAddress,
    clusterSecret,
    engineThreads: threadsRaw === null ? defaultEngineThreads() : Number(threadsRaw),
  };
}

/** Only our variables, so unrelated environment never leaks into the config. */
function pick(env: Env): Env {
  const out: Env = {};
  for (const variable of Object.keys(FLAGS)) if (env[variable] !== undefined) out[variable] = env[variable];
  return out;
}

export { secretsInFlags } from './config-secrets.ts';
