import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import pino from 'pino';
import { recoverNameAfterInitialSync } from '../../../src/engine/baileys/initial-sync.ts';

/** The two members of a Baileys socket the recovery uses: its event emitter and resyncAppState, recorded. */
function socket() {
  const ev = new EventEmitter();
  const asked: Array<{ collections: readonly string[]; initial: boolean }> = [];
  const sock = {
    ev,
    resyncAppState: async (collections: readonly string[], initial: boolean) =>
      void asked.push({ collections, initial }),
  };
  return { sock: sock as unknown as Parameters<typeof recoverNameAfterInitialSync>[0], ev, asked };
}

const log = pino({ level: 'silent' });

test('an initial sync that ended without the name asks for critical_block once', () => {
  const { sock, ev, asked } = socket();
  recoverNameAfterInitialSync(sock, () => false, log);
  ev.emit('creds.update', { me: { id: '1@s.whatsapp.net' } }); // not the end of the initial sync
  assert.equal(asked.length, 0);
  ev.emit('creds.update', { accountSyncCounter: 1 }); // Baileys' mark: completed or timed out
  ev.emit('creds.update', { accountSyncCounter: 2 });
  assert.deepEqual(asked, [{ collections: ['critical_block'], initial: false }]);
});

test('an initial sync that brought the name asks for nothing', () => {
  const { sock, ev, asked } = socket();
  recoverNameAfterInitialSync(sock, () => true, log);
  ev.emit('creds.update', { accountSyncCounter: 1 });
  assert.equal(asked.length, 0);
});
