import type { Logger } from 'pino';
import type { Engine, EngineSession, EngineStartOptions } from '../engine.ts';
import type { AuthKeyValue } from '../../domain/index.ts';
import { hasLinkedCreds, newMessageId } from '../creds.ts';
import { BaileysSession, type BaileysSessionConfig } from './baileys-session.ts';
import { applyTrust } from './trust.ts';
import { quietLibsignal } from '../libsignal-console.ts';
import { demoteExpectedNoise } from './expected-noise.ts';
import { shareAsyncLocalStorage } from './shared-async-storage.ts';
import { useNativeCurve } from './native-curve.ts';

export { BaileysSession, EngineSessionClosedError } from './baileys-session.ts';
export { mapDisconnect, CLOSE_RULES } from './close-reasons.ts';

export interface BaileysEngineOptions {
  /** WebSocket URL of the WhatsApp service; WhatsApp's own when absent. */
  waUrl?: string;
  /** Root key that signs the server's certificate chain (simulator/sandbox); WhatsApp's real key when absent. */
  rootPublicKey?: Buffer;
  /** Lifetime of every QR ref (Baileys' qrTimeout); Baileys' 60 s / 20 s when absent. */
  qrTimeoutMs?: number;
  keepAliveIntervalMs?: number;
  connectTimeoutMs?: number;
  /** How long a pairing code may stay unconfirmed before the session closes with pairing_failed. Default 60 s. */
  pairingCodeTimeoutMs?: number;
  /** How long requestPairingCode waits for the first QR of the session. Default 30 s. */
  registrationWaitMs?: number;
  /** Baileys' own log level; by default at most "warn" (its info logs are per-frame noise), never above ours. */
  baileysLogLevel?: string;
  logger: Logger;
}

/** Baileys' logger: its expected noise (515 after pairing, requests cut by a closing socket) below warning. */
function baileysLogger(logger: Logger, level: string | undefined): Logger {
  if (level) return demoteExpectedNoise(logger.child({ module: 'baileys' }, { level }));
  const warn = logger.levels.values.warn ?? 40;
  return demoteExpectedNoise(
    logger.child({ module: 'baileys' }, { level: logger.levelVal >= warn ? logger.level : 'warn' }),
  );
}

export function createBaileysEngine(opts: BaileysEngineOptions): Engine {
  const logger = opts.logger.child({ engine: 'baileys' });
  quietLibsignal(logger);
  // Baileys' per-socket AsyncLocalStorage would otherwise make every promise in this thread O(sessions).
  shareAsyncLocalStorage();
  // X25519 agreements and key pairs without OpenSSL's DER codecs (native-curve.ts); before applyTrust, which wraps
  // Curve.sharedKey.
  useNativeCurve();
  const { rootChanged } = applyTrust(opts.rootPublicKey ? { rootPublicKey: opts.rootPublicKey } : {});
  if (rootChanged) logger.warn('trusted WhatsApp root key replaced by another engine in this process');
  const bLogger = baileysLogger(logger, opts.baileysLogLevel);

  return {
    name: 'BAILEYS',
    start({ instanceId, auth }: EngineStartOptions): EngineSession {
      const cfg: BaileysSessionConfig = {
        waUrl: opts.waUrl,
        qrTimeoutMs: opts.qrTimeoutMs,
        keepAliveIntervalMs: opts.keepAliveIntervalMs,
        connectTimeoutMs: opts.connectTimeoutMs,
        pairingCodeTimeoutMs: opts.pairingCodeTimeoutMs ?? 60_000,
        registrationWaitMs: opts.registrationWaitMs ?? 30_000,
        maxRestarts: 3,
        endGraceMs: 5_000,
        logger,
        baileysLogger: bLogger.child({ instanceId }),
      };
      return new BaileysSession(cfg, instanceId, auth);
    },
    isLinked: (auth: AuthKeyValue): Promise<boolean> => hasLinkedCreds(auth),
    newMessageId,
  };
}
