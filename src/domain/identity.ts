/** Who is logged in on an instance (kept while disconnected, marked stale; cleared on logout/unlink). */
export interface IdentityRecord {
  /** Phone JID without device, e.g. "201012345678@s.whatsapp.net". */
  phoneJid: string;
  lid: string | null;
  pushName: string | null;
  businessName: string | null;
  /** Raw platform as WhatsApp reported it ("android", "iphone", "smba", ...). */
  platform: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  stale: boolean;
}
