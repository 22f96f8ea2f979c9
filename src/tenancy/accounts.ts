import { timingSafeEqual } from 'node:crypto';
import type { Account, TokenRecord, TokenStore, Transactional } from '../store/index.ts';
import { generateToken, hashToken, MAX_TOKEN_LENGTH } from './tokens.ts';

/**
 * Accounts and their access tokens. The plaintext token exists only in the value returned to the caller
 * (shown once); the store sees its SHA-256 hash.
 */

export const DEFAULT_MAX_INSTANCES = 10;

export interface IssuedToken {
  tokenId: string;
  accessToken: string;
}

export async function createAccountWithToken(
  store: Transactional,
  input: { name: string; maxInstances?: number },
): Promise<{ account: Account } & IssuedToken> {
  const accessToken = generateToken('sb');
  return store.tx(async (tx) => {
    const account = await tx.createAccount({
      name: input.name,
      maxInstances: input.maxInstances ?? DEFAULT_MAX_INSTANCES,
    });
    const token = await tx.createToken(account.id, hashToken(accessToken));
    return { account, tokenId: token.id, accessToken };
  });
}

/** A new token for an existing account, or null when the account does not exist. */
export async function issueToken(store: Transactional, accountId: string): Promise<IssuedToken | null> {
  const accessToken = generateToken('sb');
  return store.tx(async (tx) => {
    if (!(await tx.getAccount(accountId))) return null;
    const token = await tx.createToken(accountId, hashToken(accessToken));
    return { tokenId: token.id, accessToken };
  });
}

export interface AuthenticatedAccount {
  account: Account;
  token: TokenRecord;
}

/**
 * Resolves a presented access token to its account (revoked tokens never match). The lookup is by hash (`hash`, when
 * the caller already has the token's); when the store hands the stored hash back, it is compared again in constant
 * time so a lookup bug cannot let a token in.
 */
export async function authenticateAccessToken(
  store: TokenStore,
  token: string,
  hash?: string,
): Promise<AuthenticatedAccount | null> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
  hash ??= hashToken(token);
  const found = await store.findTokenByHash(hash);
  if (!found || found.token.revokedAt !== null) return null;
  const storedHash = (found.token as TokenRecord & { tokenHash?: unknown }).tokenHash;
  if (typeof storedHash === 'string' && !sameHex(storedHash, hash)) return null;
  return found;
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
