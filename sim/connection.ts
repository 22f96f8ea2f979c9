/**
 * One client WebSocket: frames → Noise handshake → encrypted binary nodes. Everything above the transport
 * (pairing, login, IQs) lives in the dispatcher; this file only knows how to speak and how to hang up.
 */
import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import { decodeBinaryNode, encodeBinaryNode, proto, type BinaryNode } from 'baileys';
import { encodeFrame, FrameReader, NoiseHandshake, type NoiseTransport } from './noise.ts';
import type { KeyPair } from './certs.ts';

export interface ConnectionHooks {
  /** The Noise static key and certificate chain this connection's handshake presents (asked once per connection,
   * so connection faults hit exactly one connection each). */
  handshakeKeys: () => { serverStatic: KeyPair; certChain: Uint8Array };
  logger: Logger;
  /** Called once with the decrypted ClientPayload; decides registration vs login. */
  onPayload: (conn: Connection, payload: proto.ClientPayload) => Promise<void>;
  onNode: (conn: Connection, node: BinaryNode) => Promise<void>;
  onClose: (conn: Connection) => void;
}

/** Time a client gets to close the socket itself after a stream error before the server does it. Waiting
 * matters: Baileys decodes frames asynchronously, so closing at once can make it see 428 instead of the stream error. */
const GRACE_MS = 1500;

let nextConnId = 1;

export class Connection {
  readonly id = nextConnId++;
  readonly log: Logger;
  private readonly reader = new FrameReader();
  private handshake: NoiseHandshake | null;
  private readonly certChain: Uint8Array;
  private transport: NoiseTransport | null = null;
  private queue: Promise<void> = Promise.resolve();
  private stage: 'hello' | 'finish' | 'ready' = 'hello';
  private nextId = 1;
  private readonly pending = new Map<string, (node: BinaryNode | null) => void>();
  private graceTimer: NodeJS.Timeout | null = null;
  closed = false;
  /** Set after the handshake: the client's long-term noise key. */
  clientStatic: Buffer | null = null;
  payload: proto.ClientPayload | null = null;
  kind: 'pending' | 'registration' | 'login' = 'pending';
  /** Login connections: which device this is. */
  phone: string | null = null;
  deviceId: number | null = null;

  constructor(
    readonly ws: WebSocket,
    private readonly hooks: ConnectionHooks,
  ) {
    this.log = hooks.logger.child({ conn: this.id });
    const keys = hooks.handshakeKeys();
    this.handshake = new NoiseHandshake(keys.serverStatic);
    this.certChain = keys.certChain;
    ws.on('message', (data: Buffer) => {
      // Serialise: node decoding is async and stanza order matters (e.g. pair-device-sign before unified_session).
      this.queue = this.queue
        .then(() => this.onData(data))
        .catch((err) => {
          this.log.warn({ err }, 'protocol error, closing');
          this.drop();
        });
    });
    ws.on('close', () => this.markClosed());
    ws.on('error', () => this.markClosed());
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    // Settle our own outstanding queries with null so no timer outlives the connection.
    for (const waiter of [...this.pending.values()]) waiter(null);
    this.pending.clear();
    this.hooks.onClose(this);
  }

  private async onData(data: Buffer): Promise<void> {
    for (const frame of this.reader.push(Buffer.from(data))) {
      if (this.closed) return;
      if (this.stage === 'ready') {
        const node = await decodeBinaryNode(this.transport!.decrypt(frame));
        this.log.trace({ node: summarize(node) }, 'recv');
        const waiter =
          node.tag === 'iq' && (node.attrs.type === 'result' || node.attrs.type === 'error')
            ? this.pending.get(node.attrs.id)
            : undefined;
        if (waiter) {
          this.pending.delete(node.attrs.id);
          waiter(node);
        }
        try {
          await this.hooks.onNode(this, node);
        } catch (err) {
          // A handler bug must not stall the client for 60 s: answer the IQ with an error and keep the connection.
          this.log.error({ err, node: summarize(node) }, 'handler failed');
          if (node.tag === 'iq' && node.attrs.type !== 'result' && node.attrs.type !== 'error') {
            this.reply(node, [{ tag: 'error', attrs: { code: '500', text: 'internal-server-error' } }], 'error');
          }
        }
      } else if (this.stage === 'hello') {
        const msg = proto.HandshakeMessage.decode(frame);
        const eph = msg.clientHello?.ephemeral;
        if (!eph) throw new Error('expected clientHello');
        const hello = this.handshake!.serverHello(eph, this.certChain);
        this.ws.send(encodeFrame(proto.HandshakeMessage.encode({ serverHello: hello }).finish()));
        this.stage = 'finish';
      } else {
        const msg = proto.HandshakeMessage.decode(frame);
        const fin = msg.clientFinish;
        if (!fin?.static || !fin.payload) throw new Error('expected clientFinish');
        const { clientStatic, payload } = this.handshake!.clientFinish(fin.static, fin.payload);
        this.transport = this.handshake!.split();
        this.handshake = null;
        this.stage = 'ready';
        this.clientStatic = clientStatic;
        this.payload = proto.ClientPayload.decode(payload);
        await this.hooks.onPayload(this, this.payload);
      }
    }
  }

  newId(prefix = 'sim'): string {
    return `${prefix}.${this.id}.${this.nextId++}`;
  }

  send(node: BinaryNode): void {
    if (this.closed || !this.transport) return;
    this.log.trace({ node: summarize(node) }, 'send');
    this.ws.send(encodeFrame(this.transport.encrypt(encodeBinaryNode(node))));
  }

  /** Sends an iq and resolves with the client's result/error (or null on timeout/close). */
  query(node: BinaryNode, timeoutMs = 10_000): Promise<BinaryNode | null> {
    return new Promise((resolve) => {
      const id = node.attrs.id ?? this.newId();
      node.attrs.id = id;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(null);
      }, timeoutMs);
      this.pending.set(id, (n) => {
        clearTimeout(timer);
        resolve(n);
      });
      if (this.closed) return this.pending.get(id)!(null);
      this.send(node);
    });
  }

  /** Answer an IQ with `type=result`, keeping the id; `content` optional. */
  reply(iq: BinaryNode, content?: BinaryNode[], type: 'result' | 'error' = 'result'): void {
    const attrs: Record<string, string> = { id: iq.attrs.id, type, from: 's.whatsapp.net' };
    this.send(content ? { tag: 'iq', attrs, content } : { tag: 'iq', attrs });
  }

  /** `<stream:error>` then let the client hang up (or hang up ourselves after a grace period). */
  streamError(attrs: Record<string, string>, child?: BinaryNode): void {
    this.send({ tag: 'stream:error', attrs, content: child ? [child] : undefined });
    this.closeSoon();
  }

  /** `<failure reason=...>` as used for unknown devices at login. */
  failure(reason: string): void {
    this.send({ tag: 'failure', attrs: { reason, location: 'sim' } });
    this.closeSoon();
  }

  private closeSoon(): void {
    if (this.graceTimer || this.closed) return;
    this.graceTimer = setTimeout(() => this.ws.close(), GRACE_MS);
    this.graceTimer.unref();
  }

  /** Kill the TCP socket with no close frame: the client sees 428 Connection Terminated. */
  drop(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.ws.terminate();
    this.markClosed();
  }
}

/** Compact node description for trace logs (binary content shown by length only). */
export function summarize(node: BinaryNode): unknown {
  const c = node.content;
  return {
    tag: node.tag,
    attrs: node.attrs,
    content: Array.isArray(c) ? c.map(summarize) : c instanceof Uint8Array ? `<${c.length} bytes>` : c,
  };
}
