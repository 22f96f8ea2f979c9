/**
 * A PgRelay in its own process (forked by `RemotePgRelay`), so the relay keeps forwarding while the test process is
 * busy (the simulator's pairing crypto would otherwise stall every node's database traffic). IPC: {url} when
 * listening; {cmd: 'cut' | 'drop' | 'restore'} answered {ok: true}.
 */
import { PgRelay } from './pg-relay.ts';

const relay = await PgRelay.open();
process.send!({ url: relay.url });
process.on('message', (m: { cmd: 'cut' | 'drop' | 'restore' }) => {
  relay[m.cmd]();
  process.send!({ ok: true });
});
process.on('disconnect', () => void relay.close().then(() => process.exit(0)));
