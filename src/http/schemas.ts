import { type TProperties, type TSchema, Type } from '@sinclair/typebox';
import { MESSAGES } from './api-errors.ts';
import { SESSION_STATUSES } from '../domain/index.ts';

/**
 * Building blocks for route schemas. The same TypeBox objects validate requests and generate OpenAPI, so the
 * documentation cannot drift from what the server accepts.
 */

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ErrorSchema = Type.Object(
  {
    status: Type.Integer(),
    code: Type.String({ enum: Object.keys(MESSAGES) }),
    message: Type.String(),
    request_id: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'Error', description: 'Every error; also as XML, text/plain or text/html by Accept.' },
);

export const SessionStatusSchema = Type.Union(
  SESSION_STATUSES.map((s) => Type.Literal(s)),
  { description: 'Session status' },
);

/** Wawp credentials; accepted in the query (documented here), a JSON body, or headers (see security schemes). */
export const AccessTokenProps = {
  access_token: Type.Optional(
    Type.String({ description: 'Access token of the account (or header access-token / Authorization: Bearer)' }),
  ),
};
export const InstanceProps = {
  ...AccessTokenProps,
  instance_id: Type.Optional(
    Type.String({ description: 'Instance id, 12 characters [A-Za-z0-9] (or header X-Instance-ID)' }),
  ),
};

/**
 * The parameters of a Wawp instance route: credentials plus route-specific fields. They are read from the query, a
 * form body or a JSON body alike (wawp-params.ts), and validated as the route's querystring; the OpenAPI also
 * documents them as the request body (openapi.ts). `requireOneOf`: one of these names is required (e.g. message or
 * text), enforced by the handler and shown in the OpenAPI.
 */
export const instanceQuery = <P extends TProperties>(
  extra?: P,
  opts?: { requireOneOf?: string[]; examples?: unknown[] },
) =>
  Type.Object(
    { ...InstanceProps, ...(extra ?? ({} as P)) },
    {
      ...(opts?.requireOneOf ? { 'x-require-one-of': opts.requireOneOf } : {}),
      ...(opts?.examples ? { examples: opts.examples } : {}),
    },
  );
/** Credentials as the WordPress plugin sends them, in a JSON body. */
const CREDENTIALS_EXAMPLE = { instance_id: 'A1b2C3d4E5f6', access_token: 'sb_your_access_token' };

/** Querystring of an account-level route. */
export const accountQuery = <P extends TProperties>(extra?: P) =>
  Type.Object({ ...AccessTokenProps, ...(extra ?? ({} as P)) });
/** JSON body of a Wawp instance route: credentials may travel here too; unknown fields are ignored. */
export const instanceBody = <P extends TProperties>(extra?: P) =>
  Type.Object({ ...InstanceProps, ...(extra ?? ({} as P)) }, { examples: [CREDENTIALS_EXAMPLE] });

export const MeSummarySchema = Nullable(Type.Object({ id: Type.String(), pushName: Nullable(Type.String()) }));

/** Error responses to list on a route, by status. */
export function errorResponses(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((s) => [s, Type.Ref(ErrorSchema)]));
}

export const SECURITY: Record<'instance' | 'admin', Array<Record<string, string[]>>> = {
  instance: [{ accessTokenQuery: [] }, { accessTokenHeader: [] }, { bearer: [] }],
  admin: [{ adminBearer: [] }],
};
