/**
 * Simulator stage 2 latency against bare Baileys (app-state MACs verified): open → me.name set by app-state sync,
 * sendText → messages.upsert (first = pkmsg, later = msg), sendMessage → READ status, setPushName → new me.name.
 * Median of N runs (default 10), printed as a markdown table row.
 * Run: node --import tsx bench/sim-messaging.ts [runs]  (libsignal itself prints "Closing session" lines to the console)
 */
import { rm } from 'node:fs/promises';
import { startSimulator } from '../sim/index.ts';
import { newAuth, pairByQr, silent, within } from '../test/sim/helpers.ts';
import { quietLibsignal } from '../src/engine/libsignal-console.ts';

// libsignal prints whole session records on the console; keep the report clean (the gateway's engine does the same).
quietLibsignal(silent);

const runs = Number(process.argv[2] ?? 10);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const until = async (fn: () => boolean, what: string) => {
  for (const deadline = Date.now() + 10_000; !fn(); await new Promise((r) => setTimeout(r, 1))) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
  }
};

const sim = await startSimulator({ logger: silent });
const cols = {
  name: [] as number[],
  pkmsg: [] as number[],
  msg: [] as number[],
  read: [] as number[],
  rename: [] as number[],
};
try {
  for (let i = 0; i < runs; i++) {
    const auth = await newAuth();
    const phone = String(201000000000 + i);
    const contact = String(447700900000 + i);
    const { client } = await pairByQr(
      sim,
      auth,
      { phone, pushName: 'Bench' },
      { appStateMacVerification: { patch: true, snapshot: true } },
    );
    let t = performance.now();
    await until(() => auth.state.creds.me?.name === 'Bench', 'name');
    cols.name.push(performance.now() - t);
    const seen = new Set<string>();
    const read = new Set<string>();
    client.sock.ev.on('messages.upsert', ({ messages }) => messages.forEach((m) => seen.add(m.key.id!)));
    client.sock.ev.on('messages.update', (us) => us.forEach((u) => u.update.status === 4 && read.add(u.key.id!)));
    t = performance.now();
    const a = await sim.sendText({ from: contact, to: phone, text: 'one' });
    await until(() => seen.has(a.id), 'pkmsg');
    cols.pkmsg.push(performance.now() - t);
    t = performance.now();
    const sent = await client.sock.sendMessage(`${contact}@s.whatsapp.net`, { text: 'reply' });
    await until(() => read.has(sent!.key.id!), 'read');
    cols.read.push(performance.now() - t);
    t = performance.now();
    const b = await sim.sendText({ from: contact, to: phone, text: 'two' });
    await until(() => seen.has(b.id), 'msg');
    cols.msg.push(performance.now() - t);
    t = performance.now();
    await sim.setPushName(phone, 'Renamed');
    await until(() => auth.state.creds.me?.name === 'Renamed', 'rename');
    cols.rename.push(performance.now() - t);
    client.end();
    await within(client.closed, 5_000, 'end');
    await rm(auth.dir, { recursive: true, force: true });
  }
} finally {
  await sim.stop();
}
const f = (xs: number[]) => `${median(xs).toFixed(0)} ms`;
process.stdout.write(
  '| runs | open → me.name | sendText → upsert (pkmsg) | sendText → upsert (msg) | sendMessage → READ | rename → me.name |\n|---|---|---|---|---|---|\n',
);
process.stdout.write(
  `| ${runs} | ${f(cols.name)} | ${f(cols.pkmsg)} | ${f(cols.msg)} | ${f(cols.read)} | ${f(cols.rename)} |\n`,
);
