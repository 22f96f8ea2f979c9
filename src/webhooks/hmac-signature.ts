import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures (docs/http-api.md "Events"): `X-Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The timestamp is signed with the body so a captured request cannot be replayed later than the receiver's tolerance.
 * Each attempt is signed afresh (new t); X-Switchboard-Event-Id stays the same across attempts for de-duplication.
 */

export const SIGNATURE_HEADER = 'x-switchboard-signature';

export function signatureFor(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * What a receiver does (the README shows the same in a few lines): recompute over the raw body, compare in constant
 * time, and refuse timestamps outside the tolerance.
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string,
  opts: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  const parts = new Map(header.split(',').map((kv) => kv.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isInteger(t) || !given || !/^[0-9a-f]{64}$/.test(given)) return false;
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}
