/** The office's pages (issue 15), one router per area. */
import { Hono } from 'hono';
import type { AppEnv } from '../../http/env.ts';
import { homePage } from './home.tsx';
import { casePages } from './cases.tsx';
import { followUpPages } from './follow-ups.tsx';
import { importPages } from './imports.tsx';
import { screeningPages } from './screenings.tsx';
import { outreachPages } from './outreach.tsx';
import { submissionPages } from './submissions.tsx';
import { staffPages } from './staff.tsx';
import { auditPages } from './audit.tsx';

export function officePages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route('/', homePage());
  app.route('/', importPages());
  app.route('/', casePages());
  app.route('/', followUpPages());
  app.route('/', screeningPages());
  app.route('/', outreachPages());
  app.route('/', submissionPages());
  app.route('/', staffPages());
  app.route('/', auditPages());
  return app;
}
