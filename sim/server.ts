/**
 * Wires the simulator together: one HTTP server whose upgrade path `/ws/chat` is the WhatsApp WebSocket,
 * the shared state, and the public Simulator object.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import pino from 'pino';
import { buildCertChain, keyPairFromSeed, randomKeyPair, randomSeed, type KeyPair } from './certs.ts';
import { SimStore } from './store.ts';
import { Connection } from './connection.ts';
import { devices, disconnect, reset, unlink } from './faults.ts';
import { activity } from './activity.ts';
import { onNode } from './iq.ts';
import { onClientPayload } from './login.ts';
import { enterCode } from './pairing-code.ts';
import { scan } from './qr-pairing.ts';
import { SimState } from './state.ts';
import { handleControl } from './control.ts';
import { setPushName } from './app-state.ts';
import { receivedMessages, requeueInflight, sendText } from './messaging.ts';
import { silenceLibsignal } from './quiet-libsignal.ts';
import type { Simulator, SimulatorOptions } from './types.ts';

export const WS_PATH = '/ws/chat';

/**
 * The network's own keys, kept in the store: clients trust the root (and a restarted server must present a chain
 * under it). An explicit rootSeed wins over a stored root.
 */
function serverKeys(
  store: SimStore,
  rootSeed: string | undefined,
): { root: KeyPair; intermediate: KeyPair; serverStatic: KeyPair } {
  type Stored = { root: KeyPair; intermediate: KeyPair; serverStatic: KeyPair };
  const stored = store.getMeta<Stored>('server_keys');
  const keys: Stored = {
    root: rootSeed ? keyPairFromSeed(rootSeed) : (stored?.root ?? keyPairFromSeed(randomSeed())),
    intermediate: stored?.intermediate ?? randomKeyPair(),
    serverStatic: stored?.serverStatic ?? randomKeyPair(),
  };
  if (!stored || !stored.root.public.equals(keys.root.public)) store.setMeta('server_keys', keys);
  return keys;
}

export async function createSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  // Before any simulated phone has a Signal session: libsignal prints session records (keys) on the console.
  silenceLibsignal();
  const logger = opts.logger ?? pino({ level: 'silent' });
  const store = new SimStore(opts.dataDir);
  const state = new SimState(logger, store);
  const { root, intermediate, serverStatic } = serverKeys(store, opts.rootSeed);
  const foreignRoot = randomKeyPair();
  // cert_key_mismatch: a Noise static key the genuine leaf does not name (what a man in the middle holding a stolen
  // chain, but not its key, would present).
  const impostorStatic = randomKeyPair();
  // Chains are per server key, so build each once; the fault flag / queue picks which one a new handshake gets.
  const chains = {
    own: buildCertChain(root, intermediate, serverStatic.public),
    foreign: buildCertChain(foreignRoot, intermediate, serverStatic.public),
    expired: buildCertChain(root, intermediate, serverStatic.public, true),
  };
  const handshakeKeys = () => {
    const fault = state.faults.take();
    if (fault) logger.info({ fault }, 'connection fault applied');
    if (fault === 'cert_key_mismatch') return { serverStatic: impostorStatic, certChain: chains.own };
    if (fault === 'cert_expired') return { serverStatic, certChain: chains.expired };
    return { serverStatic, certChain: state.faults.foreignRoot ? chains.foreign : chains.own };
  };

  const hooks = {
    handshakeKeys,
    logger,
    onPayload: (conn: Connection, payload: Parameters<typeof onClientPayload>[2]) =>
      onClientPayload(state, conn, payload),
    onNode: (conn: Connection, node: Parameters<typeof onNode>[2]) => onNode(state, conn, node),
    onClose: (conn: Connection) => {
      state.conns.delete(conn);
      const reg = state.registrations.get(conn);
      if (reg) {
        reg.link?.settle?.({ ok: false, code: 'no_pending_code', message: 'the companion disconnected' });
        state.forgetRegistration(reg);
      }
      const d = state.phones.ofConnection(conn);
      if (d && d.device.conn === conn) {
        d.device.conn = null;
        requeueInflight(d.device);
      }
    },
  };

  const wss = new WebSocketServer({ noServer: true });
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (opts.controlApi) return void handleControl(sim, req, res);
    res.writeHead(404).end();
  });
  http.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    // refuseConnections: the TCP connection is accepted but dies before the WebSocket handshake, like an unreachable edge.
    if (state.faults.refuseConnections || path !== WS_PATH) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new Connection(ws, hooks);
      state.conns.add(conn);
    });
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let stopped = false;

  // Declared after the server whose control handler reads it: requests arrive only once it is listening.
  const sim: Simulator = {
    url: `ws://${urlHost}:${port}${WS_PATH}`,
    rootPublicKey: Buffer.from(root.public),
    faults: state.faults,
    scan: async (input) => scan(state, input),
    enterCode: async (input) => enterCode(state, input),
    unlink: async (phone) => unlink(state, phone),
    disconnect: async (phone, mode) => disconnect(state, phone, mode),
    listPhones: () =>
      state.phones.all().map((p) => ({
        phone: p.phone,
        push_name: p.pushName,
        devices: [...p.devices.values()].map((d) => ({
          jid: d.jid,
          platform: d.platform,
          connected: !!d.conn && !d.conn.closed,
        })),
      })),
    setPushName: async (phone, name) => setPushName(state, phone, name),
    sendText: async (input) => sendText(state, input),
    receivedMessages: (phone) => receivedMessages(state, phone),
    reset: async () => reset(state),
    devices: (phone) => devices(state, phone),
    activity: (phone) => activity(state, phone),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const c of [...state.conns]) c.drop();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      store.close();
    },
  };
  logger.info({ url: sim.url, root: root.public.toString('hex') }, 'simulator listening');
  return sim;
}
