import type { EngineIdentity } from '../engine/index.ts';
import type { IdentityRecord } from '../domain/index.ts';
import type { EventEnvelope } from '../events/index.ts';
import { normalizePlatform, type Platform } from './platform.ts';

/**
 * Who is linked on an instance, in the three shapes Switchboard needs: the stored record, the `me` of an event
 * envelope, and the `/v2/session/me` body (also the payload of `session.identity`, docs/http-api.md "/v2/session/me").
 */

const digitsOf = (jid: string): string => jid.split('@')[0]!.split(':')[0]!;

/** Stored record from the engine's live identity; first-seen survives reconnects of the same account. */
export function identityRecordFrom(live: EngineIdentity, previous: IdentityRecord | null, now: string): IdentityRecord {
  const phoneJid = `${live.phone}@s.whatsapp.net`;
  const sameAccount = previous !== null && previous.phoneJid === phoneJid;
  return {
    phoneJid,
    lid: live.lid ?? (sameAccount ? previous.lid : null),
    // A reconnect may report the name as unknown before app-state sync; keep the one we already had.
    pushName: live.pushName ?? (sameAccount ? previous.pushName : null),
    businessName: live.businessName ?? (sameAccount ? previous.businessName : null),
    platform: live.platform ?? (sameAccount ? previous.platform : null),
    firstSeenAt: sameAccount ? previous.firstSeenAt : now,
    lastSeenAt: now,
    stale: false,
  };
}

/** True when the public view of the identity differs (worth a session.identity event). */
export function identityChanged(a: IdentityRecord | null, b: IdentityRecord | null): boolean {
  if (a === null || b === null) return a !== b;
  return (
    a.phoneJid !== b.phoneJid ||
    a.lid !== b.lid ||
    a.pushName !== b.pushName ||
    a.businessName !== b.businessName ||
    a.platform !== b.platform
  );
}

/** `me` of the event envelope. */
export function envelopeMe(identity: IdentityRecord | null): EventEnvelope['me'] {
  if (identity === null) return null;
  return {
    id: `${digitsOf(identity.phoneJid)}@c.us`,
    lid: identity.lid,
    pushName: identity.pushName ?? identity.businessName,
  };
}

export interface MeBody {
  id: string;
  pushName: string | null;
  platform: Platform;
  me: { id: string; name: string | null };
  lid: string | null;
  displayName: string;
  platformRaw: string | null;
  source: 'live' | 'stored';
  updatedAt: string;
}

/** The `/v2/session/me` body (Wawp shape first, extensions after). */
export function meBody(identity: IdentityRecord, source: 'live' | 'stored'): MeBody {
  const digits = digitsOf(identity.phoneJid);
  const id = `${digits}@c.us`;
  const name = identity.pushName ?? identity.businessName;
  return {
    id,
    pushName: name,
    platform: normalizePlatform(identity.platform),
    me: { id, name },
    lid: identity.lid,
    displayName: name ?? `+${digits}`,
    platformRaw: identity.platform,
    source,
    updatedAt: identity.lastSeenAt,
  };
}
