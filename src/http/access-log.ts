import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import pino, { type Bindings, type ChildLoggerOptions, type Logger } from 'pino';
import { redactUrl } from './pino-logger.ts';

/**
 * Request logging at a cost that fits a route answering in tens of microseconds (BENCHMARKS.md, `npm run bench --
 * http`): one access line per request instead of Fastify's two, and no per-request pino child unless a route
 * actually logs.
 */

/** What the access line writes through: pino's own pieces of a line, so a hand-built line reads exactly like its own. */
interface LineParts {
  stream: { write(line: string): unknown };
  /** `{"level":30`, then `,"time":…` from the logger's clock, then its bindings (`,"pid":…,"hostname":"…"`). */
  prefix: string;
  time: () => string;
  bindings: string;
  /** `}` and the end of line. */
  end: string;
}

/**
 * The pieces of `logger`'s lines when an access line can be built by hand and still be the line pino would write:
 * the plain JSON path (no mixin, log formatter, stream hook or multistream metadata, the default message key).
 * Otherwise null, and access lines go through pino.
 */
function lineParts(logger: Logger): LineParts | null {
  const l = logger as unknown as Record<symbol, unknown>;
  const s = pino.symbols;
  const stream = l[s.streamSym] as (LineParts['stream'] & Record<symbol, unknown>) | undefined;
  const formatters = l[s.formattersSym] as { log?: unknown } | undefined;
  const hooks = l[s.hooksSym] as { streamWrite?: unknown } | undefined;
  const lsCache = l[s.lsCacheSym] as Record<number, string> | undefined;
  if (
    !stream ||
    typeof stream.write !== 'function' ||
    stream[s.needsMetadataGsym] === true ||
    l[s.mixinSym] ||
    formatters?.log ||
    hooks?.streamWrite ||
    l[s.messageKeySym] !== 'msg' ||
    typeof lsCache?.[30] !== 'string' ||
    typeof l[s.timeSym] !== 'function' ||
    typeof l[s.chindingsSym] !== 'string' ||
    typeof l[s.endSym] !== 'string'
  )
    return null;
  return {
    stream,
    prefix: lsCache[30],
    time: l[s.timeSym] as () => string,
    bindings: l[s.chindingsSym] as string,
    end: l[s.endSym] as string,
  };
}

const str = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : '');

/**
 * One `request completed` line per request (method, redacted URL, client address, status, response time, request
 * id), written at `info` when the response has been sent; nothing when the request arrives.
 * `enabled: false` (SWITCHBOARD_ACCESS_LOG=0) drops the access lines and keeps every other log line.
 *
 * The line is built by hand as one string, in the order and shape pino would write it (`level`, `time`, the
 * logger's bindings, `reqId`, `req` as the request serializer gives it, `res`, `responseTime`, `msg`), and handed to
 * the logger's own destination: pino's generic path (serializers run on two objects, every key typed and escaped,
 * the redaction pass) cost more CPU than the rest of a `/me` answer in `npm run bench -- http`.
 */
export class AccessLog extends LogController {
  readonly #logger: Logger;
  /** Writes access lines when they cannot be built by hand; no redaction pass: the URL is redacted already. */
  readonly #lines: Logger;
  readonly #parts: LineParts | null;
  readonly #enabled: boolean;

  constructor(logger: Logger, enabled: boolean) {
    super();
    this.#logger = logger;
    // An access line holds only what the req/res serializers output (method, redacted URL, addresses, status), so
    // pino's redaction (which clones the object to check every wildcard path) has nothing to find in it.
    this.#lines = logger.child({}, { redact: [] });
    this.#parts = lineParts(logger);
    this.#enabled = enabled;
  }

  override incomingRequest(): void {
    // The completion line carries everything the arrival line had.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      this.#logger.error(
        { reqId: request.id, req: request, res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored',
      );
      return;
    }
    if (!this.writes) return;
    this.completed(
      request.id,
      request.method,
      request.url,
      request.host,
      request.ip,
      reply.statusCode,
      reply.elapsedTime,
    );
  }

  /** Whether a completed request gets a line (access lines on, `info` enabled); checked per request. */
  get writes(): boolean {
    return this.#enabled && this.#logger.isLevelEnabled('info');
  }

  /**
   * The `request completed` line of one answered request, from its parts: Fastify's requests (above) and the /me
   * fast lane's (me-fast-lane.ts), which never builds a Fastify request. Call only when `writes`.
   */
  completed(
    reqId: string,
    method: string,
    rawUrl: string | undefined,
    rawHost: string | undefined,
    rawIp: string | undefined,
    statusCode: number,
    responseTime: number,
  ): void {
    const p = this.#parts;
    if (!p) {
      this.#lines.info(
        {
          reqId,
          req: { method, url: rawUrl, host: rawHost, ip: rawIp },
          res: { statusCode },
          responseTime,
        },
        'request completed',
      );
      return;
    }
    // As pino-logger.ts's serializers give them; a field that is not a string is left out, as JSON.stringify would.
    const url = typeof rawUrl === 'string' ? str(redactUrl(rawUrl)) : '';
    const host = str(rawHost);
    const ip = str(rawIp);
    p.stream.write(
      `${p.prefix}${p.time()}${p.bindings},"reqId":${JSON.stringify(reqId)},"req":{"method":${JSON.stringify(method)}` +
        `${url && `,"url":${url}`}${host && `,"host":${host}`}${ip && `,"remoteAddress":${ip}`}},` +
        `"res":{"statusCode":${statusCode}},"responseTime":${Number.isFinite(responseTime) ? responseTime : null},` +
        `"msg":"request completed"${p.end}`,
    );
  }

  override routeNotFound(): void {
    // Unknown URLs get an access line like any other request (404).
  }
}

/**
 * `request.log` that becomes a real pino child (with the request id) only when a route logs through it. Most
 * requests never do, and a pino child per request (bindings serialised, redaction, level methods) was a visible
 * share of a small route's CPU even at `LOG_LEVEL=warn`.
 */
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

class LazyRequestLogger {
  #child: Logger | undefined;
  readonly #parent: Logger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;

  constructor(parent: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): Logger {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#options));
  }

  #log(level: Level, args: unknown[]): void {
    // A level that is off costs no child (a route-level `logLevel` makes the child, which knows its own level).
    if (!this.#child && !this.#options.level && !this.#parent.isLevelEnabled(level)) return;
    (this.#real()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return this.#child?.level ?? this.#options.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? (this.#options.level ? this.#real() : this.#parent)).isLevelEnabled(level);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.#real().child(bindings, options);
  }

  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }

  error(...args: unknown[]): void {
    this.#log('error', args);
  }

  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }

  info(...args: unknown[]): void {
    this.#log('info', args);
  }

  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }

  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }

  silent(): void {}
}

/** Fastify's `childLoggerFactory`: a lazy child per request. */
export function lazyChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyRequestLogger(logger as unknown as Logger, bindings, options) as unknown as FastifyBaseLogger;
}
