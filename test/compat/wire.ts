import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before } from 'node:test';
import { newPhone, sleep, startGateway, type Gateway, type Instance } from '../harness/gateway.ts';

/**
 * The compatibility suite's client side: requests written byte for byte as each real Wawp client sends them
 * (docs/wawp-clients.md), over plain node:http so no client library adds or drops a header. The gateway side is the
 * real one (test/harness/gateway.ts): HTTP on loopback, the Baileys engine, the embedded simulator.
 */

export interface WireAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed when the answer says JSON, else undefined. */
  json: any;
}

export interface WireRequest {
  method: string;
  /** Path and query exactly as the client writes them (already encoded). */
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export function send(baseUrl: string, req: WireRequest): Promise<WireAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const r = httpRequest(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const type = String(res.headers['content-type'] ?? '');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: type.includes('json') ? JSON.parse(text) : undefined,
          });
        });
      },
    );
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

/** `URLSearchParams` serialisation (what `fetch` + URLSearchParams and PHP's add_query_arg produce). */
export const qs = (params: Record<string, string>): string => new URLSearchParams(params).toString();

/**
 * n8n's `helpers.request` with `qs`: objects and arrays in bracket-index form (`chatId[0]=…`, `messageIds[][0]=…`),
 * keys and values percent-encoded, as the `qs` package's `arrayFormat: 'indices'` writes them.
 */
export function n8nQs(params: Record<string, string | string[]>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v))
      v.forEach((item, i) => parts.push(`${encodeURIComponent(`${k}[${i}]`)}=${encodeURIComponent(item)}`));
    else parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  }
  return parts.join('&');
}

/** An account with one instance linked to a simulated phone (WORKING), and a contact number to talk to. */
export interface Linked {
  instance: Instance;
  phone: string;
  contact: string;
}

export async function linkedInstance(g: Gateway, name: string): Promise<Linked> {
  const instance = await g.newInstance(name);
  const phone = newPhone();
  assert.equal((await instance.call('POST', '/v2/session/start')).status, 200);
  const scan = await g.admin('POST', '/sandbox/scan', {
    qr: await instance.qr(),
    phone,
    push_name: 'Shop',
    platform: 'android',
  });
  assert.equal(scan.status, 200, String(scan.raw));
  await instance.waitStatus('WORKING', 'connected');
  return { instance, phone, contact: newPhone() };
}

/** A sandbox gateway and one linked instance for a test file: booted before its tests, closed after them. */
export function sandboxWithLinkedInstance(name: string): { g: Gateway; l: Linked } {
  const ctx = {} as { g: Gateway; l: Linked };
  before(async () => {
    ctx.g = await startGateway();
    ctx.l = await linkedInstance(ctx.g, name);
  });
  after(() => ctx.g.close());
  return ctx;
}

/** The contact sends the account a text; resolves with the WhatsApp id of that message once the gateway has it. */
export async function contactWrites(g: Gateway, l: Linked, text: string): Promise<string> {
  const sent = await g.admin('POST', `/sandbox/phones/${l.contact}/messages`, { to: l.phone, text });
  assert.equal(sent.status, 200, String(sent.raw));
  return sent.body.id as string;
}

/** Polls what a simulated contact observed until `ready` holds. */
export async function activityWhen(
  g: Gateway,
  phone: string,
  ready: (entries: any[]) => boolean,
  timeoutMs = 15_000,
): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  let last: any[] = [];
  while (Date.now() < deadline) {
    const res = await g.admin('GET', `/sandbox/phones/${phone}/activity`);
    assert.equal(res.status, 200, String(res.raw));
    last = res.body as any[];
    if (ready(last)) return last;
    await sleep(50);
  }
  throw new Error(`activity of ${phone}: condition not met; last ${JSON.stringify(last)}`);
}

/** Polls the texts a simulated contact received until one has `text`. */
export async function receivedText(g: Gateway, phone: string, text: string, timeoutMs = 15_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await g.admin('GET', `/sandbox/phones/${phone}/messages`);
    const found = (res.body as any[]).find((m) => m.text === text);
    if (found) return found;
    await sleep(50);
  }
  throw new Error(`${phone} never received ${JSON.stringify(text)}`);
}

/** A fresh instance in SCAN_QR_CODE (for pairing-code and QR requests). */
export async function scanningInstance(g: Gateway, name: string): Promise<Instance> {
  const instance = await g.newInstance(name);
  assert.equal((await instance.call('POST', '/v2/session/start')).status, 200);
  await instance.qr();
  return instance;
}
