import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventSource } from '../../events/index.ts';
import {
  firstReplayedAt,
  openFeed,
  parseLastEventId,
  StreamGuard,
  StreamLimitError,
  type FeedItem,
  type GuardedStore,
  type StreamEndReason,
  type StreamPrincipal,
} from '../../events/index.ts';
import type { EventStore } from '../../store/index.ts';
import type { InstanceRegistry } from '../../tenancy/index.ts';
import { authenticateAccessToken, hashToken } from '../../tenancy/index.ts';
import { credential, requestAccount } from '../auth.ts';
import { type ApiError, type ErrorBody, errorBody, errors } from '../api-errors.ts';
import { genReqId } from '../request-id.ts';
import { accountQuery, errorResponses, SECURITY } from '../schemas.ts';

/**
 * Live events of the caller's account: `GET /v2/events/sse` (Server-Sent Events) and `GET /v2/events/ws` (WebSocket).
 * Both resume from the outbox with Last-Event-ID = the outbox sequence number of the last event seen: SSE sends it
 * as each message's `id:` (browsers echo it back in the `Last-Event-ID` header on reconnect); WebSocket messages
 * carry it as `seq` next to the envelope, and a reconnecting client passes `last_event_id` in the query (or the
 * Last-Event-ID header). Optional `instance_id` narrows to one instance of the account.
 *
 * The WebSocket handshake is taken on the server's 'upgrade' event (node:http never routes upgrades through
 * Fastify), so it authenticates itself with the same token rules (query, access-token header, Bearer).
 *
 * A stream outlives its authentication, so a StreamGuard keeps checking its principal: revoking its token, deleting
 * its account or (for an `instance_id` stream) its instance ends it within a second. SSE then sends a last
 * `event: error` whose data is the usual error body plus `reason`; a WebSocket is closed with 4401 (token_revoked,
 * account_deleted) or 4404 (instance_deleted) and the reason as close text. Streams per account are limited
 * (SWITCHBOARD_MAX_STREAMS_PER_ACCOUNT: 429 past it), and a resume never replays events older than the replay window
 * (SWITCHBOARD_STREAM_REPLAY_WINDOW): such a Last-Event-ID is refused with 400 before the stream opens.
 */

const WS_PATH = '/v2/events/ws';
/** A client that lets this much pile up is closed; it can resume with Last-Event-ID. */
const MAX_BUFFERED = 4 * 1024 * 1024;
const HEARTBEAT_MS = 25_000;

const StreamQuery = accountQuery({
  instance_id: Type.Optional(Type.String({ description: 'Only this instance of the account' })),
  last_event_id: Type.Optional(Type.String({ description: 'Resume after this outbox seq (or header Last-Event-ID)' })),
});

interface Live {
  close(): void;
}

/** How each end reason is told: the error body's status/code and the WebSocket close code. */
const ENDINGS: Record<StreamEndReason, { error: () => ApiError; wsCode: number }> = {
  token_revoked: { error: errors.invalidAccessToken, wsCode: 4401 },
  account_deleted: { error: errors.invalidAccessToken, wsCode: 4401 },
  instance_deleted: { error: errors.invalidInstance, wsCode: 4404 },
};

export function streamEndBody(reason: StreamEndReason, requestId: string): ErrorBody & { reason: StreamEndReason } {
  return { ...errorBody(ENDINGS[reason].error(), requestId), reason };
}

function lastEventId(headers: IncomingMessage['headers'], query: { last_event_id?: string }): number | null {
  const id = parseLastEventId(query.last_event_id ?? headers['last-event-id']);
  if (Number.isNaN(id)) throw errors.invalidParameter('last_event_id');
  return id;
}

