import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { type ApiError, errors } from './api-errors.ts';
import { paramConverter } from './wawp-params.ts';

/**
 * Schema validation with TypeBox's compiler: the route schemas that generate OpenAPI also validate. Bodies are
 * checked strictly (a number is not a string); query, params and headers arrive as text and are converted first.
 * Each failure carries `parameter` and whether it was missing, so the error handler can answer the 400s of docs/http-api.md "Errors".
 */

export interface ParameterIssue {
  keyword: 'missing' | 'invalid';
  parameter: string;
  instancePath: string;
  message: string;
}

/** "/webhooks/0/url" → "webhooks.0.url"; the root → the part itself ("body"). */
function parameterName(path: string, httpPart: string): string {
  const segments = path
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  return segments.length === 0 || segments[0] === '' ? httpPart : segments.join('.');
}

function ruleOf(schema: unknown): string | undefined {
  const rule = (schema as { 'x-rule'?: unknown } | undefined)?.['x-rule'];
  return typeof rule === 'string' ? rule : undefined;
}

export const typeboxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  const part = httpPart ?? 'body';
  const convertQuery = part === 'querystring' ? paramConverter(schema) : null;
  return (input: unknown) => {
    // No body (or JSON `null`) is an empty object: every route's body is optional unless a field is required.
    const value = part === 'body' ? (input ?? {}) : convertQuery ? convertQuery(input) : Value.Convert(schema, input);
    if (check.Check(value)) return { value };
    const all = [...check.Errors(value)];
    const missing = all.find((e) => e.type === ValueErrorType.ObjectRequiredProperty);
    const first = missing ?? all[0];
    const issue: ParameterIssue = {
      keyword: missing ? 'missing' : 'invalid',
      parameter: parameterName(first?.path ?? '', part === 'querystring' ? 'query' : part),
      instancePath: first?.path ?? '',
      // A schema may state its rule in words (`x-rule`, e.g. chatId's), which reads better than TypeBox's pattern.
      message: ruleOf(first?.schema) ?? first?.message ?? 'invalid',
    };
    return { error: [issue] as unknown as Error };
  };
};

/** Maps a Fastify validation error (err.validation from the compiler above) to a 400 of docs/http-api.md "Errors". */
export function validationToApiError(validation: unknown, context: string | undefined): ApiError {
  const issue = Array.isArray(validation) ? (validation[0] as Partial<ParameterIssue> | undefined) : undefined;
  const parameter = issue?.parameter ?? (context === 'querystring' ? 'query' : (context ?? 'body'));
  if (issue?.keyword === 'missing') return errors.missingParameter(parameter);
  // TypeBox's own words ("Expected string length less or equal to 64"), after the parameter's name.
  const reason = issue?.message;
  return errors.invalidParameter(
    parameter,
    undefined,
    reason ? (reason.startsWith(parameter) ? reason : `${parameter}: ${reason}`) : undefined,
  );
}
