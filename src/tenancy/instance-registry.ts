import { newInstanceId } from '../lib/index.ts';
import type {
  Account,
  InstanceConfig,
  InstanceRecord,
  StatusChange,
  InstanceStore,
  IdentityStore,
  StatusHistoryStore,
} from '../store/index.ts';
import { SESSION_STATUSES, needsConnection, type SessionStatus, type StatusReason } from '../domain/index.ts';
import { PLATFORMS, type Platform, meSummary, normalizePlatform } from '../identity/index.ts';

/**
 * The instance registry: what an instance is, who owns it, and how it is described to clients. HTTP routes call
 * this and only shape the answer. Running sessions are not its business; the session manager plugs in through
 * the hooks (stop before delete, live fields such as the QR in /info).
 */

export interface RegistryHooks {
  /** Called before an instance is deleted, e.g. to stop its running session. */
  beforeDelete?: (instance: InstanceRecord) => Promise<void>;
  /** Live fields merged into /v2/session/info (e.g. `qr` while SCAN_QR_CODE). */
  liveInfo?: (instance: InstanceRecord) => Promise<Record<string, unknown> | null>;
  /**
   * Several nodes: among these (running) instances, those whose owning node is lost; lists show them
   * STARTING/node_lost (docs/multi-node.md "Status while the owner is lost").
   */
  lostOwners?: (instanceIds: string[]) => Promise<ReadonlySet<string>>;
}

export interface MeSummary {
  id: string;
  pushName: string | null;
}

export interface SessionInfo {
  instance_id: string;
  name: string;
  status: SessionStatus;
  reason: StatusReason;
  updatedAt: string;
  config: { webhooks: Record<string, unknown>; proxy: null };
  me: MeSummary | null;
  qr?: string;
  history: StatusChange[];
  [extra: string]: unknown;
}

export interface InstanceSummary {
  instance_id: string;
  name: string;
  status: SessionStatus;
  reason: StatusReason;
  updatedAt: string;
  createdAt: string;
  me: MeSummary | null;
  platform: Platform | null;
}

export interface AccountStats {
  total: number;
  by_status: Record<SessionStatus, number>;
  by_platform: Record<Platform, number>;
}

export interface ConfigView {
  instance_id: string;
  name: string;
  expected_phone: string | null;
  signature: string | null;
}

const HISTORY_LIMIT = 50;

/** Digits of a phone number after stripping everything else; null unless 6–15 digits (E.164 length). */
export function normalizePhone(raw: string): string | null {
  const digits = raw.replace(/\D/g, '');
  return digits.length >= 6 && digits.length <= 15 ? digits : null;
}

export class InstanceRegistry {
  constructor(
    private readonly store: InstanceStore & IdentityStore & StatusHistoryStore,
    private readonly hooks: RegistryHooks = {},
  ) {}

  /** Creates a STOPPED instance (`created` in its history). Throws the store's QuotaReachedError when full. */
  async create(account: Account, input: { name?: string } & Partial<InstanceConfig>): Promise<InstanceRecord> {
    const id = newInstanceId();
    return this.store.createInstance({
      id,
      accountId: account.id,
      name: input.name ?? id,
      config: { expectedPhone: input.expectedPhone ?? null, signature: input.signature ?? null },
      status: 'STOPPED',
      reason: 'created',
    });
  }

  /** The instance if it exists and belongs to the account; another account's instance is indistinguishable from none. */
  async getForAccount(accountId: string, instanceId: string): Promise<InstanceRecord | null> {
    const instance = await this.store.getInstance(instanceId);
    return instance !== null && instance.accountId === accountId ? instance : null;
  }

  list(accountId: string): Promise<InstanceRecord[]> {
    return this.store.listInstances(accountId);
  }

  async delete(instance: InstanceRecord): Promise<boolean> {
    await this.hooks.beforeDelete?.(instance);
    return this.store.deleteInstance(instance.id);
  }
  /** Deletes every instance of an account, each as delete() does (session stopped first): account deletion. */
  async deleteAll(accountId: string): Promise<void> {
    for (const instance of await this.store.listInstances(accountId)) await this.delete(instance);
  }

  async updateConfig(
    instanceId: string,
    patch: Partial<InstanceConfig> & { name?: string },
  ): Promise<InstanceRecord | null> {
    return this.store.updateInstanceConfig(instanceId, patch);
  }

  configView(instance: InstanceRecord): ConfigView {
    return {
      instance_id: instance.id,
      name: instance.name,
      expected_phone: instance.expectedPhone,
      signature: instance.signature,
    };
  }

  async info(instance: InstanceRecord): Promise<SessionInfo> {
    const [identity, history, live] = await Promise.all([
      this.store.getIdentity(instance.id),
      this.store.listStatusHistory(instance.id, HISTORY_LIMIT),
      this.hooks.liveInfo?.(instance) ?? Promise.resolve(null),
    ]);
    const info: SessionInfo = {
      instance_id: instance.id,
      name: instance.name,
      status: instance.status,
      reason: instance.reason,
      updatedAt: instance.statusChangedAt,
      config: { webhooks: {}, proxy: null },
      me: meSummary(identity),
      history: history.map((h) => ({ status: h.status, reason: h.reason, at: h.at })),
    };
    return live ? { ...info, ...live } : info;
  }

  async summaries(accountId: string): Promise<InstanceSummary[]> {
    const instances = await this.store.listInstances(accountId);
    const running = instances.filter((i) => needsConnection(i.status)).map((i) => i.id);
    const lost = this.hooks.lostOwners && running.length > 0 ? await this.hooks.lostOwners(running) : new Set();
    return Promise.all(
      instances.map(async (instance) => {
        const identity = await this.store.getIdentity(instance.id);
        const ownerLost = lost.has(instance.id);
        return {
          instance_id: instance.id,
          name: instance.name,
          status: ownerLost ? 'STARTING' : instance.status,
          reason: ownerLost ? 'node_lost' : instance.reason,
          updatedAt: instance.statusChangedAt,
          createdAt: instance.createdAt,
          me: meSummary(identity),
          platform: identity ? normalizePlatform(identity.platform) : null,
        };
      }),
    );
  }

  async stats(accountId: string): Promise<AccountStats> {
    const summaries = await this.summaries(accountId);
    const byStatus = Object.fromEntries(SESSION_STATUSES.map((s) => [s, 0])) as Record<SessionStatus, number>;
    const byPlatform = Object.fromEntries(PLATFORMS.map((p) => [p, 0])) as Record<Platform, number>;
    for (const s of summaries) {
      if (s.status in byStatus) byStatus[s.status]++;
      // Platform describes a live device, so only WORKING instances count (docs/http-api.md "Wawp routes").
      if (s.status === 'WORKING') byPlatform[s.platform ?? 'unknown']++;
    }
    return { total: summaries.length, by_status: byStatus, by_platform: byPlatform };
  }
}
