/**
 * Webhook receiver for bench/webhooks.ts, in its own process so it never shares the dispatcher's event loop.
 * Answers 200 at once, counts requests and distinct event ids; reports over IPC: {port} when listening, and
 * {requests, unique} on {cmd: 'count'}. The ids themselves stay here; {cmd: 'check', ids} answers which are missing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const seen = new Set<string>();
let requests = 0;
const server = createServer((req, res) => {
  req.resume();
  requests++;
  const id = req.headers['x-switchboard-event-id'];
  if (typeof id === 'string') seen.add(id);
  res.writeHead(200, { 'content-length': '0' }).end();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('message', (m: { cmd: string; ids?: string[] }) => {
  if (m.cmd === 'count') process.send!({ requests, unique: seen.size });
  if (m.cmd === 'check') process.send!({ missing: (m.ids ?? []).filter((id) => !seen.has(id)) });
});
process.on('disconnect', () => process.exit(0));
