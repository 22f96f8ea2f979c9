/**
 * Everything a logged-in (or registering) client asks or sends after the handshake (protocol doc section 6).
 * Rule: every IQ gets an answer. Baileys waits 60 s for unanswered queries, and `open` waits on several of them.
 */
import type { BinaryNode } from 'baileys';
import { onChatstate, onPresence, onReceipt } from './activity.ts';
import { answerSync, scheduleBootstrap } from './app-state.ts';
import type { Connection } from './connection.ts';
import { keyFetch, storeUpload, usyncResult } from './keys.ts';
import { flushQueue, onClientMessage, onDelivered, onRetryReceipt } from './messaging.ts';
import { onCompanionFinish, onCompanionHello } from './pairing-code.ts';
import type { SimState } from './state.ts';

const first = (n: BinaryNode): BinaryNode | undefined => (Array.isArray(n.content) ? n.content[0] : undefined);

export async function onNode(state: SimState, conn: Connection, node: BinaryNode): Promise<void> {
  switch (node.tag) {
    case 'iq':
      if (node.attrs.type === 'result' || node.attrs.type === 'error') return; // answers to our own iqs (Connection matched them)
      return onIq(state, conn, node);
    case 'receipt':
      conn.send({ tag: 'ack', attrs: ackAttrs(node, 'receipt') });
      if (node.attrs.type === 'retry') return onRetryReceipt(state, conn, node); // not delivered: asks again
      onDelivered(state, conn, node);
      return onReceipt(state, conn, node);
    case 'ack':
      return onDelivered(state, conn, node);
    case 'message':
      return onClientMessage(state, conn, node);
    case 'chatstate':
      return onChatstate(state, conn, node);
    case 'presence':
      return onPresence(state, conn, node);
    default:
      // ib/unified_session, call: nothing to answer.
      return;
  }
}

function ackAttrs(node: BinaryNode, cls: string): Record<string, string> {
  const a: Record<string, string> = { id: node.attrs.id, class: cls, from: node.attrs.to ?? 's.whatsapp.net' };
  if (node.attrs.type) a.type = node.attrs.type;
  return a;
}

function device(state: SimState, conn: Connection) {
  return state.phones.ofConnection(conn);
}

async function onIq(state: SimState, conn: Connection, iq: BinaryNode): Promise<void> {
  const child = first(iq);
  const xmlns = iq.attrs.xmlns;
  const tag = child?.tag;
  switch (`${xmlns}/${tag}`) {
    case 'encrypt/count':
      // What the server still holds: each pkmsg anyone built used one up; ≤ 5 makes the client upload more.
      return conn.reply(iq, [
        { tag: 'count', attrs: { value: String(device(state, conn)?.device.keys?.preKeys.size ?? 0) } },
      ]);
    case 'encrypt/registration': {
      const d = device(state, conn);
      if (d) storeUpload(state, d.device, iq);
      return conn.reply(iq);
    }
    case 'encrypt/digest': {
      conn.reply(iq, [{ tag: 'digest', attrs: {} }]); // must contain <digest>, or the client re-uploads prekeys
      // The login queries are done and the pre-keys uploaded: the phone bootstraps a new companion, then whatever
      // waited for the companion's first keys is delivered.
      const d = device(state, conn);
      if (d)
        scheduleBootstrap(
          state,
          conn,
          d.phone,
          d.device,
          async () => void (await flushQueue(state, conn, d.device, false)),
        );
      return;
    }
    case 'encrypt/key':
      return conn.reply(iq, [await keyFetch(state, iq)]);
    case 'w:p/ping':
      if (state.faults.ignorePings) return;
      return conn.reply(iq);
    case 'abt/props':
      return conn.reply(iq, [
        {
          tag: 'props',
          attrs: { protocol: '1', hash: 'sim-props-1' },
          content: [{ tag: 'prop', attrs: { config_code: '1', config_value: '1' } }],
        },
      ]);
    case 'blocklist/undefined':
    case 'blocklist/list':
      return conn.reply(iq, [{ tag: 'list', attrs: {} }]);
    case 'privacy/privacy':
      if (iq.attrs.type === 'get') {
        const cats = ['last', 'online', 'profile', 'status', 'readreceipts', 'groupadd', 'calladd'];
        const values: Record<string, string> = { online: 'all', readreceipts: 'all', calladd: 'all' };
        return conn.reply(iq, [
          {
            tag: 'privacy',
            attrs: {},
            content: cats.map((name) => ({ tag: 'category', attrs: { name, value: values[name] ?? 'contacts' } })),
          },
        ]);
      }
      return conn.reply(iq);
    case 'usync/usync':
      return conn.reply(iq, [usyncResult(state, child!)]);
    case 'md/remove-companion-device': {
      // Baileys' logout(): the companion unlinks itself.
      const d = device(state, conn);
      if (d) state.phones.removeDevice(d.phone, d.device.id);
      conn.log.info({ jid: d?.device.jid }, 'companion removed itself (logout)');
      return conn.reply(iq);
    }
    case 'md/link_code_companion_reg':
      if (child!.attrs.stage === 'companion_hello') return onCompanionHello(state, conn, iq, child!);
      if (child!.attrs.stage === 'companion_finish') return onCompanionFinish(state, conn, iq, child!);
      return conn.reply(iq, [{ tag: 'error', attrs: { code: '400', text: 'bad-request' } }], 'error');
    case 'w:sync:app:state/sync':
      return answerSync(state, conn, iq, child!);
    default:
      // passive, privacy tokens, rotate, w:stats, presence subscriptions…: an empty result keeps the client moving.
      return conn.reply(iq);
  }
}
