/**
 * Conditional GET (RFC 9110 section 13.1.2): `If-None-Match` holds `*` or a comma-separated list of entity tags,
 * each possibly weak (`W/"…"`). It uses the WEAK comparison: two tags match when their opaque parts are equal,
 * whatever their W/ prefixes. A match on a GET means "you already have it": 304.
 */

// One list element: empty elements before it are skipped (RFC 9110 section 5.6.1 asks recipients to accept them),
// then optional W/ and a quoted opaque part (etagc excludes `"`; commas are allowed inside the quotes).
const ENTITY_TAG = /[\s,]*(?:W\/)?("[^"]*")\s*(?:,|$)/y;

/** The opaque parts (quotes kept) of a list of entity tags; null when the header is malformed. */
export function parseEntityTags(header: string): string[] | null {
  const tags: string[] = [];
  let at = 0;
  while (at < header.length) {
    if (/^[\s,]*$/.test(header.slice(at))) break;
    ENTITY_TAG.lastIndex = at;
    const m = ENTITY_TAG.exec(header);
    if (!m) return null;
    tags.push(m[1]!);
    at = ENTITY_TAG.lastIndex;
  }
  return tags;
}

/** True when `If-None-Match` matches the current representation's tag (`etag`, strong or weak, quoted). */
export function ifNoneMatchHits(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return true;
  const opaque = etag.startsWith('W/') ? etag.slice(2) : etag;
  return parseEntityTags(value)?.includes(opaque) ?? false;
}
