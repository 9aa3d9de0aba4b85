/** The office's pages (issue 15), one router per area. */
import { Hono } from 'hono';
import type { AppEnv } from '../../http/env.ts';
import { homePage } from './home.tsx';
import { importPages } from './imports.tsx';
import { submissionPages } from './submissions.tsx';

export function officePages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route('/', homePage());
  app.route('/', importPages());
  app.route('/', submissionPages());
  return app;
}
