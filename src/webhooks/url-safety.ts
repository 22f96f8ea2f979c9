import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

/**
 * Webhook URL safety (SSRF). A webhook URL is refused when it, or any address its host name resolves to, is not a
 * public unicast address: loopback, private, link-local, unspecified, multicast, reserved, documentation, CGNAT, and
 * IPv6 forms that embed such an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible, NAT64, 6to4).
 * SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE=1 lifts the address rules (tests, private deployments); scheme rules stay.
 *
 * The check runs twice: when a subscription is saved (a clear 400 for the caller) and inside the HTTP client's DNS
 * lookup at every delivery, so a name that later resolves somewhere private (DNS rebinding) is refused on the socket
 * that would have been used.
 */

export class UnsafeUrlError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'UnsafeUrlError';
  }
}

const MAX_URL_LENGTH = 2048;

function parseIPv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

/** 16 bytes of an IPv6 address (with an optional dotted IPv4 tail and zone), or null. */
function parseIPv6(text: string): number[] | null {
  let s = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (!v4) return null;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    s = `${s.slice(0, lastColon + 1)}0`; // placeholder group, replaced below
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out = h.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN));
    return out.some(Number.isNaN) ? null : out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return null;
  if (tail.length > 0) (rest.length > 0 ? rest : head).pop();
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  const words = [...head, ...Array(8 - given).fill(0), ...rest, ...tail];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

const inV4 = (b: number[], base: number[], bits: number): boolean => {
  for (let i = 0; i < 4; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    const mask = (0xff << (8 - take)) & 0xff;
    if ((b[i]! & mask) !== (base[i]! & mask)) return false;
  }
  return true;
};

const V4_RANGES: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

function classifyV4(b: number[]): string | null {
  for (const [base, bits, reason] of V4_RANGES) if (inV4(b, parseIPv4(base)!, bits)) return reason;
  return null;
}

function classifyV6(b: number[]): string | null {
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const v4At = (i: number) => b.slice(i, i + 4);
  if (zero(0, 15) && b[15] === 0) return 'unspecified';
  if (zero(0, 15) && b[15] === 1) return 'loopback';
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return classifyV4(v4At(12)) ?? null; // IPv4-mapped
  if (zero(0, 12)) return classifyV4(v4At(12)) ?? 'reserved'; // IPv4-compatible (deprecated)
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) return classifyV4(v4At(12)); // NAT64
  if (b[0] === 0x20 && b[1] === 0x02) return classifyV4(v4At(2)); // 6to4
  if ((b[0]! & 0xfe) === 0xfc) return 'private (unique local)';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'link-local';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return 'site-local';
  if (b[0] === 0xff) return 'multicast';
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'documentation';
  if (b[0] === 0x01 && zero(1, 8)) return 'discard';
  return null;
}

/** Why an IP address is not a public unicast address, or null when it is one (or is not an IP address). */
export function forbiddenAddressReason(address: string): string | null {
  const v4 = parseIPv4(address);
  if (v4) return classifyV4(v4);
  const v6 = address.includes(':') ? parseIPv6(address) : null;
  return v6 ? classifyV6(v6) : null;
}

/**
 * The refusal names the problem ("private address"), never the address: the message reaches the tenant (400 answer,
 * a delivery's last_error), and where an internal name resolves is the operator's business.
 */
function refuseAddress(address: string, host: string): void {
  const reason = forbiddenAddressReason(address);
  if (reason)
    throw new UnsafeUrlError(host === address ? `${reason} address` : `${host} resolves to a ${reason} address`);
}

/** Host names that mean this machine whatever DNS says (RFC 6761). */
const isLocalName = (host: string): boolean => /(^|\.)localhost\.?$/i.test(host);

/** dns.lookup's shape; replaceable so tests can make a name resolve anywhere. */
export type Resolver = typeof dnsLookup;

/** Parses and checks the URL's form and, unless allowed, its literal or resolved addresses. Returns the URL. */
export async function checkWebhookUrl(raw: string, opts: { allowPrivate: boolean; resolve?: Resolver }): Promise<URL> {
  if (raw.length > MAX_URL_LENGTH) throw new UnsafeUrlError(`URL longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeUrlError('not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UnsafeUrlError('only http and https URLs');
  if (url.username || url.password) throw new UnsafeUrlError('credentials in the URL are not allowed');
  if (!url.hostname) throw new UnsafeUrlError('no host');
  if (opts.allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isLocalName(host)) throw new UnsafeUrlError(`${host}: loopback name`);
  if (isIP(host)) {
    refuseAddress(host, host);
    return url;
  }
  let addresses: LookupAddress[];
  try {
    addresses = await new Promise((resolve, reject) =>
      (opts.resolve ?? dnsLookup)(host, { all: true }, (err, list) => (err ? reject(err) : resolve(list))),
    );
  } catch {
    // Not resolvable now: accepted; deliveries will fail visibly (last_error) until it resolves, and then be checked.
    return url;
  }
  for (const a of addresses) refuseAddress(a.address, host);
  return url;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses forbidden addresses (all of them checked, whichever the socket would pick).
 * Literal IP hosts never reach a lookup, so the sender checks those itself (checkWebhookUrl).
 */
export function safeLookup(allowPrivate: boolean, resolve: Resolver = dnsLookup) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (err, list) => {
      if (err) return callback(err, []);
      try {
        if (!allowPrivate) {
          if (isLocalName(hostname)) throw new UnsafeUrlError(`${hostname}: loopback name`);
          for (const a of list) refuseAddress(a.address, hostname);
        }
      } catch (refused) {
        return callback(Object.assign(refused as Error, { code: 'EREFUSED_ADDRESS' }), []);
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * A URL as it may appear in logs: scheme, host, port and path. The query string and fragment are dropped (receivers
 * put secrets there: `?token=…`), and so are credentials.
 */
export function urlForLog(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
