import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { strongEtag, type MeEntry } from '../../identity/index.ts';
import type { MeAnswer } from '../../sessions/index.ts';
import { PLATFORMS } from '../../identity/index.ts';
import type { SessionStatus } from '../../domain/index.ts';
import { requestInstance } from '../auth.ts';
import { errors } from '../api-errors.ts';
import { ifNoneMatchHits } from '../etag.ts';
import { negotiate } from '../renditions.ts';
import { errorResponses, instanceQuery, Nullable, SECURITY } from '../schemas.ts';
import { toXml } from '../xml.ts';

/**
 * GET /v2/session/me (docs/http-api.md "/v2/session/me"): who is logged in on a WORKING instance. Served from the session layer's in-memory
 * identity cache (no store read, no engine round-trip): the JSON bytes and the strong ETag were made once when
 * the identity last changed; the XML rendition is made on its first request and kept with the same cache entry,
 * so it goes away with it. `private, no-cache`: clients may keep a copy but must revalidate (If-None-Match → 304),
 * because a logout makes any copy wrong at once.
 */

/** What the route needs from the session layer (SessionManager; a stub in tests). */
export interface MeSource {
  me(instanceId: string, storedStatus: SessionStatus): MeAnswer;
}

/**
 * PostgreSQL with several nodes: the stored identity of an instance that is WORKING on another node
 * (identity/shared-identity-cache.ts), asked only when this node has no connection for it.
 */
export interface SharedMeSource {
  lookup(instanceId: string): MeEntry | null | Promise<MeEntry | null>;
}

interface Representation {
  contentType: string;
  /** A string, not a Buffer: Node joins a string body to the header block in one chunk (a Buffer goes as its own). */
  payload: string;
  etag: string;
}

export const CACHE_CONTROL = 'private, no-cache';

const MeBodySchema = Type.Object(
  {
    id: Type.String({ description: 'Phone JID, `@c.us` form, no device suffix', examples: ['201012345678@c.us'] }),
    pushName: Nullable(
      Type.String({ description: "The account's name (business name for business accounts); null until known" }),
    ),
    platform: Type.String({ enum: [...PLATFORMS], description: 'Normalized: smba → android, iphone/smbi → ios' }),
    me: Type.Object({ id: Type.String(), name: Nullable(Type.String()) }),
    lid: Nullable(Type.String({ description: "The account's LID, e.g. 123456789012345@lid" })),
    displayName: Type.String({ description: 'Never null: pushName, else business name, else +<digits of id>' }),
    platformRaw: Nullable(Type.String({ description: 'As WhatsApp reported it: android, iphone, smba, smbi, …' })),
    source: Type.Literal('live'),
    updatedAt: Type.String({ description: 'When this identity was last seen changing (ISO 8601)' }),
  },
  {
    description:
      'The Wawp shape (id, pushName, platform, me) first, Switchboard extensions after. Also the payload of the ' +
      '`session.identity` event. XML root `<me>` with `Accept: application/xml`.',
    headers: {
      ETag: { type: 'string', description: 'Strong entity tag of this representation' },
      'Cache-Control': { type: 'string', description: '`private, no-cache`' },
    },
  },
);

// The XML rendition per cache entry: dropped together with the entry when the identity changes (a new entry is a new key).
const renderedXml = new WeakMap<MeEntry, { payload: string; etag: string }>();

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

function representation(entry: MeEntry, accept: string | string[] | undefined): Representation {
  const wanted = negotiate(accept);
  if (wanted.rendition === 'xml') {
    let xml = renderedXml.get(entry);
    if (!xml) {
      const payload = toXml('me', entry.body);
      renderedXml.set(entry, (xml = { payload, etag: strongEtag(payload) }));
    }
    // application/xml and text/xml are the same bytes, hence the same tag; Vary: Accept keeps caches apart.
    return { contentType: `${wanted.mediaType}; charset=utf-8`, payload: xml.payload, etag: xml.etag };
  }
  // JSON for JSON and also for text/plain and text/html (docs/http-api.md "Request and response conventions": those renditions are for errors only).
  return { contentType: JSON_CONTENT_TYPE, payload: entry.json, etag: entry.etag };
}

function answer(
  source: MeSource,
  shared: SharedMeSource | undefined,
  request: FastifyRequest,
): MeEntry | Promise<MeEntry> {
  const instance = requestInstance(request);
  const result: MeAnswer = source.me(instance.id, instance.status);
  switch (result.kind) {
    case 'working':
      return result.entry;
    case 'not_connected':
      throw errors.sessionNotConnected(result.status);
    case 'unreachable': {
      if (!shared) throw errors.upstream();
      const found = shared.lookup(instance.id);
      if (found === null) throw errors.upstream();
      return found instanceof Promise ? found.then(orUpstream) : found;
    }
  }
}

function orUpstream(entry: MeEntry | null): MeEntry {
  if (entry === null) throw errors.upstream();
  return entry;
}

function send(entry: MeEntry, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const rep = representation(entry, request.headers.accept);
  reply.header('etag', rep.etag).header('cache-control', CACHE_CONTROL).header('vary', 'Accept');
  if (ifNoneMatchHits(request.headers['if-none-match'], rep.etag)) return reply.code(304).send();
  return reply.type(rep.contentType).send(rep.payload);
}

export function sessionMeRoutes(source: MeSource, shared?: SharedMeSource): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v2/session/me',
      {
        // xmlRoot false: this route renders its own XML (precomputed), the generic hook must not touch it.
        config: { auth: 'instance', xmlRoot: false },
        schema: {
          tags: ['session'],
          security: SECURITY.instance,
          summary: 'Who is logged in on a WORKING instance (ETag; If-None-Match → 304)',
          description:
            'Answered from memory for WORKING sessions (with several nodes on PostgreSQL, an instance WORKING on ' +
            'another node is answered from its stored identity, cached until the change feed announces a change). `ETag` (strong, per representation) and ' +
            '`Cache-Control: private, no-cache`; a request whose `If-None-Match` matches (weak comparison, lists and ' +
            '`*` accepted) gets 304 with no body. 404 `session_not_connected` (with `details.status`) when the ' +
            'instance is not WORKING; 502 `wawp_upstream_error` when the engine is out of reach.',
          querystring: instanceQuery(),
          response: {
            200: MeBodySchema,
            304: {
              type: 'null',
              description: 'Not Modified: the If-None-Match tag is the current one',
              headers: MeBodySchema.headers,
            },
            ...errorResponses(400, 401, 404, 500, 502),
          },
        },
      },
      (request: FastifyRequest, reply: FastifyReply) => {
        const entry = answer(source, shared, request);
        // A hit stays synchronous (the common case); only a store read of another node's identity waits.
        return entry instanceof Promise ? entry.then((e) => send(e, request, reply)) : send(entry, request, reply);
      },
    );
  };
}
