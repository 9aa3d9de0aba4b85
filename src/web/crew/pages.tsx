/**
 * The crew's phone pages (issue 16 "The crew, on a phone"; 390x844 first): 今日上门, each stop
 * with its actions, the 委托书, the exam form. Postal workers and examiners land on 今日上门.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../../http/env.ts';
import { pagePermission } from '../session.tsx';
import { AUTHORISATION_PERMISSION, postAuthorisation } from './authorisation.tsx';
import { EXAM_PERMISSION, examPage, postExam } from './exam.tsx';
import { PROGRESS_PERMISSION, STOP_PERMISSION, postArrived, postEnRoute, postNoShow, renderStop, stopPage } from './stop.tsx';
import { TODAY_PERMISSION, todayPage } from './today.tsx';

/** The roles whose day is the route: /console is their 今日上门. */
export const CREW_ROLES: readonly string[] = ['postal', 'examiner'];

export function crewPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Mounted before the office's /console (src/web/console.tsx): the crew's home is their route.
  app.get('/console', async (c, next) => {
    const session = c.get('session');
    if (session && CREW_ROLES.includes(session.staff.role)) return c.redirect('/console/today', 303);
    await next();
  });
  app.get('/console/today', pagePermission(TODAY_PERMISSION), todayPage);
  app.get('/console/stops/:visitId', pagePermission(STOP_PERMISSION), stopPage);
  app.post('/console/stops/:visitId/en-route', pagePermission(PROGRESS_PERMISSION), postEnRoute);
  app.post('/console/stops/:visitId/arrived', pagePermission(PROGRESS_PERMISSION), postArrived);
  app.post('/console/stops/:visitId/no-show', pagePermission(PROGRESS_PERMISSION), postNoShow);
  app.post('/console/stops/:visitId/authorisation', pagePermission(AUTHORISATION_PERMISSION), (c) =>
    postAuthorisation(c, async (form) => c.html(await renderStop(c, { authorisation: form }))),
  );
  app.get('/console/stops/:visitId/exam', pagePermission(EXAM_PERMISSION), examPage);
  app.post('/console/stops/:visitId/exam', pagePermission(EXAM_PERMISSION), postExam);
  return app;
}
