import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { Config } from '../config.js';

/**
 * Whether the client reached us over TLS: directly, or through a trusted reverse proxy that
 * says so in X-Forwarded-Proto (the header of anyone else is ignored).
 */
export function isSecure(config: Config, req: IncomingMessage): boolean {
  if (req.socket instanceof TLSSocket) return true;
  const proxies = config.trustedProxies;
  const remote = req.socket.remoteAddress;
  if (proxies === undefined || remote === undefined) return false;
  const proto = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase();
  if (first !== 'https') return false;
  const family = req.socket.remoteFamily === 'IPv6' ? 'ipv6' : 'ipv4';
  // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote)?.[1];
  return v4 !== undefined ? proxies.check(v4, 'ipv4') : proxies.check(remote, family);
}
