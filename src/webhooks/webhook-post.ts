import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { LAST_ERROR_MAX_BYTES } from '../store/index.ts';
import { forbiddenAddressReason, safeLookup, type Resolver } from './url-safety.ts';

/**
 * One webhook POST over node:http(s), not fetch: the `lookup` hook lets us refuse private addresses on the very socket
 * that connects (fetch would resolve again after our check). Redirects are never followed (node:http does not), the
 * whole exchange has a deadline, and at most 1 KB of the answer is read (kept for last_error); a longer answer is cut
 * off and its socket dropped rather than drained.
 */

export interface SendResult {
  ok: boolean;
  /** HTTP status, or null when no answer came (refused, timeout, DNS…). */
  status: number | null;
  /** Why it failed (≤ 1 KB); undefined when ok. */
  error?: string;
}

export interface SenderOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  userAgent: string;
  /** Sockets kept per origin (keep-alive). */
  maxSockets?: number;
  /** DNS resolution (default dns.lookup); tests point names anywhere. */
  resolve?: Resolver;
}

export class WebhookSender {
  readonly #opts: SenderOptions;
  readonly #http: http.Agent;
  readonly #https: https.Agent;
  readonly #lookup: ReturnType<typeof safeLookup>;
  /** Parsed targets by URL text: a subscription's URL is parsed and screened once, not per request. */
  readonly #targets = new Map<string, { url: URL; refused: string | null }>();

  constructor(opts: SenderOptions) {
    this.#opts = opts;
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 256, scheduling: 'lifo' as const };
    this.#http = new http.Agent(agentOpts);
    this.#https = new https.Agent(agentOpts);
    this.#lookup = safeLookup(opts.allowPrivate, opts.resolve);
  }

  send(rawUrl: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const target = this.#target(rawUrl);
    if (!target.url || target.refused)
      return Promise.resolve({ ok: false, status: null, error: target.refused ?? 'invalid URL' });
    const url = target.url;
    const secure = url.protocol === 'https:';
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (result: SendResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const req = (secure ? https : http).request(url, {
        method: 'POST',
        agent: secure ? this.#https : this.#http,
        lookup: this.#lookup as never,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': this.#opts.userAgent,
          ...headers,
        },
      });
      const timer = setTimeout(() => {
        req.destroy();
        finish({ ok: false, status: null, error: `timeout after ${this.#opts.timeoutMs} ms` });
      }, this.#opts.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        const refused = err.code === 'EREFUSED_ADDRESS';
        finish({ ok: false, status: null, error: `${refused ? 'refused' : (err.code ?? 'error')}: ${err.message}` });
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = (complete: boolean): void => {
          const text = Buffer.concat(chunks).subarray(0, LAST_ERROR_MAX_BYTES).toString('utf8');
          if (status >= 200 && status < 300) return finish({ ok: true, status });
          const location =
            status >= 300 && status < 400 ? ` redirect not followed (Location: ${res.headers.location ?? '-'})` : '';
          finish({
            ok: false,
            status,
            error: `HTTP ${status}${location}${text ? `: ${text}` : ''}${complete ? '' : '…'}`,
          });
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size > LAST_ERROR_MAX_BYTES) {
            // Enough: do not read (or store) the rest; the socket is not reusable, drop it.
            res.destroy();
            done(false);
          }
        });
        res.on('end', () => done(true));
        res.on('error', () => done(false));
      });
      req.end(body);
    });
  }

  #target(rawUrl: string): { url: URL | null; refused: string | null } {
    let target = this.#targets.get(rawUrl);
    if (target) return target;
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      return { url: null, refused: 'invalid URL' };
    }
    // Literal IP hosts never reach the lookup hook: screen them here.
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const reason = !this.#opts.allowPrivate && isIP(host) ? forbiddenAddressReason(host) : null;
    target = { url, refused: reason ? `refused: ${reason} address` : null };
    if (this.#targets.size > 10_000) this.#targets.clear();
    this.#targets.set(rawUrl, target);
    return target;
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}
