import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { FastifyServerFactory } from 'fastify';
import { performance } from 'node:perf_hooks';
import { MAX_TOKEN_LENGTH, type AuthCache } from '../tenancy/index.ts';
import type { AccessLog } from './access-log.ts';
import { connectionTokenHash } from './auth.ts';
import { claimsForwarded } from './forward/forward-signature.ts';
import { negotiate } from './renditions.ts';
import { genReqId } from './request-id.ts';
import { CACHE_CONTROL, JSON_CONTENT_TYPE, type MeSource } from './routes/session-me.ts';

/**
 * The fast lane of `GET /v2/session/me` (docs/architecture.md "The /me fast lane"): the one call clients poll, answered
 * straight from Node's request event when it is the plain case, before Fastify builds a request, routes it and runs
 * its hooks. Everything else (every error, HEAD, XML, If-None-Match, a token in a header, any other parameter, a body,
 * an instance another node holds, a server closing) goes to Fastify untouched, and Fastify's route
 * (routes/session-me.ts) stays the definition: the lane answers only what that route would answer, with the same
 * status, headers and body, built from the same pieces (auth cache, identity cache entry, request id, access line).
 *
 * Why: Fastify's machinery (routing, request and reply objects, the hook chain, a child logger, response listeners)
 * cost more CPU than the rest of a /me answer (BENCHMARKS.md, `npm run bench -- http`).
 *
 * The plain case, all of it checked here:
 * - `GET`, the path exactly `/v2/session/me`, a query of exactly `access_token` and `instance_id` (either order,
 *   plain characters, no escapes), no request body;
 * - no `If-None-Match`, an `Accept` that gets JSON, no forwarding headers;
 * - both the token's account and its instance already in the auth cache (a positive answer; no store read);
 * - the instance WORKING on this node (the identity cache has its entry) and, with several nodes, its lease held here.
 */

/** What the lane needs; the same objects Fastify's route and hooks use. */
export interface MeFastLaneDeps {
  authCache: Pick<AuthCache, 'cachedInstance'>;
  me: MeSource;
  /** The access log of Fastify's requests; null when the app has no logger. */
  accessLog: AccessLog | null;
  /** Several nodes: whether this node holds the instance's lease (else Fastify forwards the call). */
  holdsLease?: (instanceId: string) => boolean;
}

const PATH = '/v2/session/me?';
/** Token characters (base64url and `_`, as issued) and instance ids; anything else goes the long way. */
const TOKEN_FIRST = /^access_token=([A-Za-z0-9_-]+)&instance_id=([A-Za-z0-9]{1,64})$/;
const INSTANCE_FIRST = /^instance_id=([A-Za-z0-9]{1,64})&access_token=([A-Za-z0-9_-]+)$/;

export class MeFastLane {
  readonly #deps: MeFastLaneDeps;
  #closing = false;

  constructor(deps: MeFastLaneDeps) {
    this.#deps = deps;
  }

  /** From the moment the app starts closing, every call goes to Fastify (its 503 and `Connection: close`). */
  close(): void {
    this.#closing = true;
  }

  /** Answers the request and returns true, or returns false having changed nothing (Fastify takes it). */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url;
    if (req.method !== 'GET' || url === undefined || !url.startsWith(PATH) || this.#closing) return false;
    const query = url.slice(PATH.length);
    let token: string;
    let instanceId: string;
    let m = TOKEN_FIRST.exec(query);
    if (m) {
      token = m[1]!;
      instanceId = m[2]!;
    } else {
      m = INSTANCE_FIRST.exec(query);
      if (!m) return false;
      instanceId = m[1]!;
      token = m[2]!;
    }
    const headers = req.headers;
    if (
      token.length > MAX_TOKEN_LENGTH ||
      headers['if-none-match'] !== undefined ||
      headers['content-length'] !== undefined ||
      headers['transfer-encoding'] !== undefined ||
      (headers.accept !== undefined && negotiate(headers.accept).rendition === 'xml') ||
      claimsForwarded(headers)
    ) {
      return false;
    }
    const started = performance.now();
    const { authCache, me, holdsLease, accessLog } = this.#deps;
    const instance = authCache.cachedInstance(connectionTokenHash(req.socket, token), instanceId);
    if (instance === undefined || (holdsLease !== undefined && !holdsLease(instanceId))) return false;
    let answer;
    try {
      answer = me.me(instance.id, instance.status);
    } catch {
      return false; // the session layer is closing: Fastify's route gives the error
    }
    if (answer.kind !== 'working') return false;
    const entry = answer.entry;
    const id = genReqId(req);
    // The headers of Fastify's answer, in its order (request id from the onRequest hook, then the route's).
    res.writeHead(200, [
      'x-request-id',
      id,
      'etag',
      entry.etag,
      'cache-control',
      CACHE_CONTROL,
      'vary',
      'Accept',
      'content-type',
      JSON_CONTENT_TYPE,
      'content-length',
      String(Buffer.byteLength(entry.json)),
    ]);
    res.end(entry.json);
    if (accessLog?.writes) {
      accessLog.completed(id, 'GET', url, headers.host, req.socket.remoteAddress, 200, performance.now() - started);
    }
    return true;
  }
}

/**
 * Fastify's `serverFactory`: the HTTP server Fastify would make, with the lane in front of Fastify's handler.
 * Fastify applies its timeouts only to servers it makes itself (lib/server.js), so they are applied here.
 */
export function serverWithFastLane(lane: MeFastLane): FastifyServerFactory {
  return (handler, options) => {
    // The options as Fastify resolved them (its defaults applied); typed loosely by Fastify for any server kind.
    const opts = options as {
      keepAliveTimeout?: number;
      requestTimeout?: number;
      connectionTimeout?: number;
      maxRequestsPerSocket?: number | null;
    };
    const server = createServer((req, res) => {
      if (!lane.serve(req, res)) handler(req, res);
    });
    server.keepAliveTimeout = opts.keepAliveTimeout ?? 72_000;
    server.requestTimeout = opts.requestTimeout ?? 0;
    server.setTimeout(opts.connectionTimeout ?? 0);
    if (opts.maxRequestsPerSocket) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
    return server;
  };
}
