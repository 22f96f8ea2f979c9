import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { mergeWawpParams, paramConverter, unflatten } from '../../src/http/wawp-params.ts';

/** A query object as Fastify's parser (fast-querystring) builds it: no Object.prototype. */
function parsedQuery(pairs: Record<string, unknown>): Record<string, unknown> {
  function Empty() {}
  Empty.prototype = Object.create(null);
  return Object.assign(new (Empty as unknown as new () => object)(), pairs) as Record<string, unknown>;
}

const merged = (query: Record<string, unknown>, body?: unknown, method = 'GET') => {
  const request = { query: parsedQuery(query), body, method } as unknown as FastifyRequest;
  mergeWawpParams(request);
  return request;
};

describe('mergeWawpParams', () => {
  test('a GET with plain keys: a copy of its query, with the prototype of the general path', () => {
    const query = { access_token: 'sb_x', instance_id: 'A1b2C3d4E5f6', chatId: '1@c.us' };
    const r = merged(query);
    assert.deepEqual(r.query, { ...unflatten(parsedQuery(query)) });
    assert.equal(Object.getPrototypeOf(r.query), Object.prototype);
    assert.equal(r.body, undefined, 'a GET gets no body');
  });

  test('bracketed keys and __proto__ still take the general path', () => {
    const r = merged({ 'ids[0]': 'a', 'ids[1]': 'b', 'file[url]': 'u', __proto__: ['x', 'y'] });
    assert.deepEqual(r.query, { ids: ['a', 'b'], file: { url: 'u' } });
    assert.ok(!Object.hasOwn(r.query as object, '__proto__'), '__proto__ is never a parameter');
    assert.equal(Object.getPrototypeOf(r.query), Object.prototype);
  });

  test('query before body; a POST without a body sees the merged parameters as its body', () => {
    const r = merged({ chatId: 'q' }, { chatId: 'b', text: 't' }, 'POST');
    assert.deepEqual(r.query, { chatId: 'q', text: 't' });
    assert.equal(r.body, r.query);
    const empty = merged({ chatId: 'q' }, undefined, 'POST');
    assert.deepEqual(empty.body, { chatId: 'q' });
  });
});

describe('paramConverter', () => {
  const convert = paramConverter(
    Type.Object({
      s: Type.Optional(Type.String()),
      n: Type.Optional(Type.Number()),
      list: Type.Optional(Type.Array(Type.String())),
    }),
  );

  test('text becomes the schema types; strings stay strings; typed JSON values are left alone', () => {
    assert.deepEqual(convert({ s: 'a', n: '5', list: 'x' }), { s: 'a', n: 5, list: ['x'] });
    assert.deepEqual(convert({ s: ['only'], list: '["a","b"]' }), { s: 'only', list: ['a', 'b'] });
    assert.deepEqual(convert({ s: 5, n: true }), { s: 5, n: true });
  });
});
