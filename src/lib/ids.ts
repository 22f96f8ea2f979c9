import { randomBytes, randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Unbiased random string over [A-Za-z0-9] (62^12 ≈ 2^71 for instance ids: unguessable). */
export function randomAlnum(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/** 12-character instance id, as Wawp issues them. */
export const newInstanceId = (): string => randomAlnum(12);

/** Prefixed opaque id for internal records (accounts, tokens, events). */
export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;
