/**
 * The slice of a pino logger the store uses, so callers can pass their pino instance (or nothing) without the store
 * depending on pino's types.
 */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
