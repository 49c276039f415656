// Keys for the risk signals "new network" and "new device": what the engine remembers of
// a user's completed sign-ins. A network is the IPv4 /24 or the IPv6 /48 (the block one
// site usually holds); a device is a keyed hash of the user agent (never stored in clear,
// and not linkable across users). Both are heuristics, documented as such.
import type ipaddr from 'ipaddr.js';
import type { CodeHasher } from '../crypto/code-hash.ts';
import { parseAddress } from '../trust/address.ts';

export function networkSightingKey(ip: string): string {
  const parsed = parseAddress(ip);
  if (parsed === null) return `invalid:${ip.slice(0, 64)}`;
  if (parsed.kind() === 'ipv4') {
    const o = (parsed as ipaddr.IPv4).octets;
    return `${o[0]}.${o[1]}.${o[2]}.0/24`;
  }
  const p = (parsed as ipaddr.IPv6).parts;
  return `${p
    .slice(0, 3)
    .map((x) => x.toString(16))
    .join(':')}::/48`;
}

export function deviceSightingKey(hasher: CodeHasher, userId: string, userAgent: string): string {
  return hasher.hash('device-sighting', `${userId}\0${userAgent.slice(0, 512)}`);
}