/** Refuses a WebSocket handshake with the API's JSON error body. */
function refuse(socket: Duplex, err: ApiError, requestId: string): void {
  const body = JSON.stringify(errorBody(err, requestId));
  socket.end(
    `HTTP/1.1 ${err.statusCode} ${STATUS_CODES[err.statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function bearer(value: string | undefined): string | undefined {
  return value ? /^\s*Bearer\s+(\S+)\s*$/i.exec(value)?.[1] : undefined;
}

export interface EventStreamDeps {
  /** Where live events come from: the bus, or on PostgreSQL every node's events (ClusterEventSource). */
  bus: EventSource;
  store: GuardedStore & EventStore;
  registry: InstanceRegistry;
  /** SWITCHBOARD_MAX_STREAMS_PER_ACCOUNT. */
  maxStreamsPerAccount: number;
  /** SWITCHBOARD_STREAM_REPLAY_WINDOW, in ms. */
  replayWindowMs: number;
}

export function eventStreamRoutes(deps: EventStreamDeps): FastifyPluginAsyncTypebox {
  const { bus, store, registry, replayWindowMs: windowMs } = deps;
  return async (app) => {
    const live = new Set<Live>();
    const guard = new StreamGuard(store, {
      maxPerAccount: deps.maxStreamsPerAccount,
      onError: (err) => app.log.error({ err }, 'checking live streams failed'),
    });

    /** Refuses a resume that would replay events older than the replay window (Last-Event-ID=0 on an old outbox). */
    const checkResume = async (accountId: string, afterSeq: number | null): Promise<void> => {
      if (afterSeq === null) return;
      const oldest = await firstReplayedAt(store, accountId, afterSeq);
      if (oldest !== null && Date.now() - oldest > windowMs) {
        throw errors.invalidParameter('last_event_id', {
          problem: 'older than the replay window; reconnect without Last-Event-ID',
          replay_window_seconds: Math.round(windowMs / 1000),
        });
      }
    };

    /** Admits a stream (429 past the account's limit); `end` is told why the guard closes it. */
    const admit = (principal: StreamPrincipal, end: (reason: StreamEndReason) => void): (() => void) => {
      try {
        return guard.admit(principal, end);
      } catch (err) {
        if (err instanceof StreamLimitError)
          throw errors.tooManyRequests({ limit: err.limit, what: 'live event streams per account' });
        throw err;
      }
    };
    const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });

    const instanceFilter = async (accountId: string, raw: unknown): Promise<string | undefined> => {
      if (raw === undefined || raw === '') return undefined;
      if (typeof raw !== 'string' || !(await registry.getForAccount(accountId, raw))) throw errors.invalidInstance();
      return raw;
    };

    /** Runs a feed into a connection; `write` returns false when the client is too far behind. */
    const attach = async (
      accountId: string,
      instanceId: string | undefined,
      afterSeq: number | null,
      write: (item: FeedItem) => boolean,
      end: () => void,
    ): Promise<Live> => {
      let stop: () => void = () => undefined;
      const conn: Live = {
        close: () => {
          if (!live.delete(conn)) return;
          stop();
          end();
        },
      };
      live.add(conn);
      try {
        stop = await openFeed({
          store,
          bus,
          accountId,
          instanceId,
          afterSeq,
          send: (item) => void (write(item) || conn.close()),
        });
      } catch (err) {
        live.delete(conn);
        throw err;
      }
      return conn;
    };

    app.get(
      '/v2/events/sse',
      {
        config: { auth: 'account', xmlRoot: false },
        schema: {
          tags: ['events'],
          security: SECURITY.instance,
          summary: 'Live events (Server-Sent Events); `id:` is the outbox seq; resume with Last-Event-ID',
          querystring: StreamQuery,
          response: {
            200: {
              description: 'Server-Sent Events: `id: <seq>` + `data: <event envelope JSON>` per event',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
            ...errorResponses(400, 401, 404),
          },
        },
      },
      async (request, reply) => {
        const account = requestAccount(request);
        const q = request.query;
        const afterSeq = lastEventId(request.headers, q);
        const instanceId = await instanceFilter(account.id, q.instance_id);
        await checkResume(account.id, afterSeq);
        let ending: StreamEndReason | null = null;
        let endStream = (): void => undefined;
        const release = admit(
          { accountId: account.id, tokenHash: hashToken(String(credential(request, 'access_token'))), instanceId },
          (reason) => {
            ending = reason;
            endStream();
          },
        );
        reply.hijack();
        const res: ServerResponse = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-request-id': request.id,
        });
        res.write('retry: 2000\n\n');
        const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
        const write = (item: FeedItem): boolean => {
          res.write(`id: ${item.seq}\ndata: ${JSON.stringify(item.envelope)}\n\n`);
          return res.writableLength <= MAX_BUFFERED;
        };
        try {
          const conn = await attach(account.id, instanceId, afterSeq, write, () => {
            clearInterval(heartbeat);
            release();
            if (ending) res.write(`event: error\ndata: ${JSON.stringify(streamEndBody(ending, request.id))}\n\n`);
            res.end();
          });
          endStream = () => conn.close();
          request.raw.once('close', () => conn.close());
          if (request.raw.destroyed || ending) conn.close();
        } catch (err) {
          clearInterval(heartbeat);
          release();
          request.log.error({ err }, 'event stream replay failed');
          res.end();
        }
      },
    );

    // Documented here; a request that is not a WebSocket upgrade lands here and is told what to do.
    app.get(
      WS_PATH,
      {
        config: { auth: 'account' },
        schema: {
          tags: ['events'],
          security: SECURITY.instance,
          summary:
            'Live events over WebSocket: each message is the event envelope plus `seq`; resume with last_event_id',
          querystring: StreamQuery,
          response: { 101: { description: 'Switching Protocols' }, ...errorResponses(400, 401, 404) },
        },
      },
      async () => {
        throw errors.invalidParameter('upgrade', { expected: 'websocket' });
      },
    );

    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname.replace(/\/+$/, '') !== WS_PATH) {
        // Someone else's upgrade route, unless we are the only listener: then nobody serves it.
        if (app.server.listenerCount('upgrade') === 1) refuse(socket, errors.notFound(), genReqId(req));
        return;
      }
      void handshake(req, socket, head, url).catch((err: unknown) => {
        const apiErr = (err as ApiError).statusCode ? (err as ApiError) : errors.internal();
        if (!(err as ApiError).statusCode) app.log.error({ err }, 'WebSocket handshake failed');
        refuse(socket, apiErr, genReqId(req));
      });
    };

    const handshake = async (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> => {
      const q = Object.fromEntries(url.searchParams);
      const token =
        q.access_token ?? (req.headers['access-token'] as string | undefined) ?? bearer(req.headers.authorization);
      const found = token ? await authenticateAccessToken(store, token) : null;
      if (!found || !token) throw errors.invalidAccessToken();
      const afterSeq = lastEventId(req.headers, q);
      const instanceId = await instanceFilter(found.account.id, q.instance_id ?? req.headers['x-instance-id']);
      await checkResume(found.account.id, afterSeq);
      let ending: StreamEndReason | null = null;
      let endStream = (): void => undefined;
      const release = admit({ accountId: found.account.id, tokenHash: hashToken(token), instanceId }, (reason) => {
        ending = reason;
        endStream();
      });
      if (socket.destroyed) return release();
      socket.once('close', release);
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        const heartbeat = setInterval(() => ws.ping(), HEARTBEAT_MS);
        const write = (item: FeedItem): boolean => {
          ws.send(JSON.stringify({ ...(item.envelope as object), seq: item.seq }));
          return ws.bufferedAmount <= MAX_BUFFERED;
        };
        attach(found.account.id, instanceId, afterSeq, write, () => {
          clearInterval(heartbeat);
          release();
          if (ending) ws.close(ENDINGS[ending].wsCode, ending);
          else ws.close(1001, 'closing');
        })
          .then((conn) => {
            endStream = () => conn.close();
            ws.once('close', () => conn.close());
            if (ws.readyState !== ws.OPEN || ending) conn.close();
          })
          .catch((err: unknown) => {
            clearInterval(heartbeat);
            release();
            app.log.error({ err }, 'event stream replay failed');
            ws.close(1011, 'replay failed');
          });
      });
    };

    app.server.on('upgrade', onUpgrade);
    // Live connections never end on their own: close them first, so the server can close.
    app.addHook('preClose', async () => {
      app.server.off('upgrade', onUpgrade);
      guard.close();
      for (const conn of [...live]) conn.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    });
  };
}
