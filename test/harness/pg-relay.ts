import { type ChildProcess, fork } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PG_URL } from '../store/pg.ts';

/**
 * A TCP relay in front of PostgreSQL, to take the database away from its clients without touching the shared server:
 * - `cut()` black-holes traffic: bytes are held unread in both directions (queries hang, as over a dead network);
 * - `drop()` is a database restart as clients see it: every connection is reset and new ones are refused until
 *   `restore()`;
 * - `restore()` lets connections through again (after a cut, it resets the held ones so clients reconnect cleanly).
 */
export class PgRelay {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #mode: 'open' | 'cut' | 'down' = 'open';

  private constructor(server: Server) {
    this.#server = server;
  }

  static async open(): Promise<PgRelay> {
    const pgUrl = new URL(PG_URL);
    const target = { host: pgUrl.hostname, port: Number(pgUrl.port || 5432) };
    const holder: { self?: PgRelay } = {};
    const server = createServer((client) => {
      const self = holder.self!;
      if (self.#mode === 'down') {
        client.resetAndDestroy();
        return;
      }
      const upstream = connect(target.port, target.host);
      for (const s of [client, upstream]) {
        self.#sockets.add(s);
        s.on('close', () => self.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      if (self.#mode === 'cut') {
        client.pause();
        return;
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    const self = (holder.self = new PgRelay(server));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  /** PG_URL with this relay's address. */
  get url(): string {
    const url = new URL(PG_URL);
    url.hostname = '127.0.0.1';
    url.port = String((this.#server.address() as { port: number }).port);
    return url.toString();
  }

  cut(): void {
    this.#mode = 'cut';
    for (const s of this.#sockets) {
      s.unpipe();
      s.pause();
    }
  }

  drop(): void {
    this.#mode = 'down';
    for (const s of this.#sockets) s.resetAndDestroy();
  }

  restore(): void {
    const wasCut = this.#mode === 'cut';
    this.#mode = 'open';
    if (wasCut) for (const s of this.#sockets) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** The same relay in a child process (pg-relay-child.ts), driven over IPC. */
export class RemotePgRelay {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async open(): Promise<RemotePgRelay> {
    const child = fork(fileURLToPath(new URL('./pg-relay-child.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const { url } = await new Promise<{ url: string }>((resolve) =>
      child.once('message', (m) => resolve(m as { url: string })),
    );
    return new RemotePgRelay(child, url);
  }

  #send(cmd: 'cut' | 'drop' | 'restore'): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('message', () => resolve());
      this.child.send({ cmd });
    });
  }

  cut = (): Promise<void> => this.#send('cut');
  drop = (): Promise<void> => this.#send('drop');
  restore = (): Promise<void> => this.#send('restore');

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }
}
