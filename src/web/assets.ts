/**
 * The console's stylesheet and script, served by the app under names that carry a hash of their
 * content: a browser may keep them for a year, and a new release is fetched at once.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { CONSOLE_CSS } from './assets/console-css.ts';
import { CONSOLE_JS } from './assets/console-js.ts';

/** FNV-1a, 32 bits: a cache-busting name, not a security measure. */
function contentTag(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

export const ASSET_PATHS = {
  css: `/assets/console.${contentTag(CONSOLE_CSS)}.css`,
  js: `/assets/console.${contentTag(CONSOLE_JS)}.js`,
} as const;

export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export function assetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(ASSET_PATHS.css, (c) => c.body(CONSOLE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' }));
  app.get(ASSET_PATHS.js, (c) => c.body(CONSOLE_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  return app;
}
