import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * The process logger. Tokens never reach a log line (docs/http-api.md "Authentication"): `access_token` is cut out of logged URLs (Fastify's
 * default request serializer logs the raw URL, query included) and the credential headers and body fields are
 * redacted wherever they appear.
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
      url.slice(0, q + 1) +
      url.slice(q + 1).replace(PLAIN_SECRET_PAIR, (_m, amp: string, key: string) => `${amp}${key}=${REDACTED}`)
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

/**
 * Standard output, written asynchronously: a log line is queued and the write happens off the request's path
 * (synchronous writes cost ~25 µs of CPU per request more in an A/B run of `npm run bench -- http`'s setup). pino
 * flushes what is queued synchronously on exit.
 */
export function asyncStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
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
    options.destination ?? asyncStdout(),
  );
}
