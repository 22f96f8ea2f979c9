import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import { BatchedDestination, type LineSink } from './batched-destination.ts';

/**
 * The process logger. Tokens never reach a log line (docs/http-api.md "Authentication"): `access_token` is cut out of logged URLs (Fastify's
 * default request serializer logs the raw URL, query included) and the credential headers and body fields are
 * redacted wherever they appear. On a terminal the lines are pretty-printed (pino-pretty), elsewhere JSON.
 */

const REDACTED = '[REDACTED]';
/** Query keys whose values are cut: the token name and its malformed variants (`access_token[]`, `access-token`). */
const isSecretKey = (key: string): boolean => /^access[_-]token/.test(key.trim().toLowerCase());

/**
 * A query pair whose raw name, `+` read as a space, starts with the token name: what the general path below finds
 * in a query without percent-escapes, in one pass (it runs for the access line of every request).
 */
const PLAIN_SECRET_PAIR = /(^|&)([+\s]*access[_-]token[^=&]*)(=[^&]*)?/gi;

/** Replaces the value of every `access_token` query parameter (also when its name is percent-encoded). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  if (!url.includes('%', q)) {
    return (
      // A replacement pattern, not a function: no call per match (both groups always take part in a match).
      url.slice(0, q + 1) + url.slice(q + 1).replace(PLAIN_SECRET_PAIR, `$1$2=${REDACTED}`)
    );
  }
  const pairs = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawKey = eq === -1 ? pair : pair.slice(0, eq);
      let key = rawKey;
      try {
        key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      } catch {
        // undecodable key: keep as is; it cannot be a token name the parser would accept either
      }
      return isSecretKey(key) ? `${rawKey}=${REDACTED}` : pair;
    });
  return `${url.slice(0, q)}?${pairs.join('&')}`;
}

interface LoggableRequest {
  method?: string;
  url?: string;
  ip?: string;
  host?: string;
}

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["access-token"]',
  'headers.authorization',
  'headers["access-token"]',
  'access_token',
  '*.access_token',
  'req.query.access_token',
  'req.body.access_token',
  'admin_token',
  '*.admin_token',
];

/** A batch of log lines goes out at this size… */
export const LOG_BATCH_BYTES = 16 * 1024;
/** …or this long after its first line (what a quiet server's lines may wait). */
export const LOG_BATCH_DELAY_MS = 100;

/**
 * Standard output, written asynchronously and in batches (batched-destination.ts): a log line is queued and written
 * off the request's path (synchronous writes cost ~25 µs of CPU per request more in an A/B run of `npm run bench --
 * http`'s setup), and lines go out together, at most LOG_BATCH_DELAY_MS after they were logged, rather than one
 * write (a round trip through libuv's thread pool) per line or two. Pending lines are written synchronously on exit.
 */
export function asyncStdout(): DestinationStream {
  // In buffer mode SonicBoom takes Buffers (its typings only describe the string mode).
  const sink = pino.destination({ dest: 1, sync: false, contentMode: 'buffer' }) as unknown as LineSink;
  return new BatchedDestination(sink, {
    maxBytes: LOG_BATCH_BYTES,
    maxDelayMs: LOG_BATCH_DELAY_MS,
  });
}

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stdout when absent. */
  destination?: DestinationStream;
  /** Human-readable lines (pino-pretty) instead of JSON; by default only when writing to stdout and it is a terminal. */
  pretty?: boolean;
}

/**
 * pino-pretty formats in this thread (no worker), loaded only when wanted: the JSON path, which every non-terminal
 * deployment uses, never loads it and costs exactly what it did before.
 */
function prettyStream(destination: DestinationStream | undefined): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as (opts: Record<string, unknown>) => DestinationStream;
  return pretty({
    colorize: destination === undefined && process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    destination: destination ?? 1,
    sync: true,
  });
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      serializers: {
        req: (req: LoggableRequest) => ({
          method: req.method,
          url: typeof req.url === 'string' ? redactUrl(req.url) : undefined,
          host: req.host,
          remoteAddress: req.ip,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    pretty ? prettyStream(options.destination) : (options.destination ?? asyncStdout()),
  );
}
