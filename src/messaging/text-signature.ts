/**
 * The instance's `signature` template (docs/http-api.md "Wawp routes": `POST /v2/session/config`), appended to every outbound text, e.g.
 * "\n\nSent by: {{pushName}}". Known placeholders are replaced; anything else that looks like one is left exactly as
 * written and reported, so a typo such as {{pushname}} is visible in the send's `warnings` instead of silently eaten.
 */

export interface SignatureContext {
  /** The live account name (/me pushName), falling back to displayName; never null. */
  pushName: string;
  /** Digits of the linked number. */
  phone: string;
}

export interface RenderedSignature {
  text: string;
  warnings: string[];
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export function renderSignature(template: string | null, ctx: SignatureContext): RenderedSignature {
  if (!template) return { text: '', warnings: [] };
  const unknown = new Set<string>();
  const text = template.replace(PLACEHOLDER, (whole, name: string) => {
    if (name === 'pushName') return ctx.pushName;
    if (name === 'phone') return `+${ctx.phone}`;
    unknown.add(whole);
    return whole;
  });
  return { text, warnings: [...unknown].map((p) => `unknown signature placeholder ${p} left as written`) };
}
