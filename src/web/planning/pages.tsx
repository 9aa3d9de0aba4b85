/** The dispatchers' pages (issue 16): the planning board, crews, shifts and route sheets, one router for the area. */
import { Hono } from 'hono';
import type { AppEnv } from '../../http/env.ts';
import { boardPages } from './board.tsx';
import { crewPages } from './crews.tsx';
import { routeSheetPages } from './route-sheet.tsx';
import { shiftPages } from './shifts.tsx';

export function planningPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route('/', boardPages());
  app.route('/', crewPages());
  // Before the shift pages: /console/shifts/:id/route-sheet is the sheet's, not a shift's.
  app.route('/', routeSheetPages());
  app.route('/', shiftPages());
  return app;
}
