import type { DestinationStream } from 'pino';

/**
 * Log lines gathered into batches before they reach the asynchronous file writer (pino.destination's SonicBoom, in
 * its buffer mode).
 *
 * Why not SonicBoom's own `minLength`: it appends each line to its pending string and measures that string's UTF-8
 * length on every write, which flattens the growing string each time: the cost per line grows with the buffer, and
 * an A/B of `npm run bench -- http` measured more CPU per request with an 8 KiB buffer than without one. Here each
 * line is encoded (UTF-8) into the batch's Buffer as it is logged, so the line's string dies young (no garbage
 * collector copying or promoting lines that wait), and a full batch goes to SonicBoom as one Buffer: one write, one
 * thread-pool round trip, per batch instead of per line or two.
 *
 * Order is kept (every line of the logger goes through the batch). A batch goes out when it reaches `maxBytes`, or
 * `maxDelayMs` after its first line (an unref'd timer: a quiet server's lines still appear promptly, and the timer
 * never keeps the process alive). On exit (process.exit, the end of the SIGTERM/SIGINT shutdown, an uncaught
 * exception) what is pending is written synchronously, so a clean shutdown loses no line.
 */

/** What the batch is written to: the subset of SonicBoom (contentMode 'buffer') pino uses. */
export interface LineSink {
  write(data: Buffer): unknown;
  flush?(cb?: (err?: Error | null) => void): void;
  flushSync?(): void;
}

export interface BatchOptions {
  /** A batch goes out once it holds this many bytes. */
  maxBytes: number;
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
  readonly #maxBytes: number;
  readonly #maxDelayMs: number;
  /** The batch being filled (a new one per batch: the sink keeps the previous one until its write completes). */
  #batch: Buffer;
  #used = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#drain();
  };

  constructor(sink: LineSink, options: BatchOptions) {
    this.#sink = sink;
    this.#maxBytes = options.maxBytes;
    this.#maxDelayMs = options.maxDelayMs;
    this.#batch = this.#newBatch();
    live.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', onExit);
    }
  }

  write(line: string): boolean {
    // A UTF-8 character takes at most 3 bytes per UTF-16 unit: check room before encoding (Buffer.write would cut).
    if (this.#used + line.length * 3 > this.#batch.length) {
      this.#drain();
      if (line.length * 3 > this.#batch.length) {
        this.#sink.write(Buffer.from(line, 'utf8')); // a line longer than a whole batch goes by itself
        return true;
      }
    }
    this.#used += this.#batch.write(line, this.#used, 'utf8');
    if (this.#used >= this.#maxBytes) this.#drain();
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

  /** Room for a full batch plus the largest line that may start just below it. */
  #newBatch(): Buffer {
    return Buffer.allocUnsafe(this.#maxBytes * 2);
  }

  #drain(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#used === 0) return;
    const full = this.#batch.subarray(0, this.#used);
    this.#batch = this.#newBatch();
    this.#used = 0;
    this.#sink.write(full);
  }
}
