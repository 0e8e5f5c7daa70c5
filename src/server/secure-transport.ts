import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Config } from '../config.js';
import { normalizeIp } from '../policy/conditions.js';

/** Whether `ip` (normalized) is a reverse proxy named by --trust-proxy. */
export function isTrustedProxy(config: Config, ip: string): boolean {
  const proxies = config.trustedProxies;
  return proxies !== undefined && proxies.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Whether the client reached us over TLS: directly, or through a trusted reverse proxy that
 * says so in X-Forwarded-Proto (the header of anyone else is ignored).
 */
export function isSecure(config: Config, req: IncomingMessage): boolean {
  if (req.socket instanceof TLSSocket) return true;
  const remote = req.socket.remoteAddress;
  if (remote === undefined) return false;
  const proto = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https' && isTrustedProxy(config, normalizeIp(remote));
}

/**
 * `aws:SourceIp`: the socket's peer. When that peer is a proxy named by --trust-proxy, the
 * client is the last address in X-Forwarded-For that is not itself a trusted proxy (each
 * proxy appends the address it received from; only trusted ones can be believed).
 */
export function sourceIp(config: Config, req: IncomingMessage): string | undefined {
  const remote = req.socket.remoteAddress;
  if (remote === undefined) return undefined;
  const peer = normalizeIp(remote);
  if (!isTrustedProxy(config, peer)) return peer;
  const forwarded = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded ?? '')
    .split(',')
    .map((h) => normalizeIp(h.trim()))
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return peer;
    if (!isTrustedProxy(config, hop)) return hop;
  }
  return hops[0] ?? peer;
}
