import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { needsConnection } from '../../domain/index.ts';
import type { LeaseHolder } from '../../store/index.ts';
import { errors } from '../api-errors.ts';
import { rawBody } from '../body.ts';
import { ForwardUnreachableError, endToEnd, forwardTo } from './forward-client.ts';
import { FORWARD_HEADERS, claimsForwarded, signForward, verifyForward } from './forward-signature.ts';

/**
 * Any node answers any call (docs/multi-node.md "Forwarding"). One decision for every instance route (auth
 * `instance`, including the v1 paths, which reuse the v2 routes' options), made after authentication and validation,
 * before the handler:
 *
 * - this node holds the instance's lease (in memory, no I/O), or nobody does: the call runs here (a command takes the
 *   free lease, as on a single node);
 * - another node holds it and is alive: the call is forwarded to its internal address, signed, and its answer (status,
 *   headers, body) relayed unchanged;
 * - that node is lost (its lease expired, its heartbeat older than the renewal deadline after which it gives up by its
 *   own rule, or the forward is refused or times out): the call runs here with the instance seen as
 *   `STARTING`/`node_lost` (what /info says; /me answers as for any instance not WORKING); a command meets the live
 *   lease of the lost node and answers 503 `owner_unavailable` with `Retry-After` until the takeover.
 *
 * A forwarded call is never forwarded again: on the receiving node it runs locally whatever the lease says (a node
 * that lost the lease meanwhile answers 503 `owner_unavailable`, or takes a free lease). The signature is checked
 * before authentication on every route; a call that claims to be forwarded and does not verify is 403
 * `forward_refused` and reaches no handler. The tenant's token is authenticated on both nodes.
 */

export interface ForwardingDeps {
  nodeId: string;
  secret: Buffer;
  /** This node holds the instance's lease right now (memory only). */
  holdsLease(instanceId: string): boolean;
  holderOf(instanceId: string): Promise<LeaseHolder | null>;
  /** A holder whose heartbeat is older than this has given its leases up by its own rule (renewDeadlineMs). */
  lostAfterMs: number;
  /** A forward with no answer within this long counts as a lost holder. Default 30 s. */
  timeoutMs?: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Instance routes are forwarded to the lease holder unless false (docs/multi-node.md "Forwarding"). */
    forward?: boolean;
  }
}

const EMPTY = Buffer.alloc(0);
/** Methods that change nothing: safe to answer here after a forward that may have reached the holder. */
const SAFE = new Set(['GET', 'HEAD']);
const FORWARD_HOOK = Symbol('switchboard.forward');
/** Outgoing request headers never copied: the forwarding headers are ours to set. */
const OWN_HEADERS: ReadonlySet<string> = new Set(Object.values(FORWARD_HEADERS));

/** Calls whose instance's owner is lost, with the status stored for it (what it was when the owner was lost). */
const lostOwner = new WeakMap<FastifyRequest, string>();

/** The stored status of the call's instance when its owner is lost (node_lost), else undefined. */
export function ownerLostWhile(request: FastifyRequest): string | undefined {
  return lostOwner.get(request);
}

/** Calls that arrived forwarded and verified, with the sending node. */
const forwardedBy = new WeakMap<FastifyRequest, string>();

export function forwardedFrom(request: FastifyRequest): string | undefined {
  return forwardedBy.get(request);
}

const callOf = (request: FastifyRequest) => ({
  method: request.method,
  url: request.url,
  body: rawBody(request) ?? EMPTY,
});

/** Install before any route is registered (after registerAuth, so `config.auth` is known). */
export function registerForwarding(app: FastifyInstance, deps: ForwardingDeps): void {
  const timeoutMs = deps.timeoutMs ?? 30_000;

  // Before every route's own preValidation (authentication): root hooks run first.
  app.addHook('preValidation', (request, _reply, done) => {
    if (!claimsForwarded(request.headers)) return done();
    const check = verifyForward(deps.secret, request.headers, callOf(request));
    if (!check.ok) return done(errors.forwardRefused(check.reason));
    forwardedBy.set(request, check.nodeId);
    done();
  });

  /** The instance's owner is lost: this call sees the status readers should see until a takeover. */
  const seeLost = (request: FastifyRequest): void => {
    const auth = request.auth!;
    if (!needsConnection(auth.instance!.status)) return;
    lostOwner.set(request, auth.instance!.status);
    request.auth = { ...auth, instance: { ...auth.instance!, status: 'STARTING', reason: 'node_lost' } };
  };

  const relay = (reply: FastifyReply, answer: { status: number; headers: object; body: Buffer }): void => {
    reply.code(answer.status).headers(answer.headers);
    if (answer.body.length === 0) reply.send();
    else reply.send(answer.body);
  };

  /** True when the call was answered (forwarded); false: run it here. */
  const dispatch = async (request: FastifyRequest, reply: FastifyReply, instanceId: string): Promise<boolean> => {
    let holder: LeaseHolder | null;
    try {
      holder = await deps.holderOf(instanceId);
    } catch (err) {
      // The lease pool could not answer (database busy or away): run here, as before forwarding existed; a command
      // then meets the lease itself (taken if free, 503 if held elsewhere).
      request.log.warn({ err, instanceId }, 'lease holder lookup failed; answering here');
      return false;
    }
    if (!holder || holder.nodeId === deps.nodeId) return false;
    if (!holder.live || holder.heartbeatAgeMs > deps.lostAfterMs) {
      seeLost(request);
      return false;
    }
    if (!holder.address) return false; // the command meets the live lease: 503 owner_unavailable
    const call = callOf(request);
    const headers = {
      ...endToEnd(request.headers, OWN_HEADERS),
      'x-request-id': request.id,
      ...signForward(deps.secret, call, deps.nodeId),
    };
    try {
      relay(reply, await forwardTo(holder.address, { ...call, headers }, timeoutMs));
      return true;
    } catch (err) {
      if (!(err instanceof ForwardUnreachableError)) throw err;
      request.log.warn({ err, instanceId, holder: holder.nodeId }, 'lease holder unreachable');
      // A command the holder may have received and acted on is not run a second time here: the client retries.
      if (err.mayHaveArrived && !SAFE.has(request.method)) throw errors.ownerUnavailable('owner_unreachable');
      seeLost(request);
      return false;
    }
  };

  const hook: preHandlerHookHandler = function forward(request, reply, done) {
    const instanceId = request.auth?.instance?.id;
    if (!instanceId || forwardedBy.has(request) || deps.holdsLease(instanceId)) return done();
    dispatch(request, reply, instanceId).then((answered) => {
      if (!answered) done();
    }, done);
  };
  const marked = Object.assign(hook, { [FORWARD_HOOK]: true as const });

  app.addHook('onRoute', (route) => {
    if (route.config?.auth !== 'instance' || route.config.forward === false) return;
    const existing = route.preHandler === undefined ? [] : [route.preHandler].flat();
    if (existing.some((h) => (h as { [FORWARD_HOOK]?: true })[FORWARD_HOOK])) return;
    route.preHandler = [marked, ...existing];
  });
}
