import { z } from '@hono/zod-openapi';
import { createRouter } from '../http/router.ts';
import { afterCursor, page, pageQuery, pageSchema } from '../http/pagination.ts';
import { apiRoute } from '../http/route.ts';
import { ROLES } from './permissions.ts';
import { addStaff, listStaff } from './repository.ts';

const StaffSchema = z
  .object({ id: z.string(), name: z.string(), role: z.enum(ROLES), active: z.boolean(), createdAt: z.string() })
  .openapi('Staff');

const AuditEntrySchema = z
  .object({
    id: z.string(),
    at: z.string(),
    staffId: z.string().nullable(),
    action: z.string(),
    subject: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi('AuditEntry');

const me = apiRoute('self:read', {
  method: 'get',
  path: '/api/me',
  summary: 'The signed-in staff member',
  responses: { 200: { description: 'Who the token belongs to', content: { 'application/json': { schema: StaffSchema } } } },
});

const list = apiRoute('staff:manage', {
  method: 'get',
  path: '/api/staff',
  summary: 'Staff accounts',
  responses: {
    200: { description: 'Every account', content: { 'application/json': { schema: z.object({ items: z.array(StaffSchema) }) } } },
  },
});

const add = apiRoute('staff:manage', {
  method: 'post',
  path: '/api/staff',
  summary: 'Create a staff account and its API token (shown once)',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({ name: z.string().trim().min(1).max(50), role: z.enum(ROLES) }),
        },
      },
    },
  },
  responses: {
    201: {
      description: 'The account and its token',
      content: { 'application/json': { schema: z.object({ staff: StaffSchema, token: z.string() }) } },
    },
  },
});

const audit = apiRoute('audit:read', {
  method: 'get',
  path: '/api/audit',
  summary: 'Audit log, newest first',
  request: { query: z.strictObject({ ...pageQuery, action: z.string().max(64).optional() }) },
  responses: {
    200: {
      description: 'A page of audit entries',
      content: { 'application/json': { schema: pageSchema(AuditEntrySchema) } },
    },
  },
});

export function staffRoutes() {
  return createRouter()
    .openapi(me, (c) => c.json(c.get('staff'), 200))
    .openapi(list, async (c) => c.json({ items: await listStaff(c.get('deps').db) }, 200))
    .openapi(add, async (c) => {
      const body = c.req.valid('json');
      const result = await addStaff(c.get('deps'), { ...body, createdBy: c.get('staff').id });
      return c.json(result, 201);
    })
    .openapi(audit, async (c) => {
      const { limit, cursor, action } = c.req.valid('query');
      let q = c.get('deps').db.selectFrom('audit_log').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit + 1);
      if (action) q = q.where('action', '=', action);
      if (cursor) q = q.where(afterCursor(cursor, ['at', 'id'], 'desc'));
      const rows = await q.execute();
      const { items, nextCursor } = page(rows, limit, (r) => [r.at, r.id]);
      return c.json(
        {
          items: items.map((r) => ({
            id: r.id,
            at: r.at,
            staffId: r.staff_id,
            action: r.action,
            subject: r.subject,
            details: JSON.parse(r.details) as Record<string, unknown>,
          })),
          nextCursor,
        },
        200,
      );
    });
}
