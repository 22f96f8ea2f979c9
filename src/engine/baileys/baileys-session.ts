import makeWASocket, { type ConnectionState, type WASocket } from 'baileys';
import type { Logger } from 'pino';
import type { AuthKeyValue } from '../../domain/index.ts';
import {
  EngineSession,
  EngineSessionClosedError,
  type EngineClose,
  type EngineIdentity,
  type EngineSent,
  type EngineTextMessage,
  type EngineTyping,
} from '../engine.ts';
import { isHalfPaired, isLinkedCreds, loadAuthState, type PersistedAuthState } from './auth-state.ts';
import { markRead, sendTyping, UnreadInbound } from './chat-state.ts';
import { describeError, mapDisconnect } from './close-reasons.ts';
import { formatPairingCode, identityFromCreds, normalizePhone, sameIdentity } from './baileys-identity.ts';
import { isPhoneJid, textContent, wireMessageEvents } from './messages.ts';
import { releasePendingQueries } from './pending-queries.ts';
import { recoverNameAfterInitialSync } from './initial-sync.ts';
import { APP_STATE_MAC_VERIFICATION, type BaileysSessionConfig } from './session-config.ts';

export { APP_STATE_MAC_VERIFICATION, EngineSessionClosedError, type BaileysSessionConfig };

type Intent = 'stopped' | 'logged_out';

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * One EngineSession over a chain of Baileys sockets sharing one auth state. The chain exists because pairing always
 * ends the first socket with 515 "restart required" and Baileys never reconnects by itself (docs/whatsapp-protocol.md §5): we
 * open the next socket silently. Every other end of a socket ends the session: `close` is emitted exactly once,
 * after pending auth writes have landed, and nothing is emitted afterwards.
 */
export class BaileysSession extends EngineSession {
  readonly #cfg: BaileysSessionConfig;
  readonly #auth: AuthKeyValue;
  readonly #log: Logger;
  #persisted: PersistedAuthState | null = null;
  #sock: WASocket | null = null;
  #sockOpen = false;
  /** Our own reason to end (end()/logout()); wins over whatever the socket reports. */
  #intent: Intent | null = null;
  /** A close decided by us for another reason (pairing code not confirmed in time). */
  #forced: EngineClose | null = null;
  #closed = false;
  #wiped = false;
  #opened = false;
  #lastIdentity: EngineIdentity | null = null;
  #qrCount = 0;
  #registrationReached = false;
  #registrationWaiters: Waiter[] = [];
  #pairingTimer: NodeJS.Timeout | null = null;
  #restarts = 0;
  readonly #unread = new UnreadInbound();
  readonly #closeDone: Promise<EngineClose>;
  #resolveClose!: (close: EngineClose) => void;

  constructor(cfg: BaileysSessionConfig, instanceId: string, auth: AuthKeyValue) {
    super();
    this.#cfg = cfg;
    this.#auth = auth;
    this.#log = cfg.logger.child({ instanceId });
    this.#closeDone = new Promise((resolve) => (this.#resolveClose = resolve));
    // Async from here on, so the caller attaches its listeners before the first event.
    void this.#boot();
  }

  /** Resolves with the close that was emitted. */
  get closed(): Promise<EngineClose> {
    return this.#closeDone;
  }

