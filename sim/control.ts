/**
 * Tiny HTTP control surface for the standalone simulator (sim/cli.ts), mirroring the gateway's /sandbox routes
 * (docs/http-api.md "Sandbox") so the same request bodies work against both. No auth: bind it to loopback.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimError } from './errors.ts';
import type { ConnectionFault, Simulator } from './types.ts';

const STATUS: Record<string, number> = {
  qr_unknown: 404,
  no_pending_code: 404,
  not_found: 404,
  unknown_account: 404,
  code_mismatch: 409,
  code_in_progress: 409,
  code_superseded: 409,
  code_timeout: 408,
};

function send(res: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) return void res.writeHead(status).end();
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) }).end(json);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new SimError('payload_too_large', 'body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    const v = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new SimError('invalid_json', 'body must be a JSON object');
}

/** The flags plus the queue of pending connection faults (next first). */
const faultsView = (sim: Simulator) => ({
  ignorePings: sim.faults.ignorePings,
  foreignRoot: sim.faults.foreignRoot,
  refuseConnections: sim.faults.refuseConnections,
  forgeAccountSignature: sim.faults.forgeAccountSignature,
  pending: sim.faults.pending,
});

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const nullableStr = (v: unknown): string | null | undefined => (v === null ? null : str(v));

export async function handleControl(sim: Simulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const m = path.match(/^\/phones\/([^/]+)(?:\/(unlink|disconnect|messages|devices|activity))?$/);
    const phoneParam = m ? decodeURIComponent(m[1]) : '';
    if (req.method === 'GET' && path === '/phones') return send(res, 200, sim.listPhones());
    if (req.method === 'GET' && path === '/faults') return send(res, 200, faultsView(sim));
    if (req.method === 'DELETE' && path === '/faults') return send(res, 204, sim.faults.clear());
    if (req.method === 'GET' && m?.[2] === 'messages') return send(res, 200, sim.receivedMessages(phoneParam));
    if (req.method === 'GET' && m?.[2] === 'devices') return send(res, 200, sim.devices(phoneParam));
    if (req.method === 'GET' && m?.[2] === 'activity') return send(res, 200, sim.activity(phoneParam));
    if (req.method === 'POST' && path === '/reset') return send(res, 204, await sim.reset());
    if (req.method !== 'POST' && req.method !== 'PATCH') throw new SimError('not_found', 'unknown route');
    const body = await readJson(req);
    const pair = {
      phone: str(body.phone) ?? '',
      pushName: nullableStr(body.push_name),
      platform: str(body.platform),
      businessName: nullableStr(body.business_name),
    };
    if (path === '/scan') return send(res, 200, await sim.scan({ ...pair, qr: str(body.qr) ?? '' }));
    if (path === '/enter-code') return send(res, 200, await sim.enterCode({ ...pair, code: str(body.code) ?? '' }));
    if (req.method === 'POST' && m?.[2] === 'unlink') return send(res, 200, { removed: await sim.unlink(phoneParam) });
    if (req.method === 'POST' && m?.[2] === 'disconnect') {
      const mode = str(body.mode) as 'drop' | 'conflict' | 'restart';
      return send(res, 200, { disconnected: await sim.disconnect(phoneParam, mode) });
    }
    if (req.method === 'POST' && m?.[2] === 'messages') {
      const sent = await sim.sendText({
        from: phoneParam,
        to: str(body.to) ?? '',
        text: str(body.text) ?? '',
        name: str(body.name),
      });
      return send(res, 200, sent);
    }
    if (req.method === 'PATCH' && m && !m[2]) {
      return send(res, 200, {
        phone: phoneParam.replace(/^\+/, ''),
        ...(await sim.setPushName(phoneParam, str(body.push_name) ?? '')),
      });
    }
    if (req.method === 'POST' && path === '/faults') {
      const connections = body.connections === undefined ? 1 : body.connections;
      return send(
        res,
        200,
        sim.faults.inject({ fault: str(body.fault) as ConnectionFault, connections: connections as number }),
      );
    }
    if (req.method === 'PATCH' && path === '/faults') {
      for (const k of ['ignorePings', 'foreignRoot', 'refuseConnections', 'forgeAccountSignature'] as const) {
        if (typeof body[k] === 'boolean') sim.faults[k] = body[k] as boolean;
      }
      return send(res, 200, faultsView(sim));
    }
    throw new SimError('not_found', 'unknown route');
  } catch (err) {
    if (err instanceof SimError) return send(res, STATUS[err.code] ?? 400, { code: err.code, message: err.message });
    send(res, 500, { code: 'internal_error', message: 'unexpected failure' });
  }
}
