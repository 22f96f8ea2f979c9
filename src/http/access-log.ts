import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

/**
 * Request logging at a cost that fits a route answering in tens of microseconds (BENCHMARKS.md, `npm run bench --
 * http`): one access line per request instead of Fastify's two, and no per-request pino child unless a route
 * actually logs.
 */

/**
 * One `request completed` line per request (method, redacted URL, client address, status, response time, request
 * id), written by the process logger at `info` when the response has been sent; nothing when the request arrives.
 * `enabled: false` (SWITCHBOARD_ACCESS_LOG=0) drops the access lines and keeps every other log line.
 */
export class AccessLog extends LogController {
  readonly #logger: Logger;
  /** Writes access lines; no redaction pass: the request serializer already cuts the token out of the URL. */
  readonly #lines: Logger;
  readonly #enabled: boolean;

  constructor(logger: Logger, enabled: boolean) {
    super();
    this.#logger = logger;
    // An access line holds only what the req/res serializers output (method, redacted URL, addresses, status), so
    // pino's redaction (which clones the object to check every wildcard path) has nothing to find in it.
    this.#lines = logger.child({}, { redact: [] });
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
    if (!this.#enabled || !this.#lines.isLevelEnabled('info')) return;
    // A logger made once, not request.log: no child (bindings serialised, level methods rebuilt) per request.
    this.#lines.info(
      { reqId: request.id, req: request, res: reply, responseTime: reply.elapsedTime },
      'request completed',
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
