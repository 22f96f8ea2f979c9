import type { DestinationStream } from 'pino';

/**
 * Log lines gathered into batches before they reach the asynchronous file writer (pino.destination's SonicBoom).
 *
 * Why not SonicBoom's own `minLength`: it appends each line to its pending string and measures that string's UTF-8
 * length on every write, which flattens the growing string each time: the cost per line grows with the buffer, and
 * an A/B of `npm run bench -- http` measured more CPU per request with an 8 KiB buffer than without one. Here a
 * line is only pushed on an array; a batch is joined once and handed over in one write, so SonicBoom does its work
 * (and its thread-pool round trip) per batch instead of per line or two.
 *
 * Order is kept (every line of the logger goes through the batch). A batch goes out when it reaches `maxChars`, or
 * `maxDelayMs` after its first line (an unref'd timer: a quiet server's lines still appear promptly, and the timer
 * never keeps the process alive). On exit (process.exit, the end of the SIGTERM/SIGINT shutdown, an uncaught
 * exception) what is pending is written synchronously, so a clean shutdown loses no line.
 */

/** What the batch is written to: the subset of SonicBoom pino uses. */
export interface LineSink {
  write(data: string): unknown;
  flush?(cb?: (err?: Error | null) => void): void;
  flushSync?(): void;
}

export interface BatchOptions {
  /** A batch goes out once it holds this many characters. */
  maxChars: number;
  /** …or this long after its first line. */
  maxDelayMs: number;
}

/** The live batches, written synchronously when the process exits (one listener for all). */
const live = new Set<BatchedDestination>();
let exitHookInstalled = false;

function onExit(): void {
  for (const d of live) {
    try {
      d.flushSync();
    } catch {
      // stdout gone (EPIPE, closed): nothing more can be done on the way out
    }
  }
}

export class BatchedDestination implements DestinationStream {
  readonly #sink: LineSink;
  readonly #maxChars: number;
  readonly #maxDelayMs: number;
  #lines: string[] = [];
  #chars = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#drain();
  };

  constructor(sink: LineSink, options: BatchOptions) {
    this.#sink = sink;
    this.#maxChars = options.maxChars;
    this.#maxDelayMs = options.maxDelayMs;
    live.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', onExit);
    }
  }

  write(line: string): boolean {
    this.#lines.push(line);
    this.#chars += line.length;
    if (this.#chars >= this.#maxChars) this.#drain();
    else if (this.#timer === undefined) this.#timer = setTimeout(this.#onTimer, this.#maxDelayMs).unref();
    return true;
  }

  /** Hands the pending lines to the sink now; `cb` once the sink has written them (pino's logger.flush). */
  flush(cb?: (err?: Error | null) => void): void {
    this.#drain();
    if (this.#sink.flush) this.#sink.flush(cb);
    else cb?.();
  }

  /** Writes the pending lines synchronously (exit). */
  flushSync(): void {
    this.#drain();
    this.#sink.flushSync?.();
  }

  #drain(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#lines.length === 0) return;
    const batch = this.#lines.length === 1 ? this.#lines[0]! : this.#lines.join('');
    this.#lines = [];
    this.#chars = 0;
    this.#sink.write(batch);
  }
}
