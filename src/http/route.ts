import { createRoute, z, type RouteConfig } from '@hono/zod-openapi';
import type { Hook } from '@hono/zod-openapi';
import { validationError, type FieldIssue } from '../errors.ts';
import type { Permission } from '../staff/permissions.ts';
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
 * OpenAPI document as `x-permission` (the role matrix test reads it from there).
 */
export function apiRoute<const R extends Omit<RouteConfig, 'middleware' | 'security'>>(permission: Permission, config: R) {
  return createRoute({
    ...config,
    security: [{ bearerAuth: [] }],
    'x-permission': permission,
    middleware: [requirePermission(permission)] as const,
    responses: { ...standardErrors, ...config.responses },
  });
}

/** Turns zod issues into the field list of a 400 (`field` as the client wrote it). */
export function issuesFromZod(error: z.ZodError, where: string): FieldIssue[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { field: issue.keys.join(','), code: 'unknown_parameter', message: `unknown ${where} parameter` };
    }
    return { field: issue.path.join('.') || where, code: issue.code, message: issue.message };
  });
}

/** Every route's validation failure becomes our 400 shape instead of zod's default. */
export const validationHook: Hook<any, any, any, any> = (result) => {
  if (!result.success) throw validationError(issuesFromZod(result.error, result.target));
};
