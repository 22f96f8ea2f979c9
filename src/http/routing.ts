import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  FastifySchema,
  HTTPMethods,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
  RouteOptions,
} from 'fastify';

/**
 * One route under several methods (Wawp's `GET, POST` routes). Fastify refuses a body schema on GET/HEAD, so the
 * bodyless methods get the same route minus `schema.body` (their credentials come from the query or headers).
 * Handlers are typed from the schema like any TypeBox route; on GET/HEAD `request.body` is undefined at run time.
 */
const BODYLESS = new Set(['GET', 'HEAD']);

type TypedApp = Parameters<FastifyPluginAsyncTypebox>[0];
type TypedRoute<S extends FastifySchema> = RouteOptions<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  RouteGenericInterface,
  ContextConfigDefault,
  S,
  TypeBoxTypeProvider,
  FastifyBaseLogger
>;

export function routeMethods<S extends FastifySchema>(
  app: TypedApp,
  methods: HTTPMethods[],
  route: Omit<TypedRoute<S>, 'method'>,
): void {
  for (const method of methods) {
    let schema: FastifySchema | undefined = route.schema;
    if (schema && BODYLESS.has(method)) {
      const { body: _body, ...rest } = schema;
      schema = rest;
    }
    app.route({ ...route, method, schema } as TypedRoute<S>);
  }
}
