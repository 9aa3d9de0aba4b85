/**
 * Every console page's frame: the product's name, the signed-in person and sign-out, the
 * navigation of their role, breadcrumbs, the page title and the flash message of the last action.
 */
import type { Child } from 'hono/jsx';
import type { CivilDate } from '../../shared/civil-date.ts';
import type { StaffMember } from '../../staff/repository.ts';
import { longDate } from '../format.ts';
import { ROLE_LABELS } from '../labels.ts';
import { currentEntry, navFor } from '../nav.ts';
import { ASSET_PATHS } from '../assets.ts';
import { Breadcrumbs, CsrfField, Flash, type Crumb, type FlashMessage } from './ui.tsx';

export const PRODUCT_NAME = '老年驾驶人上门体检';

/** What every page knows about its request (src/web/session.ts builds it). */
export interface PageContext {
  staff: StaffMember;
  csrfToken: string;
  path: string;
  today: CivilDate;
  flash: FlashMessage | null;
}

export function Document(props: { title: string; children: Child; bodyClass?: string }) {
  return (
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} - ${PRODUCT_NAME}`}</title>
        <link rel="stylesheet" href={ASSET_PATHS.css} />
        <script src={ASSET_PATHS.js} defer></script>
      </head>
      <body class={props.bodyClass}>{props.children}</body>
    </html>
  );
}

export function Layout(props: { ctx: PageContext; title: string; crumbs?: readonly Crumb[]; actions?: Child; children: Child }) {
  const { ctx } = props;
  const entries = navFor(ctx.staff.role);
  const current = currentEntry(ctx.path, entries);
  return (
    <Document title={props.title}>
      <a class="skip" href="#main">
        跳到正文
      </a>
      <header class="topbar">
        <a class="brand" href="/console">
          {PRODUCT_NAME}
        </a>
        <span class="today">{longDate(ctx.today)}</span>
        <div class="who">
          <span>
            {ctx.staff.name}（{ROLE_LABELS[ctx.staff.role] ?? ctx.staff.role}）
          </span>
          <a href="/console/account">账户</a>
          <form method="post" action="/sign-out" class="inline">
            <CsrfField token={ctx.csrfToken} />
            <button type="submit" class="link">
              退出
            </button>
          </form>
        </div>
      </header>
      <div class="frame">
        <nav class="sidenav" aria-label="主导航">
          <details open>
            <summary>菜单</summary>
            <ul>
              {entries.map((entry) => (
                <li>
                  <a href={entry.href} aria-current={entry === current ? 'page' : undefined}>
                    {entry.label}
                  </a>
                </li>
              ))}
            </ul>
          </details>
        </nav>
        <main id="main" tabindex={-1}>
          <Breadcrumbs crumbs={props.crumbs ?? []} />
          <div class="title-row">
            <h1>{props.title}</h1>
            {props.actions ? <div class="actions">{props.actions}</div> : null}
          </div>
          <Flash flash={ctx.flash} />
          {props.children}
        </main>
      </div>
    </Document>
  );
}
