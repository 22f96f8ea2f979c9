import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * The signature of a call one node forwards to another (docs/multi-node.md "Forwarding"). It proves that the call
 * comes from a node of this cluster, nothing about the tenant: the receiving node still authenticates the tenant's
 * access token as for any call.
 *
 * HMAC-SHA256 over a version label, the method, the path with its query (exactly as sent), the SHA-256 of the body
 * bytes, the sender's clock in milliseconds and the sending node's id, with a secret every node shares: by default
 * derived from the master key (which every node must share anyway, since any node may decrypt any instance's
 * credentials) with HKDF under a fixed label, so the credentials key itself never signs anything;
 * SWITCHBOARD_CLUSTER_SECRET overrides it.
 *
 * Freshness: a signature is accepted within `windowMs` (30 s) either side of the receiver's clock. Within that window
 * a captured call could be replayed; that is accepted (the internal channel is meant for a private network, and the
 * same call could be replayed by whoever captured it from the client anyway, since access tokens are bearer tokens).
 */

export const FORWARD_HEADERS = {
  node: 'x-switchboard-forward-node',
  time: 'x-switchboard-forward-time',
  signature: 'x-switchboard-forward-signature',
} as const;

const VERSION = 'switchboard-forward-v1';
const HKDF_INFO = 'switchboard cluster forwarding v1';
export const FORWARD_WINDOW_MS = 30_000;

/** The cluster secret: SWITCHBOARD_CLUSTER_SECRET when set, else HKDF-SHA256(master key, fixed label). */
export function clusterSecret(masterKey: Buffer, override: string | null = null): Buffer {
  if (override !== null) return createHash('sha256').update(override, 'utf8').digest();
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), HKDF_INFO, 32));
}

export interface ForwardedCall {
  method: string;
  /** Path and query, exactly as on the wire. */
  url: string;
  body: Buffer;
}

const bodyHash = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

function mac(secret: Buffer, call: ForwardedCall, time: string, nodeId: string): Buffer {
  const text = [VERSION, call.method.toUpperCase(), call.url, bodyHash(call.body), time, nodeId].join('\n');
  return createHmac('sha256', secret).update(text, 'utf8').digest();
}

/** The three headers of a forwarded call. */
export function signForward(
  secret: Buffer,
  call: ForwardedCall,
  nodeId: string,
  now: number = Date.now(),
): Record<string, string> {
  const time = String(Math.floor(now));
  return {
    [FORWARD_HEADERS.node]: nodeId,
    [FORWARD_HEADERS.time]: time,
    [FORWARD_HEADERS.signature]: `v1=${mac(secret, call, time, nodeId).toString('hex')}`,
  };
}

export type ForwardRefusal = 'unsigned' | 'malformed' | 'expired' | 'bad_signature';

export type ForwardCheck = { ok: true; nodeId: string } | { ok: false; reason: ForwardRefusal };

type Headers = Record<string, string | string[] | undefined>;

/** True when the request carries any of the forwarding headers (then it must verify, or be refused). */
export function claimsForwarded(headers: Headers): boolean {
  return (
    headers[FORWARD_HEADERS.node] !== undefined ||
    headers[FORWARD_HEADERS.signature] !== undefined ||
    headers[FORWARD_HEADERS.time] !== undefined
  );
}

export function verifyForward(
  secret: Buffer,
  headers: Headers,
  call: ForwardedCall,
  now: number = Date.now(),
  windowMs: number = FORWARD_WINDOW_MS,
): ForwardCheck {
  const nodeId = headers[FORWARD_HEADERS.node];
  const time = headers[FORWARD_HEADERS.time];
  const signature = headers[FORWARD_HEADERS.signature];
  if (nodeId === undefined || time === undefined || signature === undefined) return { ok: false, reason: 'unsigned' };
  if (typeof nodeId !== 'string' || typeof time !== 'string' || typeof signature !== 'string') {
    return { ok: false, reason: 'malformed' };
  }
  const m = /^v1=([0-9a-f]{64})$/.exec(signature);
  if (!m || !/^\d{1,16}$/.test(time) || nodeId.length === 0 || nodeId.length > 100) {
    return { ok: false, reason: 'malformed' };
  }
  // Checked before the MAC is compared, but the MAC covers the time: a fresh time cannot be pasted on an old call.
  if (Math.abs(now - Number(time)) > windowMs) return { ok: false, reason: 'expired' };
  const expected = mac(secret, call, time, nodeId);
  if (!timingSafeEqual(expected, Buffer.from(m[1]!, 'hex'))) return { ok: false, reason: 'bad_signature' };
  return { ok: true, nodeId };
}
