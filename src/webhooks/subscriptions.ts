import { newId } from '../lib/index.ts';
import type { Store } from '../store/index.ts';
import type { DeliveryRecord, DeliveryStatus, SubscriptionRecord } from '../store/index.ts';
import { SecretBox } from './secret-box.ts';
import { UnsafeUrlError, checkWebhookUrl } from './url-safety.ts';

/**
 * Webhook subscriptions and deliveries as the API shows them. HTTP-free: input problems are WebhookInputError
 * (parameter + reason), which the routes turn into 400 invalid_parameter.
 *
 * Setting webhooks (`{"webhooks":[…]}`) replaces the scope's set, matched by URL: a URL already subscribed keeps its id,
 * secret and delivery history and takes the new events / is_active; a new URL gets a new subscription and a generated
 * secret, shown in that answer only; a URL left out is deleted with its deliveries.
 */

export interface WebhookInput {
  url: string;
  events?: string[];
  is_active?: boolean;
  /** Optional caller-chosen secret (16–256 characters); otherwise one is generated. */
  secret?: string;
}

export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  is_active: boolean;
  created_at: string;
  /** Only in the answer that created the subscription (or set a new secret). */
  secret?: string;
}

export interface DeliveryView {
  id: string;
  event_id: string;
  event: string;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  instance_id: string;
  subscription_id: string;
  response_code: number | null;
  created_at: string;
}

export type Scope = { accountId: string; instanceId: string | null };

export class WebhookInputError extends Error {
  constructor(
    readonly parameter: string,
    readonly reason: string,
  ) {
    super(`${parameter}: ${reason}`);
    this.name = 'WebhookInputError';
  }
}

export const MAX_WEBHOOKS = 20;
const EVENT_NAME = /^[A-Za-z0-9_.*-]{1,64}$/;

interface Prepared {
  url: string;
  events: string[];
  isActive: boolean;
  secret?: string;
}

export class WebhookService {
  readonly #store: Store;
  readonly #box: SecretBox;
  readonly #allowPrivate: boolean;

  constructor(store: Store, masterKey: Buffer, opts: { allowPrivate: boolean }) {
    this.#store = store;
    this.#box = new SecretBox(masterKey);
    this.#allowPrivate = opts.allowPrivate;
  }

  get secrets(): SecretBox {
    return this.#box;
  }

  /** Checks a `webhooks` array (URLs resolved and screened); throws WebhookInputError naming the bad field. */
  async prepare(list: WebhookInput[], parameter = 'webhooks'): Promise<Prepared[]> {
    if (list.length > MAX_WEBHOOKS) throw new WebhookInputError(parameter, `at most ${MAX_WEBHOOKS} webhooks`);
    const seen = new Set<string>();
    const out: Prepared[] = [];
    for (const [i, w] of list.entries()) {
      const at = `${parameter}.${i}`;
      let url: URL;
      try {
        url = await checkWebhookUrl(w.url, { allowPrivate: this.#allowPrivate });
      } catch (err) {
        if (err instanceof UnsafeUrlError) throw new WebhookInputError(`${at}.url`, err.reason);
        throw err;
      }
      if (seen.has(url.href)) throw new WebhookInputError(`${at}.url`, 'listed twice');
      seen.add(url.href);
      const events = w.events ?? ['*'];
      if (events.length === 0 || events.length > 50 || !events.every((e) => EVENT_NAME.test(e))) {
        throw new WebhookInputError(`${at}.events`, 'a non-empty list of event names, or ["*"]');
      }
      if (w.secret !== undefined && (w.secret.length < 16 || w.secret.length > 256)) {
        throw new WebhookInputError(`${at}.secret`, '16 to 256 characters');
      }
      out.push({ url: url.href, events: [...new Set(events)], isActive: w.is_active ?? true, secret: w.secret });
    }
    return out;
  }

  /** Replaces the scope's webhooks with `prepared` (see the file comment); one transaction. */
  async replace(scope: Scope, prepared: Prepared[], store: Store = this.#store): Promise<WebhookView[]> {
    return store.tx(async (tx) => {
      const existing = new Map((await tx.webhooks.listSubscriptions(scope)).map((s) => [s.url, s]));
      const views: WebhookView[] = [];
      for (const p of prepared) {
        const old = existing.get(p.url);
        existing.delete(p.url);
        if (old) {
          const patch = {
            events: p.events,
            isActive: p.isActive,
            ...(p.secret ? { secret: this.#box.seal(old.id, p.secret) } : {}),
          };
          views.push(view((await tx.webhooks.updateSubscription(old.id, patch)) ?? old));
          continue;
        }
        const id = newId('whk');
        const secret = p.secret ?? SecretBox.generate();
        const created = await tx.webhooks.createSubscription({
          id,
          ...scope,
          url: p.url,
          events: p.events,
          isActive: p.isActive,
          secret: this.#box.seal(id, secret),
        });
        views.push({ ...view(created), ...(p.secret ? {} : { secret }) });
      }
      for (const gone of existing.values()) await tx.webhooks.deleteSubscription(gone.id);
      return views;
    });
  }

  async list(scope: Scope): Promise<WebhookView[]> {
    return (await this.#store.webhooks.listSubscriptions(scope)).map(view);
  }

  /** The delivery if it exists and belongs to the account (another account's is indistinguishable from none). */
  async delivery(accountId: string, id: string): Promise<DeliveryRecord | null> {
    const found = await this.#store.webhooks.getDelivery(id);
    return found && found.accountId === accountId ? found : null;
  }

  async deliveries(filter: Parameters<Store['webhooks']['listDeliveries']>[0]): Promise<DeliveryView[]> {
    return (await this.#store.webhooks.listDeliveries(filter)).map(deliveryView);
  }

  redeliver(id: string): Promise<boolean> {
    return this.#store.webhooks.redeliver(id, new Date().toISOString());
  }

  redeliverRange(opts: { accountId: string; instanceId?: string; since: string; until: string }): Promise<number> {
    return this.#store.webhooks.redeliverRange({ ...opts, now: new Date().toISOString() });
  }
}

function view(s: SubscriptionRecord): WebhookView {
  return { id: s.id, url: s.url, events: s.events, is_active: s.isActive, created_at: s.createdAt };
}

export function deliveryView(d: DeliveryRecord): DeliveryView {
  return {
    id: d.id,
    event_id: d.eventId,
    event: d.event,
    url: d.url,
    status: d.status,
    attempts: d.attempts,
    last_error: d.lastError,
    next_attempt_at: d.nextAttemptAt,
    delivered_at: d.deliveredAt,
    instance_id: d.instanceId,
    subscription_id: d.subscriptionId,
    response_code: d.responseCode,
    created_at: d.createdAt,
  };
}
