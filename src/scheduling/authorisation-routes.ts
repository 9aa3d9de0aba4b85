import { z } from '@hono/zod-openapi';
import { RELATIONS } from '../db/schema/authorisations.ts';
import { AppError, fieldIssue } from '../errors.ts';
import { apiRoute } from '../http/route.ts';
import { createRouter } from '../http/router.ts';
import { authorisationOf, authorisationPhoto, MAX_PHOTO_BYTES, recordAuthorisation, withdrawAuthorisation } from './authorisation.ts';

/** The 委托书 of a visit (issue 16, Art 105): recorded at the door by the shift's postal worker. */

const params = { params: z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) }) };
const ok = <T extends z.ZodTypeAny>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });

const RecordedSchema = z.object({ id: z.string(), visitId: z.string(), relation: z.enum(RELATIONS), recordedAt: z.string() }).openapi('AuthorisationRecorded');
const AuthorisationSchema = RecordedSchema.extend({
  signerName: z.string(),
  photoType: z.string(),
  photoBytes: z.number().int().openapi({ description: 'About the size of the image' }),
  recordedBy: z.object({ id: z.string(), name: z.string() }),
}).openapi('Authorisation');

const forbidden = { description: 'Not the postal worker of the visit’s shift (nor an admin)' };

const recordRoute = apiRoute('authorisations:record', {
  method: 'post',
  path: '/api/visits/{id}/authorisation',
  summary: 'Record the driver’s written authorisation (委托书, Art 105) at the door: the visit’s held 12123 submissions go',
  description:
    'multipart/form-data: `signerName` (who signed), `relation` (' +
    RELATIONS.join(', ') +
    `), \`photo\` (the signed form: JPEG, PNG or WebP, at most ${MAX_PHOTO_BYTES} bytes; its bytes must be an image of the declared type). ` +
    'On the visit’s day, once the crew has arrived (or after the exam). One per visit: a second is a 409 until an admin withdraws the first.',
  request: {
    ...params,
    body: {
      required: true,
      content: {
        // A plain schema, not zod: the body is read and checked by the handler.
        'multipart/form-data': {
          schema: {
            type: 'object',
            properties: { signerName: { type: 'string' }, relation: { type: 'string', enum: [...RELATIONS] }, photo: { type: 'string', format: 'binary' } },
            required: ['signerName', 'relation', 'photo'],
          },
        },
      },
    },
  },
  responses: {
    201: ok('Recorded', RecordedSchema),
    403: forbidden,
    404: { description: 'No such visit' },
    409: { description: 'Not at the door, not the visit’s day, or recorded already' },
    413: { description: 'Larger than the route’s body limit' },
  },
});

const readRoute = apiRoute('authorisations:read', {
  method: 'get',
  path: '/api/visits/{id}/authorisation',
  summary: 'The visit’s live authorisation (signer, relation, when, by whom), or null',
  request: params,
  responses: { 200: ok('The authorisation', z.object({ authorisation: AuthorisationSchema.nullable() })), 403: forbidden, 404: { description: 'No such visit' } },
});

const photoRoute = apiRoute('authorisations:read', {
  method: 'get',
  path: '/api/visits/{id}/authorisation/photo',
  summary: 'The photo of the signed form (never cached); every view is audited',
  request: params,
  responses: {
    200: { description: 'The image', content: { 'image/jpeg': { schema: z.string() }, 'image/png': { schema: z.string() }, 'image/webp': { schema: z.string() } } },
    403: forbidden,
    404: { description: 'No such visit, or no authorisation' },
  },
});

const withdrawRoute = apiRoute('authorisations:withdraw', {
  method: 'post',
  path: '/api/visits/{id}/authorisation/withdraw',
  summary: 'Withdraw a wrong authorisation (admins): the visit’s submissions not yet accepted wait again until one is recorded',
  request: { ...params, body: { content: { 'application/json': { schema: z.strictObject({ reason: z.string().trim().min(1).max(500) }) } }, required: true } },
  responses: { 204: { description: 'Withdrawn' }, 404: { description: 'No such visit, or no authorisation' } },
});

function badBody(): AppError {
  return AppError.keyed('validation_failed', { key: 'authorisation_body' }, { issues: [fieldIssue('body', 'not_multipart', { key: 'authorisation_body' })] });
}

/**
 * The form's fields. The body was read (and counted) by the body limit; Hono's own formData
 * would lose the Content-Type on its cached copy, so the Response is made here with it.
 */
async function formOf(req: { header(name: string): string | undefined; arrayBuffer(): Promise<ArrayBuffer> }) {
  const type = req.header('content-type') ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) throw badBody();
  let form: FormData;
  try {
    form = await new Response(await req.arrayBuffer(), { headers: { 'content-type': type } }).formData();
  } catch {
    throw badBody();
  }
  const text = (name: string) => {
    const v = form.get(name);
    return typeof v === 'string' ? v : '';
  };
  const photo = form.get('photo');
  const file = photo !== null && typeof photo !== 'string' ? photo : null;
  return {
    signerName: text('signerName'),
    relation: text('relation'),
    photo: file ? new Uint8Array(await file.arrayBuffer()) : new Uint8Array(0),
    photoType: file?.type.split(';')[0]?.trim().toLowerCase() ?? '',
  };
}

export function authorisationRoutes() {
  return createRouter()
    .openapi(recordRoute, async (c) => {
      const visitId = c.req.valid('param').id;
      const form = await formOf(c.req);
      return c.json(await recordAuthorisation(c.get('deps'), { visitId, ...form }, c.get('staff')), 201);
    })
    .openapi(readRoute, async (c) => c.json({ authorisation: await authorisationOf(c.get('deps'), c.req.valid('param').id, c.get('staff')) }, 200))
    .openapi(photoRoute, async (c) => {
      const { bytes, type } = await authorisationPhoto(c.get('deps'), c.req.valid('param').id, c.get('staff'));
      return c.body(bytes.slice().buffer, 200, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    })
    .openapi(withdrawRoute, async (c) => {
      await withdrawAuthorisation(c.get('deps'), c.req.valid('param').id, c.get('staff'), c.req.valid('json').reason);
      return c.body(null, 204);
    });
}
