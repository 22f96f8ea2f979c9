/**
 * Per-instance key/value view of the auth state that the engine reads and writes, values as plaintext strings
 * (JSON made by the engine). The implementation (src/store/auth-vault.ts) encrypts with the master key
 * (AES-256-GCM) and writes each batch in one transaction.
 */
export interface AuthKeyValue {
  get(type: string, ids: string[]): Promise<Record<string, string>>;
  /** Atomic batch; null deletes. */
  set(writes: Array<{ type: string; id: string; value: string | null }>): Promise<void>;
  clear(): Promise<void>;
}
