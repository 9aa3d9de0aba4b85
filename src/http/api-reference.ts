import type { OpenAPIHono } from '@hono/zod-openapi';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { AppEnv } from './env.ts';

interface Operation {
  summary?: string;
  description?: string;
  'x-permission'?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string }>;
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { description?: string }>;
}

/**
 * A self-contained API reference built from the OpenAPI document (the office network has no
 * CDN for a Swagger UI bundle).
 */
export function apiReferencePage(app: OpenAPIHono<AppEnv>): HtmlEscapedString | Promise<HtmlEscapedString> {
  const doc = app.getOpenAPIDocument({ openapi: '3.0.3', info: { title: 'API', version: '0.1.0' } });
  const rows = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Operation>).map(([method, op]) => ({ path, method, op })),
  );
  return html`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>API 参考</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,"WenQuanYi Micro Hei",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
section{border-top:1px solid #ccc;padding:.5rem 0}code{background:#f4f4f4;padding:0 .2rem}.m{font-weight:bold;text-transform:uppercase}</style>
</head><body>
<h1>API 参考 / API reference</h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Authenticate with <code>Authorization: Bearer TOKEN</code>.
Errors: <code>{ "error": { "code", "message", "details", "requestId" } }</code>.</p>
${rows.map(
  ({ path, method, op }) => html`<section>
<h2><span class="m">${method}</span> <code>${path}</code></h2>
<p>${op.summary ?? ''}</p>${op.description ? html`<p>${op.description}</p>` : ''}
<p>Permission: <code>${op['x-permission'] ?? 'none'}</code></p>
${op.parameters?.length ? html`<ul>${op.parameters.map((p) => html`<li><code>${p.name}</code> (${p.in}${p.required ? ', required' : ''}) ${p.description ?? ''}</li>`)}</ul>` : ''}
${op.requestBody?.content ? html`<p>Body: ${Object.keys(op.requestBody.content).join(', ')}</p>` : ''}
<p>Responses: ${raw(Object.entries(op.responses ?? {}).map(([s, r]) => `${s} ${escape(r.description ?? '')}`).join(' · '))}</p>
</section>`,
)}
</body></html>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
