import type { WASocket } from 'baileys';
import type { Logger } from 'pino';

/** The app-state collection that holds the account's push name setting (docs/whatsapp-protocol.md, app-state sync). */
const NAME_COLLECTION = 'critical_block';

/**
 * After a first login Baileys waits 20 s for WhatsApp's history-sync notification, and only a notification that arrives
 * in that window starts the app-state sync that brings the push name (lib/Socket/chats.js, AwaitingInitialSync). On a
 * loaded server the window can pass first ("Timeout in AwaitingInitialSync"); Baileys then goes online without ever
 * syncing app state, and the account's name stays unknown (/me without `pushName`) until WhatsApp happens to push a
 * server_sync for it. Baileys marks the end of the initial sync, completed or timed out alike, by raising
 * `creds.accountSyncCounter`. If the name is still unknown then, we ask for its collection once per socket: the same
 * call Baileys makes for a server_sync notification. Should the app-state key not have arrived yet, Baileys parks the
 * collection as blocked and syncs it when the key comes.
 */
export function recoverNameAfterInitialSync(
  sock: Pick<WASocket, 'ev' | 'resyncAppState'>,
  hasName: () => boolean,
  log: Logger,
): void {
  let asked = false;
  sock.ev.on('creds.update', (update) => {
    if (asked || update.accountSyncCounter === undefined || hasName()) return;
    asked = true;
    log.info('initial sync ended without the account name; syncing its app-state collection');
    sock.resyncAppState([NAME_COLLECTION], false).catch((err: unknown) => {
      log.debug({ err }, 'app-state sync of the account name failed');
    });
  });
}