  identity(): EngineIdentity | null {
    if (this.#wiped) return null;
    return identityFromCreds(this.#persisted?.state.creds);
  }

  async requestPairingCode(phone: string): Promise<string> {
    const digits = normalizePhone(phone);
    this.#assertRunning();
    if (this.#opened || isLinkedCreds(this.#persisted?.state.creds)) {
      throw new Error('this session is already linked; a pairing code is only valid while it shows a QR');
    }
    // Calling Baileys before the registration stage would make it send a login payload and fail (13.1).
    await this.#waitForRegistration();
    this.#assertRunning();
    const sock = this.#sock!;
    const code = await sock.requestPairingCode(digits);
    this.#assertRunning();
    this.#armPairingTimer();
    return formatPairingCode(code);
  }

  async sendText(message: EngineTextMessage): Promise<EngineSent> {
    if (!isPhoneJid(message.to)) throw new RangeError(`sendText needs "<digits>@s.whatsapp.net", got "${message.to}"`);
    const sent = await this.#openSock().sendMessage(message.to, textContent(message), { messageId: message.id });
    return {
      id: sent?.key.id ?? message.id,
      timestamp: Number(sent?.messageTimestamp ?? 0) || Math.floor(Date.now() / 1000),
    };
  }

  // Typing and read receipts live in chat-state.ts; the session only lends its open socket.
  sendTyping = (to: string, state: EngineTyping): Promise<void> => sendTyping(this.#openSock(), to, state);
  markRead = (chat: string, ids: readonly string[] | null): Promise<string[]> =>
    markRead(this.#openSock(), this.#unread, chat, ids);

  #openSock(): WASocket {
    const sock = this.#sock;
    if (!sock || !this.#sockOpen) throw new EngineSessionClosedError('the connection is not open');
    this.#assertRunning();
    return sock;
  }

  async logout(): Promise<void> {
    if (this.#closed) {
      // Nothing to tell WhatsApp over a dead connection; forget the credentials.
      this.#wiped = true;
      await this.#auth.clear();
      return;
    }
    const previous = this.#intent;
    this.#intent = 'logged_out'; // also upgrades a pending end(): the close will be logged_out and wipe
    if (previous === null && this.#sock) {
      const sock = this.#sock;
      if (this.#sockOpen) {
        try {
          await sock.logout(); // remove-companion-device, then Baileys ends the socket
        } catch (err) {
          this.#log.warn({ err }, 'logout request failed; closing without it');
        }
      }
      this.#endSocket(sock);
    }
    await this.#closeDone;
  }

  async end(): Promise<void> {
    if (!this.#closed && this.#intent === null) {
      this.#intent = 'stopped';
      if (this.#sock) this.#endSocket(this.#sock);
      // Without a socket yet, #boot sees the intent once the auth state is loaded.
    }
    await this.#closeDone;
  }

  // ---------------------------------------------------------------- lifecycle

  async #boot(): Promise<void> {
    try {
      this.#persisted = await loadAuthState(this.#auth, this.#log);
    } catch (err) {
      this.#finish({
        reason: 'connection_lost',
        transient: true,
        message: `auth state unavailable: ${describeError(err).message}`,
      });
      return;
    }
    if (this.#intent) return this.#finish(this.#intentClose(this.#intent));
    this.#connect();
  }

  #connect(): void {
    const persisted = this.#persisted!;
    const cfg = this.#cfg;
    this.#qrCount = 0;
    this.#registrationReached = false;
    this.#sockOpen = false;
    let sock: WASocket;
    try {
      sock = makeWASocket({
        auth: persisted.state,
        logger: cfg.baileysLogger,
        ...(cfg.waUrl ? { waWebSocketUrl: cfg.waUrl } : {}),
        ...(cfg.qrTimeoutMs ? { qrTimeout: cfg.qrTimeoutMs } : {}),
        ...(cfg.keepAliveIntervalMs ? { keepAliveIntervalMs: cfg.keepAliveIntervalMs } : {}),
        ...(cfg.connectTimeoutMs ? { connectTimeoutMs: cfg.connectTimeoutMs } : {}),
        printQRInTerminal: false,
        markOnlineOnConnect: false,
        syncFullHistory: false,
        appStateMacVerification: APP_STATE_MAC_VERIFICATION,
      });
    } catch (err) {
      this.#finish(mapDisconnect(err, { pairing: !isLinkedCreds(persisted.state.creds) }));
      return;
    }
    this.#sock = sock;
    sock.ev.on('creds.update', () => {
      persisted.saveCreds().catch(() => undefined); // failures are logged by saveCreds
      if (sock === this.#sock) this.#onCredsUpdate();
    });
    sock.ev.on('connection.update', (update) => this.#onConnectionUpdate(sock, update));
    recoverNameAfterInitialSync(sock, () => this.identity()?.pushName != null, this.#log);
    wireMessageEvents(sock.ev, (lid) => sock.signalRepository.lidMapping.getPNForLID(lid), {
      me: () => {
        const identity = this.identity();
        return identity ? `${identity.phone}@s.whatsapp.net` : null;
      },
      isCurrent: () => sock === this.#sock && !this.#closed,
      message: (message, key) => {
        this.#unread.remember(message.from, key);
        this.emit('message', message);
      },
      ack: (ack) => this.emit('ack', ack),
      error: (err) => this.#log.warn({ err }, 'could not read a message event'),
    });
  }

  #onConnectionUpdate(sock: WASocket, update: Partial<ConnectionState>): void {
    if (sock !== this.#sock || this.#closed) return;
    if (update.qr && this.#intent === null && this.#forced === null) this.#onQr(update.qr);
    if (update.isNewLogin) this.#clearPairingTimer(); // pair-success arrived
    if (update.connection === 'open') this.#onOpen();
    if (update.connection === 'close') this.#onSocketClose(sock, update.lastDisconnect?.error);
  }

  #onQr(value: string): void {
    // Baileys' own schedule: the first ref lives qrTimeout || 60 s, later ones qrTimeout || 20 s (docs/whatsapp-protocol.md §5).
    const lifetime = this.#cfg.qrTimeoutMs || (this.#qrCount === 0 ? 60_000 : 20_000);
    this.#qrCount += 1;
    if (!this.#registrationReached) {
      this.#registrationReached = true;
      for (const w of this.#registrationWaiters.splice(0)) w.resolve();
    }
    this.emit('qr', { value, expiry: Date.now() + lifetime });
  }

  #onOpen(): void {
    this.#sockOpen = true;
    this.#restarts = 0;
    this.#clearPairingTimer();
    const identity = this.identity();
    if (!identity) {
      // Cannot happen with creds that passed pair-success; refuse to report an anonymous open.
      this.#forced = {
        reason: 'pairing_failed',
        transient: true,
        message: 'connection opened without a paired identity',
      };
      this.#endSocket(this.#sock!);
      return;
    }
    if (!this.#opened) {
      this.#opened = true;
      this.#lastIdentity = identity;
      this.emit('open', identity);
    } else {
      this.#maybeEmitIdentity(identity); // a silent 515 reconnect may bring news
    }
  }

  #onCredsUpdate(): void {
    if (this.#closed) return;
    if (this.#persisted?.state.creds.account) this.#clearPairingTimer();
    if (this.#opened) {
      const identity = this.identity();
      if (identity) this.#maybeEmitIdentity(identity);
    }
  }

  #maybeEmitIdentity(identity: EngineIdentity): void {
    if (sameIdentity(identity, this.#lastIdentity)) return;
    this.#lastIdentity = identity;
    this.emit('identity', identity);
  }

  #onSocketClose(sock: WASocket, error: unknown): void {
    if (sock !== this.#sock || this.#closed) return;
    releasePendingQueries(sock, this.#log);
    this.#sockOpen = false;
    this.#rejectRegistrationWaiters(
      new EngineSessionClosedError('the connection closed before the registration stage'),
    );
    if (this.#intent) return this.#finish(this.#intentClose(this.#intent));
    if (this.#forced) return this.#finish(this.#forced);
    const { statusCode } = describeError(error);
    if (statusCode === 515 && this.#restarts < this.#cfg.maxRestarts) {
      this.#restarts += 1;
      this.#log.debug({ restarts: this.#restarts }, 'restart required (515); reconnecting with the same credentials');
      this.#connect();
      return;
    }
    this.#finish(mapDisconnect(error, { pairing: !isLinkedCreds(this.#persisted?.state.creds) }));
  }

  #intentClose(intent: Intent): EngineClose {
    return intent === 'logged_out'
      ? { reason: 'logged_out', transient: false, message: 'logged out on request' }
      : { reason: 'stopped', transient: false, message: 'stopped on request' };
  }

  /** Ends a socket; if it never reports its close, closes the session anyway after a grace period. */
  #endSocket(sock: WASocket): void {
    sock.end(undefined).catch((err: unknown) => this.#log.debug({ err }, 'error while ending the socket'));
    const timer = setTimeout(() => this.#onSocketClose(sock, undefined), this.#cfg.endGraceMs);
    timer.unref();
    void this.#closeDone.then(() => clearTimeout(timer));
  }

  #finish(close: EngineClose): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearPairingTimer();
    this.#rejectRegistrationWaiters(new EngineSessionClosedError());
    // Refusing WhatsApp's server is the operator's business (a man in the middle, or a wrong SWITCHBOARD_WA_ROOT_KEY): one line, said plainly.
    if (close.reason === 'certificate_invalid')
      this.#log.error({ reason: close.reason }, `WhatsApp server not trusted, session not retried: ${close.message}`);
    void this.#settleAuth().then(() => {
      this.#log.debug({ close }, 'engine session closed');
      this.emit('close', close);
      this.#resolveClose(close);
    });
  }

  /** Lets pending writes land, then leaves the auth state as the close implies — before anyone hears of it. */
  async #settleAuth(): Promise<void> {
    const persisted = this.#persisted;
    try {
      if (this.#intent === 'logged_out' || (persisted && isHalfPaired(persisted.state.creds))) {
        // logout clears everything; a pairing that never completed is wiped so the next start registers afresh (13.8).
        this.#wiped = this.#intent === 'logged_out';
        if (persisted) await persisted.wipe();
        else await this.#auth.clear();
      } else if (persisted) {
        await persisted.flush();
        persisted.seal();
      }
    } catch (err) {
      this.#log.error({ err }, 'settling the auth state at close failed');
    }
  }

  // ---------------------------------------------------------------- pairing code

  #assertRunning(): void {
    if (this.#closed || this.#intent || this.#forced) throw new EngineSessionClosedError();
  }

  #waitForRegistration(): Promise<void> {
    if (this.#registrationReached) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#registrationWaiters = this.#registrationWaiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `registration stage not reached within ${this.#cfg.registrationWaitMs} ms; try again when a QR is shown`,
          ),
        );
      }, this.#cfg.registrationWaitMs);
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.#registrationWaiters.push(waiter);
    });
  }

  #rejectRegistrationWaiters(err: Error): void {
    for (const w of this.#registrationWaiters.splice(0)) w.reject(err);
  }

  #armPairingTimer(): void {
    this.#clearPairingTimer();
    const ms = this.#cfg.pairingCodeTimeoutMs;
    this.#pairingTimer = setTimeout(() => {
      this.#pairingTimer = null;
      if (this.#closed || this.#intent || !this.#sock) return;
      // A wrong code only logs inside Baileys, and after a primary_hello this socket's QR cannot pair any more
      // (13.6): end it; the half-paired creds are wiped at close so a new session starts with a fresh QR.
      this.#forced = {
        reason: 'pairing_failed',
        transient: true,
        message: `pairing code not confirmed within ${ms} ms`,
      };
      this.#endSocket(this.#sock);
    }, ms);
    this.#pairingTimer.unref();
  }

  #clearPairingTimer(): void {
    if (this.#pairingTimer) clearTimeout(this.#pairingTimer);
    this.#pairingTimer = null;
  }
}
