import type { Account, InstanceRecord, Store, TokenRecord } from '../store/types.ts';
import type { Config } from '../config.ts';
import type { InstanceRegistry } from '../tenancy/instance-registry.ts';
import type { WebhookService } from '../webhooks/subscriptions.ts';
import type { AuthCache } from '../tenancy/auth-cache.ts';

/**
 * What every HTTP plugin can reach (`app.services`) and the per-route knobs (`config.auth`, `config.xmlRoot`).
 * Later services (session manager, webhooks, sandbox) join AppServices as optional fields.
 */

/** Who may call a route: nobody special, the admin token, any access token, or an access token + its instance. */
export type AuthKind = 'none' | 'admin' | 'account' | 'instance';

export interface AppServices {
  config: Config;
  store: Store;
  registry: InstanceRegistry;
  /** Token → account and instance lookups of the auth hook, exact (invalidated by the store's change feed). */
  authCache: AuthCache;
  sandbox: boolean;
  version: string;
  serverName: string;
  /** Webhook subscriptions (create-time `webhooks`); absent in apps built without them. */
  webhooks?: WebhookService;
}

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
  interface FastifyInstance {
    services: AppServices;
  }
  interface FastifyRequest {
    auth: RequestAuth | null;
  }
}
