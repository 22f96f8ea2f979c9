/** Event envelope of docs/http-api.md "Events" (Wawp v2 / WAHA style). */
export interface EventEnvelope<P = unknown> {
  id: string;
  timestamp: number;
  session: string;
  instance_id: string;
  engine: 'BAILEYS';
  event: string;
  payload: P;
  me: { id: string; lid: string | null; pushName: string | null } | null;
}

export const EVENT_NAMES = [
  'session.status',
  'session.identity',
  'session.identity_mismatch',
  'message',
  'message.ack',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];
