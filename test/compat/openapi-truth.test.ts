import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, startGateway, type Gateway } from '../harness/gateway.ts';
import { send, type WireAnswer } from './wire.ts';

/**
 * The OpenAPI document tells the truth: every documented operation is called the ways a schema-driven fuzzer would
 * (no credentials, a wrong token, valid credentials and no parameters, an instance of nobody, an over-long path id,
 * XML), and each answer's status must be one the operation declares, with a content type declared for it.
 */

let g: Gateway;
let doc: any;
before(async () => {
  g = await startGateway();
  doc = (await send(g.url, { method: 'GET', path: '/openapi.json' })).json;
});
after(() => g.close());

/** Media type of an answer without parameters. */
const mediaType = (res: WireAnswer) =>
  String(res.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();

/** Declared media types of a response. */
function declaredTypes(op: any, status: string): string[] {
  return Object.keys(op.responses[status]?.content ?? {});
}

function fill(path: string, value: string): string {
  return path.replace(/\{[^}]+\}/g, value);
}

describe('every documented operation answers only what it declares', () => {
  test('status and content type of each probe are declared', { timeout: 120_000 }, async () => {
    const problems: string[] = [];
    let probes = 0;
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        if (method === 'head' || path === '/v2/events/ws' || path === '/v2/events/sse') continue; // streams: below
        const admin = (op.security ?? []).some((s: any) => s.adminBearer);
        // A fresh instance per operation: deleting or logging out one must not change the next operation's probes.
        const { token, id: instanceId } = await g.newInstance('truth');
        const longId = path.includes('{') ? fill(path, 'x'.repeat(250)) : null;
        const probesFor: Array<{ name: string; path: string; headers?: Record<string, string> }> = [
          { name: 'no credentials', path: fill(path, 'abc') },
          {
            name: 'wrong token',
            path: `${fill(path, 'abc')}?access_token=sb_wrong`,
            headers: { authorization: 'Bearer not-the-admin-token' },
          },
          {
            name: 'valid credentials, no parameters',
            path: `${fill(path, 'abc')}?access_token=${token}&instance_id=${instanceId}`,
            headers: admin ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {},
          },
          { name: 'instance of nobody', path: `${fill(path, 'abc')}?access_token=${token}&instance_id=Zz9Zz9Zz9Zz9` },
          {
            name: 'as XML',
            path: `${fill(path, 'abc')}?access_token=${token}&instance_id=${instanceId}`,
            headers: { accept: 'application/xml', ...(admin ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {}) },
          },
        ];
        if (longId)
          probesFor.push({
            name: 'over-long path id',
            path: `${longId}?access_token=${token}&instance_id=${instanceId}`,
            headers: admin ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {},
          });
        for (const p of probesFor) {
          const res = await send(g.url, { method: method.toUpperCase(), path: p.path, headers: p.headers });
          probes++;
          const status = String(res.status);
          if (!op.responses[status]) {
            problems.push(
              `${method.toUpperCase()} ${path} (${p.name}): ${status} not declared (${Object.keys(op.responses).join(',')}) ${res.text.slice(0, 120)}`,
            );
            continue;
          }
          if (res.status !== 204 && res.status !== 101 && !declaredTypes(op, status).includes(mediaType(res))) {
            problems.push(
              `${method.toUpperCase()} ${path} (${p.name}): ${status} as ${mediaType(res)}, declared ${declaredTypes(op, status).join(',')}`,
            );
          }
        }
      }
    }
    assert.ok(probes > 300, `${probes} probes`);
    assert.deepEqual(problems, []);
  });

  test('SSE is declared as text/event-stream and /metrics as text/plain', () => {
    assert.ok(doc.paths['/v2/events/sse'].get.responses['200'].content['text/event-stream']);
    assert.ok(doc.paths['/metrics'].get.responses['200'].content['text/plain']);
    assert.ok(doc.paths['/v2/auth/qr-image'].get.responses['200'].content['image/png']);
  });
});
