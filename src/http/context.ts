import type { Account, InstanceRecord, TokenRecord } from '../store/index.ts';

/**
 * The per-route knobs (`config.auth`, `config.xmlRoot`) and what the auth hook leaves on the request. Route plugins
 * get their services as arguments when registered (src/gateway/http-app.ts); there is no service locator.
 */

/** Who may call a route: nobody special, the admin token, any access token, or an access token + its instance. */
export type AuthKind = 'none' | 'admin' | 'account' | 'instance';

/** Set by the auth hook; `instance` only on `instance` routes. */
export interface RequestAuth {
  account: Account;
  token: TokenRecord;
  instance: InstanceRecord | null;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Default by path prefix (auth.ts `defaultAuthKind`): /admin, /sandbox → admin; /v2/account… → account; /v2 → instance. */
    auth?: AuthKind;
    /** XML root element for success bodies (`session`, `me`, …); false: never render XML (docs, raw bytes). */
    xmlRoot?: string | false;
  }
  interface FastifyRequest {
    auth: RequestAuth | null;
  }
}
