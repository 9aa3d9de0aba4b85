import type { OpenAPIHono } from '@hono/zod-openapi';
import { sql } from 'kysely';
import { bodyLimits } from './http/body-limits.ts';
import type { AppDeps, AppEnv } from './http/env.ts';
import { renderError, renderNotFound } from './http/errors.ts';
import { requestContext } from './http/middleware.ts';
import { createRouter } from './http/router.ts';
import { securityHeaders } from './http/security-headers.ts';
import { registryRoutes } from './registry/routes.ts';
import { screeningRoutes } from './screening/routes.ts';
import { staffRoutes } from './staff/routes.ts';
import { outreachRoutes } from './outreach/routes.ts';
import { twilioWebhooks } from './outreach/webhooks.ts';
import { authorisationRoutes } from './scheduling/authorisation-routes.ts';
import { meRoutes } from './scheduling/me-routes.ts';
import { noShowRoutes } from './scheduling/no-show-routes.ts';
import { schedulingRoutes } from './scheduling/routes.ts';
import { apiReferencePage } from './http/api-reference.ts';
import { examRoutes } from './exams/routes.ts';
import { submissionRoutes } from './submissions/routes.ts';
import { consoleRoutes } from './web/console.tsx';
import { dashboardRoutes } from './dashboard/routes.ts';

export const API_TITLE = '老年驾驶人上门体检服务 API';

/** The app, for any runtime: no process.env and no I/O of its own (DESIGN.md "Architecture"). */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = createRouter();
  // First, so that every answer (errors, 404s and 413s too) carries them.
  app.use('*', securityHeaders());
  app.use('*', requestContext(deps));
  app.onError(renderError);
  app.notFound(renderNotFound);

  // Every request body's limit, in one place (src/http/body-limits.ts): webhooks, JSON per route;
  // the registry upload streams and is counted by its reader against MAX_IMPORT_BYTES.
  app.use('*', bodyLimits(deps.config));

  app.get('/healthz', async (c) => {
    await sql`SELECT 1`.execute(c.get('deps').db);
    return c.json({ status: 'ok' });
  });

  app.route('/', staffRoutes());
  app.route('/', registryRoutes());
  app.route('/', screeningRoutes());
  app.route('/', outreachRoutes());
  app.route('/', schedulingRoutes());
  app.route('/', meRoutes());
  app.route('/', authorisationRoutes());
  app.route('/', noShowRoutes());
  app.route('/', examRoutes());
  app.route('/', submissionRoutes());
  app.route('/', dashboardRoutes());
  app.route('/', twilioWebhooks());
  // The staff console (issue 15): pages for people, over the same services.
  app.route('/', consoleRoutes());

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'API token from `npm run cli -- staff add --name NAME --role ROLE`',
  });
  app.doc('/openapi.json', {
    openapi: '3.0.3',
    info: { title: API_TITLE, version: '0.1.0', description: 'Senior-driver home-checkup service' },
  });
  app.get('/docs', (c) => c.html(apiReferencePage(app)));
  return app;
}
