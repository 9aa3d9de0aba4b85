import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from './env.ts';

/**
 * Security headers of every response, errors included (issue 13). Mounted first in app.ts, so it
 * wraps everything: a 401 from the permission check, a 413 from the body limits and the 404 of an
 * unknown path get them like any answer.
 *
 * - Hono's secureHeaders: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
 *   `X-Frame-Options: DENY`, same-origin CORP/COOP, HSTS (ignored by browsers over plain http;
 *   without includeSubDomains, so other hosts of the office's domain are not forced to https).
 * - A Content-Security-Policy: API answers (JSON, CSV, iCalendar) may load and be framed by
 *   nothing; an HTML page may use only its own origin's assets and its own inline `<style>`
 *   blocks, each allowed by its SHA-256 hash, and no inline script at all.
 * - `Cache-Control: no-store` on every response but the OpenAPI document and the console's hashed
 *   assets (kept a year: their name changes with their content): every /api and /twilio
 *   answer and every page may carry personal data, and an error or a health answer must never be
 *   served stale. /openapi.json describes the API only and gets `no-cache` (kept, revalidated).
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Paths whose answer holds no personal data and may be kept by a cache (revalidated). */
const CACHEABLE = new Set(['/openapi.json']);

export function htmlCsp(styleHashes: readonly string[]): string {
  const styles = ["'self'", ...styleHashes.map((h) => `'sha256-${h}'`)].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src ${styles}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The base64 SHA-256 of each inline `<style>` block's text, as CSP hashes it (WebCrypto: any runtime). */
export async function inlineStyleHashes(html: string): Promise<string[]> {
  const hashes = new Set<string>();
  for (const m of html.matchAll(/<style(?:\s[^>]*)?>([\s\S]*?)<\/style\s*>/gi)) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(m[1] ?? ''));
    hashes.add(btoa(String.fromCharCode(...new Uint8Array(digest))));
  }
  return [...hashes];
}

export function securityHeaders(): MiddlewareHandler<AppEnv> {
  const standard = secureHeaders({
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    strictTransportSecurity: 'max-age=15552000',
    crossOriginResourcePolicy: 'same-origin',
    crossOriginOpenerPolicy: 'same-origin',
  });
  return async function securityHeadersMiddleware(c, next) {
    await standard(c, next);
    const isHtml = (c.res.headers.get('content-type') ?? '').toLowerCase().startsWith('text/html');
    // Pages are small and rendered whole; reading a copy finds their inline styles.
    const csp = isHtml ? htmlCsp(await inlineStyleHashes(await c.res.clone().text())) : API_CSP;
    c.res.headers.set('Content-Security-Policy', csp);
    const ok = c.req.method === 'GET' && c.res.status === 200;
    // The console's stylesheet and script are named by a hash of their content (src/web/assets.ts).
    const cache = ok && c.req.path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : ok && CACHEABLE.has(c.req.path) ? 'no-cache' : 'no-store';
    c.res.headers.set('Cache-Control', cache);
  };
}
