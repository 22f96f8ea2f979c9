/**
 * Pairing through a running gateway's HTTP API only (admin token, `/sandbox/scan`), for benches that talk to the
 * gateway as a user would: an account, instances started and scanned by simulated phones, and a pairing storm
 * measured from outside (the latency of `/me` calls made meanwhile, the event-loop lag from `/metrics`).
 */
import { percentile, sleep } from './stats.ts';

export interface Reply {
  status: number;
  body: any;
}

/** What a simulated phone is told when it scans a QR (the body of `/sandbox/scan` and of the simulator's `/scan`). */
export interface ScanRequest {
  qr: string;
  phone: string;
  push_name: string;
  platform: string;
}

export class SandboxClient {
  /**
   * `scan` defaults to the gateway's own `/sandbox/scan` (sandbox mode); a gateway pointed at a standalone simulator
   * has no such route, so its bench hands the scan to the simulator's control API instead.
   */
  constructor(
    readonly base: string,
    private readonly adminToken: string,
    private readonly scan: (body: ScanRequest) => Promise<void> = async (body) => {
      await this.expect(200, 'scan', 'POST', '/sandbox/scan', { admin: true, body });
    },
  ) {}

  async call(method: string, path: string, opts: { admin?: boolean; body?: unknown } = {}): Promise<Reply> {
    const headers: Record<string, string> = opts.admin ? { authorization: `Bearer ${this.adminToken}` } : {};
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text,
    };
  }

  async expect(status: number, what: string, method: string, path: string, opts?: { admin?: boolean; body?: unknown }) {
    const a = await this.call(method, path, opts);
    if (a.status !== status) throw new Error(`${what}: HTTP ${a.status} ${JSON.stringify(a.body)}`);
    return a.body;
  }

  /** A new account's access token (`maxInstances`: its quota, the gateway's default if not given). */
  async account(name: string, maxInstances?: number): Promise<string> {
    const body = maxInstances === undefined ? { name } : { name, max_instances: maxInstances };
    return (await this.expect(201, 'account', 'POST', '/admin/accounts', { admin: true, body })).access_token;
  }

  /**
   * Creates, starts and scans an instance; resolves with its `/me` path once /me answers with the synced name (or,
   * with `waitForName: false`, once it answers at all: WORKING). `timeoutMs` bounds the wait for the QR and,
   * separately, for /me (a loaded machine needs more).
   */
  async pair(
    token: string,
    phone: string,
    pushName: string,
    { timeoutMs = 60_000, waitForName = true }: { timeoutMs?: number; waitForName?: boolean } = {},
  ): Promise<{ id: string; mePath: string; body: unknown }> {
    const q = (extra: Record<string, string> = {}) => new URLSearchParams({ access_token: token, ...extra });
    const { instance_id: id } = await this.expect(201, 'create', 'POST', `/v2/session/create?${q()}`);
    await this.expect(200, 'start', 'POST', `/v2/session/start?${q({ instance_id: id })}`);
    let qr: string | null = null;
    for (const deadline = Date.now() + timeoutMs; !qr && Date.now() < deadline;) {
      const a = await this.call('GET', `/v2/auth/qr?${q({ instance_id: id })}`);
      if (a.status === 200) qr = a.body.value;
      else await sleep(50);
    }
    if (!qr) throw new Error(`${id}: no QR within ${timeoutMs} ms`);
    await this.scan({ qr, phone, push_name: pushName, platform: 'android' });
    const mePath = `/v2/session/me?${q({ instance_id: id })}`;
    let last: Reply | null = null;
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
      last = await this.call('GET', mePath);
      if (last.status === 200 && (!waitForName || last.body.pushName === pushName))
        return { id, mePath, body: last.body };
      await sleep(50);
    }
    throw new Error(
      `${id}: /me did not answer ${waitForName ? 'with the synced name' : '200'} within ${timeoutMs} ms (last: HTTP ${last?.status} ${JSON.stringify(last?.body)})`,
    );
  }

  /** Gauges from one scrape of the gateway's /metrics (prom-client resets the event-loop histogram at each scrape). */
  async metrics(...names: string[]): Promise<number[]> {
    const lines = ((await this.expect(200, 'metrics', 'GET', '/metrics', { admin: true })) as string).split('\n');
    return names.map((name) => {
      const line = lines.find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : Number.NaN;
    });
  }
}

export interface StormResult {
  sessions: number;
  wallMs: number;
  meCalls: number;
  meP50: number;
  meP99: number;
  meMax: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

/**
 * `sessions` instances paired at once while `callers` loops call `mePath` back to back; the latency of every call
 * answered during the storm, and the gateway's own event-loop lag over it (p99 and max from /metrics).
 */
export async function pairingStorm(
  c: SandboxClient,
  mePath: string,
  sessions: number,
  callers: number,
): Promise<StormResult> {
  const token = await c.account('storm');
  await c.metrics(); // resets the event-loop histogram: what the next scrape reports covers the storm only
  let done = false;
  const latencies: number[] = [];
  const caller = async () => {
    while (!done) {
      const t = performance.now();
      const a = await c.call('GET', mePath);
      if (a.status !== 200) throw new Error(`/me during the storm: HTTP ${a.status}`);
      latencies.push(performance.now() - t);
    }
  };
  const loops = Array.from({ length: callers }, caller);
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: sessions }, (_, i) => c.pair(token, `2010999${String(i).padStart(5, '0')}`, `Storm ${i}`)),
    );
  } finally {
    done = true;
    await Promise.all(loops);
  }
  const wallMs = performance.now() - t0;
  const [lagP99, lagMax] = await c.metrics(
    'switchboard_nodejs_eventloop_lag_p99_seconds',
    'switchboard_nodejs_eventloop_lag_max_seconds',
  );
  return {
    sessions,
    wallMs,
    meCalls: latencies.length,
    meP50: percentile(latencies, 50),
    meP99: percentile(latencies, 99),
    meMax: Math.max(...latencies),
    lagP99Ms: lagP99 * 1000,
    lagMaxMs: lagMax * 1000,
  };
}
