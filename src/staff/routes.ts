import { z } from '@hono/zod-openapi';
import { dateInput, dateOf } from '../http/date-input.ts';
import { createRouter } from '../http/router.ts';
import { pageQuery, pageSchema } from '../http/pagination.ts';
import { apiRoute } from '../http/route.ts';
import { PASSWORD_MAX_CHARS } from './passwords.ts';
import { ROLES } from './permissions.ts';
import { listAuditEntries } from './audit-log.ts';
import { activateStaff, addStaff, deactivateStaff, issueToken, listStaff } from './repository.ts';
import { signOutStaffEverywhere } from './sessions.ts';

const StaffSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    active: z.boolean(),
    createdAt: z.string(),
    username: z.string().nullable().openapi({ description: 'Sign-in name (lower-case); null: API token only' }),
    hasPassword: z.boolean(),
    lockedUntil: z.string().nullable().openapi({ description: 'Sign-in refused until then after repeated failures' }),
    lastSignInAt: z.string().nullable(),
    passwordChangedAt: z.string().nullable(),
  })
  .openapi('Staff');

const idParam = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' } }) });
const StaffWithToken = z.object({ staff: StaffSchema, token: z.string() });

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
          schema: z.strictObject({
            name: z.string().trim().min(1).max(50),
            role: z.enum(ROLES),
            username: z.string().max(64).optional().openapi({ description: 'Lets the person sign in to the console; 2-40 of a-z 0-9 . _ -' }),
            password: z.string().max(PASSWORD_MAX_CHARS * 2).optional().openapi({ description: 'With username: 10-256 characters, not the username' }),
          }),
        },
      },
    },
  },
  responses: {
    201: {
      description: 'The account and its token',
      content: { 'application/json': { schema: StaffWithToken } },
    },
    409: { description: 'The username is taken' },
  },
});

const deactivate = apiRoute('staff:manage', {
  method: 'post',
  path: '/api/staff/{id}/deactivate',
  summary: 'Deactivate an account: its sessions end and its API token stops working',
  request: { params: idParam },
  responses: {
    200: { description: 'The account', content: { 'application/json': { schema: StaffSchema } } },
    404: { description: 'No such account' },
    409: { description: 'Your own account' },
  },
});

const activate = apiRoute('staff:manage', {
  method: 'post',
  path: '/api/staff/{id}/activate',
  summary: 'Activate an account again (its sessions stay ended)',
  request: { params: idParam },
  responses: { 200: { description: 'The account', content: { 'application/json': { schema: StaffSchema } } }, 404: { description: 'No such account' } },
});

const token = apiRoute('staff:manage', {
  method: 'post',
  path: '/api/staff/{id}/token',
  summary: 'Issue a new API token (shown once); the previous one stops working',
  request: { params: idParam },
  responses: { 200: { description: 'The account and its new token', content: { 'application/json': { schema: StaffWithToken } } }, 404: { description: 'No such account' } },
});

const signOutEverywhere = apiRoute('staff:manage', {
  method: 'post',
  path: '/api/staff/{id}/sign-out-everywhere',
  summary: 'End every console session of an account',
  request: { params: idParam },
  responses: {
    200: { description: 'How many sessions ended', content: { 'application/json': { schema: z.object({ ended: z.number().int() }) } } },
    404: { description: 'No such account' },
  },
});

const audit = apiRoute('audit:read', {
  method: 'get',
  path: '/api/audit',
  summary: 'Audit log, newest first',
  request: {
    query: z.strictObject({
      ...pageQuery,
      action: z.string().max(64).optional(),
      staffId: z.string().max(64).optional().openapi({ description: 'Who acted' }),
      subject: z.string().max(200).optional().openapi({ description: 'What was acted on (an account, import, file number...)' }),
      from: dateInput('Entries on or after this day (Asia/Shanghai)').optional(),
      to: dateInput('Entries on or before this day (Asia/Shanghai)').optional(),
    }),
  },
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
    .openapi(list, async (c) => c.json({ items: await listStaff(c.get('deps').db, c.get('deps').clock.now()) }, 200))
    .openapi(add, async (c) => {
      const body = c.req.valid('json');
      const result = await addStaff(c.get('deps'), { ...body, createdBy: c.get('staff').id });
      return c.json(result, 201);
    })
    .openapi(deactivate, async (c) => c.json(await deactivateStaff(c.get('deps'), { id: c.req.valid('param').id, by: c.get('staff').id }), 200))
    .openapi(activate, async (c) => c.json(await activateStaff(c.get('deps'), { id: c.req.valid('param').id, by: c.get('staff').id }), 200))
    .openapi(token, async (c) => c.json(await issueToken(c.get('deps'), { id: c.req.valid('param').id, by: c.get('staff').id }), 200))
    .openapi(signOutEverywhere, async (c) =>
      c.json({ ended: await signOutStaffEverywhere(c.get('deps'), { id: c.req.valid('param').id, by: c.get('staff').id }) }, 200),
    )
    .openapi(audit, async (c) => {
      const deps = c.get('deps');
      const { from, to, ...filters } = c.req.valid('query');
      return c.json(await listAuditEntries(deps.db, { ...filters, from: dateOf(deps, from), to: dateOf(deps, to) }), 200);
    });
}
