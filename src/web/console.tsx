/**
 * The staff console (issue 15): pages over the same services as the API (DESIGN.md "The staff
 * console"), mounted by createApp beside the API. Sessions and CSRF apply to the console's paths
 * only; the API keeps its bearer tokens.
 */
import { Hono, type Context } from 'hono';
import { AppError } from '../errors.ts';
import type { AppEnv } from '../http/env.ts';
import { localizeError } from '../i18n/localize.ts';
import { assetRoutes } from './assets.ts';
import { authPages } from './auth/sign-in.tsx';
import { Document } from './components/layout.tsx';
import { NotFoundPage } from './components/error-pages.tsx';
import { crewPages } from './crew/pages.tsx';
import { officePages } from './office/pages.tsx';
import { planningPages } from './planning/pages.tsx';
import { csrfProtection, pageContext, readSession } from './session.tsx';

const CONSOLE_PATHS = ['/', '/sign-in', '/sign-out', '/console', '/console/*'] as const;

function ErrorPage(props: { requestId: string; message?: string }) {
  return (
    <Document title="出错了">
      <main class="signin">
        <h1>出错了</h1>
        <p>{props.message ?? '系统没能完成这个操作，您的数据没有被改动。请稍后再试；如果反复出现，请把下面的编号告诉技术支持。'}</p>
        <p>
          编号：<code>{props.requestId}</code>
        </p>
        <p>
          <a href="/console">回到工作台</a>
        </p>
      </main>
    </Document>
  );
}

/** A page's failure as a page (the API's onError would answer JSON): the service's own words for an AppError. */
function pageError(err: Error, c: Context<AppEnv>) {
  const requestId = c.get('requestId');
  if (err instanceof AppError) {
    c.status(err.status);
    if (err.code === 'not_found' && c.get('session')) return c.html(<NotFoundPage ctx={pageContext(c)} />);
    return c.html(<ErrorPage requestId={requestId} message={localizeError(err, 'zh-CN').message} />);
  }
  // Unexpected: the stack to the log (scrubbed by the logger), nothing of it on the page.
  c.get('deps').logger.error('unhandled error', { requestId, error: err.message, stack: err.stack });
  c.status(500);
  return c.html(<ErrorPage requestId={requestId} />);
}

export function consoleRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(pageError);
  app.route('/', assetRoutes());
  for (const path of CONSOLE_PATHS) app.use(path, readSession());
  // The sign-in form carries its own token, from before any session (src/web/auth/sign-in.tsx).
  for (const path of CONSOLE_PATHS) if (path !== '/sign-in') app.use(path, csrfProtection());
  app.get('/', (c) => c.redirect('/console', 303));
  app.route('/', authPages());
  app.route('/', crewPages());
  app.route('/', officePages());
  app.route('/', planningPages());
  app.all('/console/*', (c) => {
    if (!c.get('session')) return c.redirect(`/sign-in?next=${encodeURIComponent(c.req.path)}`, 303);
    c.status(404);
    return c.html(<NotFoundPage ctx={pageContext(c)} />);
  });
  return app;
}
