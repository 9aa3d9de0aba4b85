import { z } from '@hono/zod-openapi';
import { dateInput } from '../http/date-input.ts';
import { pageQuery, pageSchema } from '../http/pagination.ts';
import { apiRoute } from '../http/route.ts';
import { createRouter } from '../http/router.ts';
import { listNoShows, noShowPeriod } from './no-shows.ts';
import { NO_SHOW_REASONS } from './visits.ts';

const NoShowSchema = z
  .object({
    visitId: z.string(),
    date: z.string(),
    window: z.string(),
    recordedAt: z.string().nullable(),
    reason: z.enum(NO_SHOW_REASONS).nullable().openapi({ description: "The crew's reason; null for a no-show recorded without one (or before 0013)" }),
    note: z.string().nullable().openapi({ description: "The crew's note, if any (stored sealed)" }),
    fileNumber: z.string(),
    name: z.string(),
    community: z.string().nullable(),
    crew: z.object({ postal: z.string(), examiner: z.string() }),
    nextVisitOn: z.string().nullable().openapi({ description: 'The next visit planned or booked for the driver since, if any' }),
  })
  .openapi('NoShow');

const route = apiRoute('scheduling:read', {
  method: 'get',
  path: '/api/no-shows',
  summary: 'Visits where nobody was at the door, newest first: each driver went back to the planning pool',
  request: {
    query: z.strictObject({
      from: dateInput().optional().openapi({ description: 'Default 13 days before `to`' }),
      to: dateInput().optional().openapi({ description: 'Default today' }),
      ...pageQuery,
    }),
  },
  responses: { 200: { description: 'A page of no-shows', content: { 'application/json': { schema: pageSchema(NoShowSchema) } } } },
});

export function noShowRoutes() {
  return createRouter().openapi(route, async (c) => {
    const q = c.req.valid('query');
    const deps = c.get('deps');
    return c.json(await listNoShows(deps, { ...noShowPeriod(deps, q), limit: q.limit, cursor: q.cursor }), 200);
  });
}
