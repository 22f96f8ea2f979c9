import type { FastifyInstance, FastifySchema, HTTPMethods, RouteOptions } from 'fastify';

/**
 * One route under several methods (Wawp's `GET, POST` routes). Fastify refuses a body schema on GET/HEAD, so the
 * bodyless methods get the same route minus `schema.body` (their credentials come from the query or headers).
 */
const BODYLESS = new Set(['GET', 'HEAD']);

export function routeMethods(
  app: FastifyInstance,
  methods: HTTPMethods[],
  route: Omit<RouteOptions, 'method'>,
): void {
  for (const method of methods) {
    let schema: FastifySchema | undefined = route.schema;
    if (schema && BODYLESS.has(method)) {
      const { body: _body, ...rest } = schema;
      schema = rest;
    }
    app.route({ ...route, method, schema } as RouteOptions);
  }
}
