/**
 * Generic JSON → XML rendition (docs/http-api.md "Request and response conventions"): root element named after the resource, object keys as child elements,
 * arrays as repeated <item>, null as <x nil="true"/>. The value is first normalised through JSON so the XML says
 * exactly what the JSON rendition says (toJSON, Dates, undefined keys dropped).
 */

/** Conservative XML name: ASCII letters, digits, `_ . -`, not starting with a digit, `.`, `-` or "xml". */
const XML_NAME = /^(?!xml)[A-Za-z_][A-Za-z0-9_.-]{0,127}$/i;

// Characters XML 1.0 cannot carry at all (even escaped): C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF.
const INVALID_CHARS =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXml(text: string): string {
  return text
    .replace(INVALID_CHARS, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function isXmlName(name: string): boolean {
  return XML_NAME.test(name);
}

/** Opening/closing tag for a key: itself when it is a safe name, else <entry key="..."> so any key survives. */
function tag(key: string): { open: string; close: string; empty: (attrs: string) => string } {
  if (isXmlName(key)) return { open: `<${key}>`, close: `</${key}>`, empty: (a) => `<${key}${a}/>` };
  const attr = ` key="${escapeXml(key)}"`;
  return { open: `<entry${attr}>`, close: '</entry>', empty: (a) => `<entry${attr}${a}/>` };
}

function element(key: string, value: unknown): string {
  const t = tag(key);
  if (value === null) return t.empty(' nil="true"');
  if (Array.isArray(value)) return t.open + value.map((v) => element('item', v)).join('') + t.close;
  if (typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => element(k, v))
      .join('');
    return t.open + inner + t.close;
  }
  return t.open + escapeXml(String(value)) + t.close;
}

export function toXml(root: string, value: unknown): string {
  const normalised = value === undefined ? null : JSON.parse(JSON.stringify(value) ?? 'null');
  return '<?xml version="1.0" encoding="UTF-8"?>' + element(isXmlName(root) ? root : 'response', normalised);
}
