import type { FastifyRequest } from 'fastify';
import { Kind, type TSchema } from '@sinclair/typebox';
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
  // A query alone with plain keys (a GET as Wawp's samples send it): unflatten has nothing to do, a copy is the answer.
  const merged =
    body === undefined && plainKeys(query) ? { ...query } : { ...unflatten(body ?? {}), ...unflatten(query) };
  request.query = merged;
  // Routes that still read their body see the same parameters (a GET has no body).
  if (body !== undefined || (request.method !== 'GET' && request.method !== 'HEAD')) request.body = merged;
}

/**
 * No key that unflatten would treat apart: bracketed ones, and `__proto__`, which its assignment turns into the
 * prototype where a copy would keep it as a key.
 */
function plainKeys(source: Params): boolean {
  for (const key of Object.keys(source)) if (key.includes('[') || key === '__proto__') return false;
  return true;
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
function shape(p: PropertyPlan, value: unknown): unknown {
  if (Array.isArray(value) && value.length === 1 && !p.array && p.string) return value[0];
  if (typeof value === 'string' && p.array && !p.string) {
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

/** A property of a Wawp schema, with what shape() asks of it worked out once. */
interface PropertyPlan {
  key: string;
  schema: TSchema;
  array: boolean;
  string: boolean;
  /** A plain string schema: a string value is already what Value.Convert would return. */
  plainString: boolean;
}

/**
 * Query/form values arrive as text and are converted to the schema's types; values that came typed from a JSON
 * body are left as they are, so `{"chatId": 5}` stays a number and is refused rather than guessed at.
 * The per-property work that depends only on the schema is done here, once per route, not per request.
 */
export function paramConverter(schema: TSchema): (input: unknown) => unknown {
  const node = schema as SchemaNode;
  if (node.type !== 'object' || !node.properties) return (input) => Value.Convert(schema, input);
  const plans: PropertyPlan[] = Object.entries(node.properties).map(([key, prop]) => ({
    key,
    schema: prop,
    array: accepts(prop as SchemaNode, 'array'),
    string: accepts(prop as SchemaNode, 'string'),
    plainString: prop[Kind] === 'String',
  }));
  return (input) => {
    if (!isPlainObject(input)) return Value.Convert(schema, input);
    // Copied only when a value changes: most queries are plain strings for plain string properties.
    let out: Params | null = null;
    for (const p of plans) {
      if (!Object.hasOwn(input, p.key)) continue;
      const value = input[p.key];
      if (p.plainString && typeof value === 'string') continue;
      const shaped = shape(p, value);
      (out ??= { ...input })[p.key] = isText(shaped) ? Value.Convert(p.schema, shaped) : shaped;
    }
    return out ?? input;
  };
}
