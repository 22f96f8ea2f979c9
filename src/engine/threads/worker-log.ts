import { pino, type Logger } from 'pino';

/**
 * Logging across the thread boundary. A worker's logger filters at the main logger's level (what would be dropped
 * never crosses) and hands each line over as JSON without time, pid or hostname; the main thread logs it again
 * through the main logger, so that logger's redaction, serializers, fields and destination apply to engine lines
 * exactly as to any other.
 */

export function workerLogger(level: string, send: (line: string) => void): Logger {
  return pino({ level, base: null, timestamp: false }, { write: send });
}

/** One line of a worker's logger, logged again by the main logger at the same level. */
export function relog(logger: Logger, line: string): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const { level, msg, ...fields } = record;
  const label = logger.levels.labels[level as number] ?? 'info';
  (logger as unknown as Record<string, (o: object, m?: unknown) => void>)[label]!(fields, msg);
}
