import { closeSync, openSync, readSync } from 'node:fs';
import type { Database, Statement } from 'better-sqlite3';

/**
 * "Did another connection commit since I last looked?" for in-process caches (Store.changes.externalVersion),
 * asked on every request, so it must be cheap and exact.
 *
 * `PRAGMA data_version` is exact but takes and drops two locks and stats the file (three system calls, ~2 µs idle
 * and several µs under load). Cheaper and as exact: the WAL-index header, the first 48 bytes of `<db>-shm`
 * (https://www.sqlite.org/walformat.html), which every commit by any connection rewrites (its change counter, frame
 * count and checksums move). One pread of it per check; a different header means "someone committed".
 *
 * Our own commits rewrite it too, so after each of them (`afterOwnWrite`, called synchronously by the driver, with no
 * other JavaScript in between) the header is re-read as the new reference, and `PRAGMA data_version` tells whether
 * another connection also committed since the previous reference was taken, in which case the version moves.
 * Order matters: header first, then data_version, so a commit slipping in between is counted (maybe twice), never
 * missed.
 *
 * Falls back to `PRAGMA data_version` on every check when the -shm file cannot be read or its header is not the
 * format this code knows (iVersion 3007000).
 */

const HEADER_BYTES = 48;
const WALINDEX_VERSION = 3007000;

export class ExternalChanges {
  readonly #db: Database;
  readonly #dataVersion: Statement;
  #fd: number | null = null;
  readonly #reference = Buffer.alloc(HEADER_BYTES);
  readonly #current = Buffer.alloc(HEADER_BYTES);
  #lastDataVersion = 0;
  #version = 0;

  constructor(db: Database, file: string) {
    this.#db = db;
    this.#dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.#lastDataVersion = this.#dataVersion.get() as number; // also makes sure the -shm file exists
    try {
      const fd = openSync(`${file}-shm`, 'r');
      if (
        readSync(fd, this.#reference, 0, HEADER_BYTES, 0) === HEADER_BYTES &&
        this.#reference.readUInt32LE(0) === WALINDEX_VERSION
      ) {
        this.#fd = fd;
      } else {
        closeSync(fd);
      }
    } catch {
      this.#fd = null;
    }
  }

  /** Changes whenever another connection may have committed since the previous call. */
  version(): number {
    if (this.#fd === null) return this.#dataVersion.get() as number;
    readSync(this.#fd, this.#current, 0, HEADER_BYTES, 0);
    if (!this.#current.equals(this.#reference)) {
      this.#current.copy(this.#reference);
      this.#lastDataVersion = this.#dataVersion.get() as number;
      this.#version++;
    }
    return this.#version;
  }

  /** Right after a statement of ours that may have committed (autocommit write, COMMIT). */
  afterOwnWrite(): void {
    if (this.#fd === null || this.#db.inTransaction) return;
    readSync(this.#fd, this.#reference, 0, HEADER_BYTES, 0);
    const dataVersion = this.#dataVersion.get() as number;
    if (dataVersion !== this.#lastDataVersion) {
      this.#lastDataVersion = dataVersion;
      this.#version++;
    }
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}
