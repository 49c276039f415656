// A client address parsed once, the same way everywhere: an IPv4-mapped IPv6 address
// (`::ffff:10.0.0.1`, what a dual-stack socket reports) is the IPv4 address it carries, so
// IPv4 rules, lockout buckets and sightings see one address.
import ipaddr from 'ipaddr.js';

/** The address, IPv4-mapped IPv6 as IPv4; null when it does not parse. */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ipaddr.isValid(text)) return null;
  const ip = ipaddr.parse(text);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress())
    return (ip as ipaddr.IPv6).toIPv4Address();
  return ip;
}
