// A client address parsed once, the same way everywhere: an IPv4-mapped IPv6 address
// (`::ffff:10.0.0.1`, what a dual-stack socket reports) is the IPv4 address it carries, so
// IPv4 rules, lockout buckets and sightings see one address. The deprecated IPv4-compatible
// form (`::10.0.0.1`, i.e. `::a00:1`, as Node prints such a peer) stays IPv6: ipaddr.js reads
// that text as `::ffff:10.0.0.1`, which put an IPv6 peer inside IPv4 trusted networks and named
// locations, so every IPv6 text goes through `parseIpv6`.
import ipaddr from 'ipaddr.js';

/**
 * ipaddr.js's IPv6 parse, with a dotted IPv4 tail first written out as the two groups it stands
 * for (`::203.0.113.5` → `::cb00:7105`), so `::a.b.c.d` is not taken for `::ffff:a.b.c.d`.
 * Throws, as ipaddr.js does, on what is not an IPv6 address.
 */
export function parseIpv6(text: string): ipaddr.IPv6 {
  const colon = text.lastIndexOf(':');
  const tail = text.slice(colon + 1);
  if (!tail.includes('.') || !ipaddr.IPv4.isValidFourPartDecimal(tail)) return ipaddr.IPv6.parse(text);
  const [a = 0, b = 0, c = 0, d = 0] = ipaddr.IPv4.parse(tail).octets;
  const groups = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  return ipaddr.IPv6.parse(`${text.slice(0, colon + 1)}${groups}`);
}

/** An IPv4 or IPv6 address as ipaddr.js reads it, but IPv6 through `parseIpv6`. */
export const parseIp = (text: string): ipaddr.IPv4 | ipaddr.IPv6 =>
  text.includes(':') ? parseIpv6(text) : ipaddr.IPv4.parse(text);

/** The address, IPv4-mapped IPv6 as IPv4; null when it does not parse. */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ipaddr.isValid(text)) return null;
  const ip = parseIp(text);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress())
    return (ip as ipaddr.IPv6).toIPv4Address();
  return ip;
}
