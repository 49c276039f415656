// The client address: the socket's peer, unless that peer is a configured trusted proxy,
// in which case X-Forwarded-For is walked back (proxy-addr semantics) only through hops
// that are themselves trusted. A spoofed header from an untrusted hop is ignored. Entries
// pass the strict CIDR rule (or are proxy-addr's range names) before proxy-addr sees them.
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import { ConfigError } from '../errors.ts';
import { isTrustedProxyEntry, PROXY_RULE, quoted } from './cidr.ts';

/** A request's client address, as the trusted-proxy rules resolve it. */
export type ClientIpResolver = (req: IncomingMessage) => string;

export function createClientIpResolver(trustedProxies: readonly string[]): ClientIpResolver {
  trustedProxies.forEach((entry, i) => {
    if (!isTrustedProxyEntry(entry))
      throw new ConfigError(`trustedProxies.${i}: ${quoted(entry)} ${PROXY_RULE}`);
    if (/\/0+$/.test(entry))
      throw new ConfigError(
        `trustedProxies.${i}: ${quoted(entry)} would trust the X-Forwarded-For of every sender; list your proxies' addresses`,
      );
  });
  const trust = proxyaddr.compile([...trustedProxies]);
  return (req) => normalize(proxyaddr(req, trust));
}

/** `::ffff:10.0.0.1` → `10.0.0.1`, so IPv4 rules match IPv4-mapped sockets. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
