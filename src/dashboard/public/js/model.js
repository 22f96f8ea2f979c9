// Instance state as the page knows it, merged from /v2/account/instances, /v2/session/me and live events.

/** From a /v2/account/instances row. */
export function fromSummary(row) {
  return {
    id: row.instance_id,
    name: row.name,
    status: row.status,
    reason: row.reason,
    since: row.updatedAt,
    me: row.me ? { id: row.me.id, pushName: row.me.pushName, platform: row.platform ?? null } : null,
  };
}

/** Identity fields of a /v2/session/me answer (or a session.identity payload, which is the same body). */
export function fromMe(me) {
  return {
    id: me.id,
    lid: me.lid ?? null,
    pushName: me.pushName ?? null,
    displayName: me.displayName ?? null,
    platform: me.platform ?? null,
    platformRaw: me.platformRaw ?? null,
  };
}

/**
 * Applies a live event envelope to an instance model; returns true when something shown changed. The envelope's
 * `me` is the identity at the time of the event (null once credentials and identity were cleared).
 */
export function applyEvent(model, env) {
  const p = env.payload ?? {};
  if (env.event === 'session.status') {
    model.status = p.status ?? model.status;
    model.reason = p.reason ?? model.reason;
    model.since = new Date(env.timestamp ?? Date.now()).toISOString();
    if (p.name) model.name = p.name;
    if (Object.hasOwn(env, 'me')) mergeMe(model, env.me);
    return true;
  }
  if (env.event === 'session.identity') {
    model.me = { ...(sameAccount(model.me, p) ? model.me : {}), ...fromMe(p) };
    return true;
  }
  if (env.event === 'session.identity_mismatch') {
    model.mismatch = { expected: p.expected, actual: p.actual, at: env.timestamp };
    return true;
  }
  return false;
}

function sameAccount(a, b) {
  return Boolean(a && b && a.id === b.id);
}

function mergeMe(model, me) {
  if (!me) {
    model.me = null;
    return;
  }
  const keep = sameAccount(model.me, me) ? model.me : {};
  model.me = { ...keep, id: me.id, lid: me.lid ?? keep.lid ?? null, pushName: me.pushName ?? null };
  // The display name follows the push name when it changes (api.md: displayName = pushName, else …).
  if (me.pushName) model.me.displayName = me.pushName;
}
