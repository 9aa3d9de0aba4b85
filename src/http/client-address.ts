import type { Context } from 'hono';

/**
 * The key of "one client" for the failed-authentication throttle: the remote address.
 * - Node (@hono/node-server): the socket's address, on `c.env.incoming` (what `getConnInfo`
 *   reads). Behind a reverse proxy every request comes from the proxy: with `trustProxy`, the
 *   last X-Forwarded-For entry, the one the proxy itself appended (earlier entries are whatever
 *   the client wrote, so never trusted).
 * - Workers: `cf-connecting-ip`, set by Cloudflare's edge (a client's own value is replaced). Read
 *   only when there is no socket, so on Node a client cannot choose its key with that header.
 * - Neither (`app.request()` in tests, another runtime): one shared key.
 * IPv6 clients are keyed by their /64, the block one host is usually given.
 */
export const UNKNOWN_CLIENT = 'unknown';

interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: string } };
  server?: NodeBindings;
}

export function clientAddress(c: Context, trustProxy: boolean): string {
  const env = c.env as NodeBindings | undefined;
  const socket = (env?.server ?? env)?.incoming?.socket;
  if (socket) {
    const forwarded = trustProxy ? lastForwarded(c.req.header('x-forwarded-for')) : null;
    return normalise(forwarded ?? socket.remoteAddress ?? UNKNOWN_CLIENT);
  }
  const edge = c.req.header('cf-connecting-ip');
  return edge ? normalise(edge) : UNKNOWN_CLIENT;
}

function lastForwarded(header: string | undefined): string | null {
  const last = header?.split(',').at(-1)?.trim();
  return last ? last : null;
}

/** `::ffff:10.0.0.1` and `10.0.0.1:443` are 10.0.0.1; an IPv6 address becomes its /64 prefix. */
export function normalise(address: string): string {
  const trimmed = address.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(trimmed); // [2001:db8::1]:443
  const plain = (bracketed ? bracketed[1]! : trimmed).replace(/%.*$/, '').toLowerCase();
  // An IPv4 address mapped into IPv6, or followed by a port (some proxies write one).
  const mapped = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})(?::\d+)?$/.exec(plain);
  if (mapped) return mapped[1]!;
  if (!plain.includes(':')) return plain.slice(0, 64);
  const [head = '', tail] = plain.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  const prefix = groups.slice(0, 4).map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16).toString(16) : g.slice(0, 4)));
  return `${prefix.join(':')}::/64`;
}
