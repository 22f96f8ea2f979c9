import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { Gateway } from './gateway.ts';

/** SSE and WebSocket clients of /v2/events/*, recording every envelope they receive with its seq. */

export interface Seen {
  seq: number;
  event: string;
  instance_id: string;
  payload: { status?: string; reason?: string };
  id: string;
}

export interface Client {
  seen: Seen[];
  until(predicate: (seen: Seen[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** A client over the envelopes it has seen so far, whatever the transport. */
function client(seen: Seen[], close: () => void): Client {
  return {
    seen,
    until: (p, timeoutMs = 30_000) =>
      poll(
        () => p(seen),
        () => JSON.stringify(seen.map((s) => s.payload.status ?? s.event)),
        timeoutMs,
      ),
    close,
  };
}

async function poll(what: () => boolean, describe: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An SSE client over fetch: `id:` lines are the seq, `data:` the envelope. Resolves once the stream is open. */
export async function sse(
  gw: Pick<Gateway, 'url'>,
  token: string,
  headers: Record<string, string> = {},
): Promise<Client> {
  const controller = new AbortController();
  const res = await fetch(`${gw.url}/v2/events/sse?access_token=${token}`, { headers, signal: controller.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const seen: Seen[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: (\d+)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (id && data) seen.push({ ...JSON.parse(data), seq: Number(id) });
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return client(seen, () => controller.abort());
}

/** A WebSocket client; each message is the envelope plus `seq`. Resolves once open. */
export async function ws(gw: Pick<Gateway, 'url'>, query: string): Promise<Client> {
  const socket = new WebSocket(`${gw.url.replace('http', 'ws')}/v2/events/ws?${query}`);
  const seen: Seen[] = [];
  socket.on('message', (data) => seen.push(JSON.parse(String(data))));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
    socket.once('error', reject);
  });
  return client(seen, () => socket.close());
}
