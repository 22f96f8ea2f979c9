import type { WASocket } from 'baileys';
import type { Logger } from 'pino';

/**
 * Baileys' end() removes the WebSocket's 'close' listeners before closing, so queries still in flight (e.g. the
 * init queries right after open) are never rejected and each keeps a 60 s timer alive after the socket is gone.
 * Their 'error' listeners remain; one synthetic error rejects them at once (Baileys' own error handler then
 * calls its end() again, which is a no-op on a closed socket).
 */
export function releasePendingQueries(sock: WASocket, log: Logger): void {
  try {
    sock.ws.emit('error', Object.assign(new Error('socket ended'), { code: 'SWITCHBOARD_SOCKET_ENDED' }));
  } catch (err) {
    log.debug({ err }, 'could not release pending queries');
  }
}
