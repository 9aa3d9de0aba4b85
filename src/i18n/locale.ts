/** The languages messages are written in: zh-CN (the staff's) by default, English on request. */
export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'zh-CN';

/** One language of an Accept-Language header, as ours: zh* -> zh-CN, en* -> en, else null. */
function ours(tag: string): Locale | null {
  const t = tag.trim().toLowerCase();
  if (t === 'zh' || t.startsWith('zh-')) return 'zh-CN';
  if (t === 'en' || t.startsWith('en-')) return 'en';
  return null;
}

/**
 * The locale an Accept-Language header prefers (RFC 9110 §12.5.4): the highest q among the
 * languages we speak, the earlier on a tie; q=0 refuses one. Anything else (absent, `*`, fr,
 * malformed) is zh-CN, the staff's language.
 */
export function negotiateLocale(header: string | null | undefined): Locale {
  if (!header) return DEFAULT_LOCALE;
  let best: { locale: Locale; q: number } | null = null;
  for (const part of header.slice(0, 1000).split(',').slice(0, 50)) {
    const [tag = '', ...attributes] = part.split(';');
    const locale = ours(tag);
    if (locale === null) continue;
    const qText = attributes.map((a) => a.trim().toLowerCase()).find((a) => a.startsWith('q='))?.slice(2);
    const q = qText === undefined ? 1 : /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(qText) ? Number(qText) : 0;
    if (q > 0 && (best === null || q > best.q)) best = { locale, q };
  }
  return best?.locale ?? DEFAULT_LOCALE;
}

/**
 * The CLI's locale from the environment, as POSIX looks it up: LC_ALL, then LC_MESSAGES, then
 * LANG. zh* or unset -> zh-CN; en* and the C/POSIX locales (a bare server shell) -> English.
 */
export function localeFromEnv(env: Record<string, string | undefined> = process.env): Locale {
  const value = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v !== undefined && v !== '');
  if (value === undefined) return DEFAULT_LOCALE;
  const tag = value.split('.')[0]!.split('@')[0]!.replace('_', '-');
  if (tag === 'C' || tag === 'POSIX') return 'en';
  return ours(tag) ?? DEFAULT_LOCALE;
}
