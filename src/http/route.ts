import { createRoute, z, type RouteConfig } from '@hono/zod-openapi';
import type { Hook } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { fieldIssue, validationError, type FieldIssue } from '../errors.ts';
import { isMessageKey, type MessageRef } from '../i18n/messages.ts';
import { DATE_INPUT_FORMS } from '../shared/date-words.ts';
import type { Permission } from '../staff/permissions.ts';
import type { AppEnv } from './env.ts';
import { requirePermission } from './middleware.ts';

/** The error body of every failure (DESIGN.md "Errors"), for the OpenAPI document. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
      requestId: z.string(),
    }),
  })
  .openapi('Error');

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

export const standardErrors = {
  400: errorResponse('Invalid request: the failing fields are in details.issues'),
  401: errorResponse('No valid API token'),
  403: errorResponse('The role lacks the permission'),
};

/**
 * An /api route that declares its permission: enforced by middleware, and published in the
 * OpenAPI document as `x-permission` (the role matrix test reads it from there). Its query string
 * is checked here too, so that no route can forget it: a parameter the route does not declare,
 * or a single-valued one given twice, is a 400 naming it (a typo must not widen a list).
 */
export function apiRoute<const R extends Omit<RouteConfig, 'middleware' | 'security'>>(permission: Permission, config: R) {
  return createRoute({
    ...config,
    security: [{ bearerAuth: [] }],
    'x-permission': permission,
    middleware: [requirePermission(permission), declaredQueryOnly(config.request?.query)] as const,
    responses: { ...standardErrors, ...config.responses },
  });
}

/** Issues listed in one 400 at most: a request with 10,000 unknown parameters gets a short answer. */
const MAX_QUERY_ISSUES = 20;
/** A parameter name is echoed back to the client; a longer one is cut. */
const MAX_FIELD_CHARS = 64;

interface QueryShape {
  /** null: the schema is not an object; zod's own check is then the only one. */
  names: ReadonlySet<string> | null;
  /** Parameters whose schema takes an array (`?a=1&a=2`). */
  multi: ReadonlySet<string>;
}

/** The parameters a query schema declares; none when the route has no query schema. */
export function queryShape(schema: unknown): QueryShape {
  if (schema === undefined) return { names: new Set(), multi: new Set() };
  if (!(schema instanceof z.ZodObject)) return { names: null, multi: new Set() };
  const shape = schema.shape as Record<string, z.ZodType>;
  const multi = Object.keys(shape).filter((name) => takesArray(shape[name]!));
  return { names: new Set(Object.keys(shape)), multi: new Set(multi) };
}

/** Looks through optional/default/nullable wrappers for an array schema. */
function takesArray(schema: z.ZodType): boolean {
  let current: unknown = schema;
  for (let depth = 0; depth < 10 && current instanceof z.ZodType; depth++) {
    if (current instanceof z.ZodArray) return true;
    current = (current.def as { innerType?: unknown }).innerType;
  }
  return false;
}

/** 400 for a query parameter the route does not declare, or a single-valued one repeated. */
export function declaredQueryOnly(schema: unknown): MiddlewareHandler<AppEnv> {
  const { names, multi } = queryShape(schema);
  return async function declaredQueryOnlyMiddleware(c, next) {
    const issues: FieldIssue[] = [];
    for (const [name, values] of Object.entries(c.req.queries())) {
      const field = name.length > MAX_FIELD_CHARS ? `${name.slice(0, MAX_FIELD_CHARS)}…` : name;
      if (names && !names.has(name)) {
        issues.push(fieldIssue(field, 'unknown_parameter', { key: 'unknown_parameter', params: { where: 'query' } }));
      } else if (values.length > 1 && !multi.has(name)) {
        issues.push(fieldIssue(field, 'repeated_parameter', { key: 'repeated_parameter', params: { count: values.length } }));
      }
      if (issues.length >= MAX_QUERY_ISSUES) break;
    }
    if (issues.length > 0) throw validationError(issues);
    await next();
  };
}

/** Turns zod issues into the field list of a 400 (`field` as the client wrote it). */
export function issuesFromZod(error: z.ZodError, where: string): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => fieldIssue(key, 'unknown_parameter', { key: 'unknown_parameter', params: { where } }));
    }
    const field = issue.path.join('.') || where;
    // A refinement's message is a catalogue key (e.g. `.refine(isCivilDate, 'must_be_civil_date')`).
    if (issue.message === 'must_be_date_input') return [fieldIssue(field, issue.code, { key: issue.message, params: { forms: DATE_INPUT_FORMS } })];
    if (isMessageKey(issue.message)) return [fieldIssue(field, issue.code, { key: issue.message } as MessageRef)];
    return [{ field, code: issue.code, message: issue.message, text: zodText(issue) }];
  });
}

/** zod's own checks: zh-CN from the catalogue, English as zod words it (no input is echoed). */
function zodText(issue: z.core.$ZodIssue): MessageRef {
  const detail = issue.message;
  if (issue.code === 'invalid_type') return { key: 'zod_invalid_type', params: { expected: String(issue.expected), detail } };
  if (issue.code === 'too_small') return { key: 'zod_too_small', params: { minimum: String(issue.minimum), detail } };
  if (issue.code === 'too_big') return { key: 'zod_too_big', params: { maximum: String(issue.maximum), detail } };
  if (issue.code === 'invalid_format') return { key: 'zod_invalid_format', params: { detail } };
  if (issue.code === 'invalid_value') return { key: 'zod_invalid_value', params: { detail } };
  return { key: 'zod_other', params: { detail } };
}

/** Every route's validation failure becomes our 400 shape instead of zod's default. */
export const validationHook: Hook<any, any, any, any> = (result) => {
  if (!result.success) throw validationError(issuesFromZod(result.error, result.target));
};
