/**
 * Simulator pairing latency against bare Baileys: socket create → first QR, scan → open (incl. 515, re-handshake and
 * the 812-prekey upload), and relogin → open. Median of N runs (default 20), printed as a markdown table row.
 * Run: node --import tsx bench/sim-pairing.ts [runs]
 */
import { rm } from 'node:fs/promises';
import { startSimulator } from '../sim/index.ts';
import { connect, newAuth, silent, within } from '../test/sim/helpers.ts';

const runs = Number(process.argv[2] ?? 20);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const sim = await startSimulator({ logger: silent });
const toQr: number[] = [];
const scanToOpen: number[] = [];
const relogin: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const auth = await newAuth();
    const phone = String(201000000000 + i);
    let t = performance.now();
    const first = connect(sim, auth);
    const qr = await within(first.qr(), 10_000, 'QR');
    toQr.push(performance.now() - t);
    t = performance.now();
    await sim.scan({ qr, phone, pushName: 'Bench' });
    await within(first.closed, 10_000, '515');
    const second = connect(sim, auth);
    await within(second.opened, 10_000, 'open');
    scanToOpen.push(performance.now() - t);
    second.end();
    await within(second.closed, 5_000, 'end');
    t = performance.now();
    const third = connect(sim, auth);
    await within(third.opened, 10_000, 'relogin');
    relogin.push(performance.now() - t);
    third.end();
    await within(third.closed, 5_000, 'end');
    await rm(auth.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
} finally {
  await sim.stop();
}
const f = (xs: number[]) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
console.log('| runs | socket → QR | scan → open (515 + relogin + prekeys) | relogin → open |');
console.log('|---|---|---|---|');
console.log(`| ${runs} | ${f(toQr)} | ${f(scanToOpen)} | ${f(relogin)} |`);
