import type { FastifyRequest } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { errors } from './api-errors.ts';

/**
 * Where a Wawp route's parameters come from (docs/http-api.md "Request and response conventions"). Wawp accepts every
 * parameter in the query string, an urlencoded form body or a JSON body, and real clients use all three (see
 * docs/wawp-clients.md): its documented samples put everything in the query, the WordPress plugin everything in a
 * JSON body, the n8n node everything in the query with PHP-style array keys. This module is the one place that
 * merges them, before the route's schema validates: query first, then the body (the same order as the credentials,
 * whose header forms come last, in auth.ts).
 *
 * The merged object becomes `request.query`, which every Wawp route's TypeBox schema describes, for every method
 * (GET included), so one schema validates one set of parameters wherever they travelled.
 */

type Params = Record<string, unknown>;

function isPlainObject(value: unknown): value is Params {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** `name[0]`, `name[]`, `name[][0]` → name (an array); `file[url]` → file.url. Anything else unchanged. */
const BRACKETED = /^([^[\]]+)\[([^[\]]*)\]((?:\[[^[\]]*\])*)$/;

/** PHP/`qs`-style keys as arrays and objects, as Wawp (a PHP service) reads them. Later keys never replace earlier ones. */
export function unflatten(source: Params): Params {
  const out: Params = {};
  for (const [key, value] of Object.entries(source)) {
    const m = BRACKETED.exec(key);
    if (!m) {
      if (!Object.hasOwn(out, key)) out[key] = value;
      continue;
    }
    const [, name, first] = m as unknown as [string, string, string];
    const values = Array.isArray(value) ? value : [value];
    if (first === '' || /^\d+$/.test(first)) {
      const list = Array.isArray(out[name]) ? (out[name] as unknown[]) : [];
      list.push(...values);
      out[name] = list;
    } else {
      const obj = isPlainObject(out[name]) ? (out[name] as Params) : {};
      if (!Object.hasOwn(obj, first)) obj[first] = values.length === 1 ? values[0] : values;
      out[name] = obj;
    }
  }
  return out;
}

/**
 * Merges query and body into `request.query`. A body that is present but not an object (`null`, an array, a
 * number, a string) is refused like any malformed body: 400 invalid_parameter `body`.
 */
export function mergeWawpParams(request: FastifyRequest): void {
  const body = request.body;
  if (body !== undefined && !isPlainObject(body)) {
    throw errors.invalidParameter('body', { reason: 'the body must be a JSON object or a form' });
  }
  const query = isPlainObject(request.query) ? request.query : {};
  const merged = { ...unflatten(body ?? {}), ...unflatten(query) };
  request.query = merged;
  // Routes that still read their body see the same parameters (a GET has no body).
  if (body !== undefined || (request.method !== 'GET' && request.method !== 'HEAD')) request.body = merged;
}

interface SchemaNode {
  type?: string;
  properties?: Record<string, TSchema>;
  anyOf?: SchemaNode[];
}

function accepts(schema: SchemaNode, type: string): boolean {
  return schema.type === type || (schema.anyOf ?? []).some((s) => accepts(s, type));
}

/** One value shaped toward its schema: a one-element array for a string, a string (or JSON text) for an array. */
function shape(schema: SchemaNode, value: unknown): unknown {
  if (Array.isArray(value) && value.length === 1 && !accepts(schema, 'array') && accepts(schema, 'string'))
    return value[0];
  if (typeof value === 'string' && accepts(schema, 'array') && !accepts(schema, 'string')) {
    if (value.trimStart().startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(value);
        if (Array.isArray(parsed)) return parsed;
      } catch {
        // not JSON: one element
      }
    }
    return [value];
  }
  return value;
}

const isText = (v: unknown): boolean =>
  typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));

/**
 * Query/form values arrive as text and are converted to the schema's types; values that came typed from a JSON
 * body are left as they are, so `{"chatId": 5}` stays a number and is refused rather than guessed at.
 */
export function convertParams(schema: TSchema, input: unknown): unknown {
  const node = schema as SchemaNode;
  if (!isPlainObject(input) || node.type !== 'object' || !node.properties) return Value.Convert(schema, input);
  const out: Params = { ...input };
  for (const [key, prop] of Object.entries(node.properties)) {
    if (!Object.hasOwn(out, key)) continue;
    const shaped = shape(prop as SchemaNode, out[key]);
    out[key] = isText(shaped) ? Value.Convert(prop, shaped) : shaped;
  }
  return out;
}
