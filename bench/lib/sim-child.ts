/**
 * The WhatsApp simulator in a process of its own, for benches that must not count its memory and CPU as the
 * gateway's, and whose simulated phones must outlive one gateway process (boot restore in a fresh process).
 * Started with child_process.fork; answers over IPC: {type:'ready', url, rootKey, control} once listening.
 * Its one argument, if given, is the simulator's data dir (state in <dir>/sandbox.db, reloaded by the next child).
 * Stops when told ({type:'stop'}) or when the parent goes away (IPC disconnect), so it never outlives a bench.
 */
import pino from 'pino';
import { startSimulator } from '../../sim/index.ts';

if (!process.send) throw new Error('sim-child.ts must be started with child_process.fork');

const sim = await startSimulator({
  port: 0,
  host: '127.0.0.1',
  controlApi: true, // no auth: loopback only
  dataDir: process.argv[2] || undefined,
  logger: pino({ level: process.env.BENCH_SIM_LOG_LEVEL ?? 'silent' }),
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  sim.stop().finally(() => process.exit(0));
};
process.on('message', (m: { type?: string }) => {
  if (m?.type === 'stop') stop();
});
process.on('disconnect', stop);
process.on('SIGTERM', stop);

process.send({
  type: 'ready',
  url: sim.url,
  rootKey: sim.rootPublicKey.toString('hex'),
  control: sim.url.replace(/^ws:/, 'http:').replace(/\/ws\/chat$/, ''),
});
