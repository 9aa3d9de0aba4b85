import { maskName } from './mask.ts';

/**
 * Structured JSON log lines (DESIGN.md "Logs"). Callers never pass personal data; as a safety
 * net every line is scrubbed of anything shaped like an ID number or a phone number, in clear or
 * URL-encoded, and of Chinese text inside URLs (a name in a path or a query string).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// Not inside a longer run of digits or letters (hex digests, SIDs), except a JSON escape such
// as `\n` just before: the line is JSON, and a message's new line must not hide an ID after it.
const NOT_AFTER_WORD = '(?<!\\d)(?<!(?<!\\\\)[A-Za-z])';
const ID_LIKE = new RegExp(`${NOT_AFTER_WORD}(\\d{6})\\d{8}(\\d{3}[\\dXx])(?![\\dA-Za-z])`, 'g');
// What people put inside a phone number: a space, a dash, or `+` (a space in a query string).
const SEP = '[ +\\-]?';
const MOBILE_LIKE = new RegExp(`(?<!\\d)(?:(?:\\+|00)?86${SEP})?(1[3-9]\\d)${SEP}\\d{4}${SEP}(\\d{4})(?!\\d)`, 'g');
/** A landline in E.164 (`+866358123456`, as stored) or written the domestic way (`0635-8123456`). */
const LANDLINE_E164 = /(?<!\d)(?:\+|00)86[ -]?([2-9]\d{1,2})[ -]?\d{3,4}[ -]?(\d{4})(?!\d)/g;
// Not after a dash either: the last group of a UUID is sometimes twelve digits.
const LANDLINE_DOMESTIC = new RegExp(`${NOT_AFTER_WORD}(?<!-)(0[1-9]\\d{1,2})[ \\-]?\\d{3,4}(\\d{4})(?![\\dA-Za-z])`, 'g');

function scrubNumbers(text: string): string {
  return text
    .replace(ID_LIKE, '$1********$2')
    .replace(MOBILE_LIKE, '$1****$2')
    .replace(LANDLINE_E164, '+86$1****$2')
    .replace(LANDLINE_DOMESTIC, '$1****$2');
}

/** A run of text up to a quote, a blank or a backslash: inside a JSON line, part of one string. */
const TOKEN = /[^\s"'<>\\]+/g;
const PERCENT = /%[0-9A-Fa-f]{2}/;
const QUERY_PAIR = /[?&][^=&]+=/;
/** A piece of a URL between its delimiters (a path segment, a query name or value) holding Chinese. */
const HAN_PIECE = /[^/?&=#;,]*\p{Script=Han}[^/?&=#;,]*/gu;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function looksLikeUrl(token: string): boolean {
  return token.startsWith('/') || token.includes('://') || PERCENT.test(token) || QUERY_PAIR.test(token);
}

/** Decodes each run of `%XX` that is valid UTF-8; leaves any other run as written. */
function percentDecode(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    const bytes = Uint8Array.from(run.slice(1).split('%'), (hex) => parseInt(hex, 16));
    try {
      return utf8.decode(bytes);
    } catch {
      return run;
    }
  });
}

/** Back to URL form: what could end a JSON string or a token is percent-encoded again. */
function percentEncode(text: string): string {
  return text.replace(/[^\x21-\x7e]|["'<>\\%]/gu, (ch) => {
    try {
      return encodeURIComponent(ch);
    } catch {
      return '%EF%BF%BD'; // a lone surrogate: U+FFFD
    }
  });
}

/** A URL (or a piece of one) with its numbers masked and every Chinese segment or value masked as a name. */
function scrubUrl(token: string): string {
  const encoded = PERCENT.test(token);
  const text = encoded ? percentDecode(token) : token;
  const masked = scrubNumbers(text).replace(HAN_PIECE, (piece) => maskName(piece));
  if (masked === text) return token;
  return encoded ? percentEncode(masked) : masked;
}

export function scrub(line: string): string {
  const urlsDone = /[/%=]/.test(line) ? line.replace(TOKEN, (token) => (looksLikeUrl(token) ? scrubUrl(token) : token)) : line;
  return scrubNumbers(urlsDone);
}

export function createLogger(options: { level?: LogLevel; write?: (line: string) => void } = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const log = (level: LogLevel) => (msg: string, fields: LogFields = {}) => {
    if (ORDER[level] < min) return;
    write(scrub(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
