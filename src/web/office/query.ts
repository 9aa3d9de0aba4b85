import type { Context } from 'hono';
import type { AppEnv } from '../../http/env.ts';

/** The named query parameters of a page (its filters and cursor), each at most once; others are ignored. */
export function pageQuery<N extends string>(c: Context<AppEnv>, names: readonly N[]): Partial<Record<N, string>> & Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name of names) {
    const value = c.req.query(name);
    if (value !== undefined && value !== '') out[name] = value.slice(0, 200);
  }
  return out as Partial<Record<N, string>> & Record<string, string | undefined>;
}
