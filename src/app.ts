import type { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { sql } from 'kysely';
import { AppError } from './errors.ts';
import type { AppDeps, AppEnv } from './http/env.ts';
import { renderError, renderNotFound } from './http/errors.ts';
import { requestContext } from './http/middleware.ts';
import { createRouter } from './http/router.ts';
import { registryRoutes } from './registry/routes.ts';
import { screeningRoutes } from './screening/routes.ts';
import { staffRoutes } from './staff/routes.ts';
import { outreachRoutes } from './outreach/routes.ts';
import { twilioWebhooks } from './outreach/webhooks.ts';
import { schedulingRoutes } from './scheduling/routes.ts';
import { apiReferencePage } from './http/api-reference.ts';
import { examRoutes } from './exams/routes.ts';
import { submissionRoutes } from './submissions/routes.ts';

export const API_TITLE = '老年驾驶人上门体检服务 API';

/** The app, for any runtime: no process.env and no I/O of its own (DESIGN.md "Architecture"). */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.use('*', requestContext(deps));
  app.onError(renderError);
  app.notFound(renderNotFound);

  // The registry upload streams with its own limit; every other body is small JSON.
  const jsonLimit = bodyLimit({
    maxSize: deps.config.MAX_JSON_BODY_BYTES,
    onError: () => {
      throw new AppError('payload_too_large', `request body is larger than ${deps.config.MAX_JSON_BODY_BYTES} bytes`);
    },
  });
  app.use('/twilio/*', jsonLimit);
  app.use('/api/*', async (c, next) => (c.req.path === '/api/registry/imports' && c.req.method === 'POST' ? next() : jsonLimit(c, next)));

  app.get('/healthz', async (c) => {
    await sql`SELECT 1`.execute(c.get('deps').db);
    return c.json({ status: 'ok' });
  });

  app.route('/', staffRoutes());
  app.route('/', registryRoutes());
  app.route('/', screeningRoutes());
  app.route('/', outreachRoutes());
  app.route('/', schedulingRoutes());
  app.route('/', examRoutes());
  app.route('/', submissionRoutes());
  app.route('/', twilioWebhooks());

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
