/**
 * Phone-number validation and platform constants. A leaf module (only errors.ts) so that directory.ts can validate
 * numbers without importing phones.ts, which needs Person from directory.ts.
 */
import { SimError } from './errors.ts';

export const PHONE_RE = /^[1-9]\d{5,14}$/;

export function normalizePhone(input: unknown): string {
  const s = String(input ?? '').replace(/^\+/, '');
  if (!PHONE_RE.test(s))
    throw new SimError('invalid_phone', `phone must be 6-15 digits with country code, got ${JSON.stringify(input)}`);
  return s;
}

export const BUSINESS_PLATFORMS = new Set(['smba', 'smbi']);
