import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A webhook receiver on 127.0.0.1 (port 0) whose answer the test decides per request. */

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  json: any;
  /** What the receiver answered (or 'hang'). */
  answer: Behaviour;
}

/** 'ok' → 200, a number → that status, 'hang' → never answers (the sender times out). */
export type Behaviour = 'ok' | 'hang' | number;

export interface Receiver {
  url: string;
  received: Received[];
  /** Decides the answer to each request; default 'ok'. */
  behave(fn: (r: Omit<Received, 'answer'>) => Behaviour): void;
  /** Resolves once `predicate` holds over what was received (polled), or rejects after timeoutMs. */
  until(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  let decide: (r: Omit<Received, 'answer'>) => Behaviour = () => 'ok';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        // recorded as is
      }
      const seen = { headers: req.headers, body, json };
      const answer = decide(seen);
      received.push({ ...seen, answer });
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      const status = answer === 'ok' ? 200 : answer;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'thanks' : `nope ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    behave(fn) {
      decide = fn;
    },
    async until(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`receiver: condition not met; got ${received.length} requests`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
