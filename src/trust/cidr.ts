// The one rule for an IP address or CIDR written in configuration: trusted networks, trusted
// proxies, policy named locations, the demo's environment and the CLI all read through it.
// IPv4 only as four decimal parts without leading zeros (the form client addresses are read
// in): ipaddr.js alone takes `010.0.0.0` as octal 8.0.0.0, `0x7f.1` as 127.0.0.1 and `10/8`
// as 0.0.0.10/8, so a lenient entry would trust a network its author never meant.
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { parseIp } from './address.ts';

export type CidrRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

const PREFIX = /^(0|[1-9][0-9]{0,2})$/;

/** The address and prefix length (32/128 for a single address), or null unless strictly written. */
export function parseStrictCidr(text: string): CidrRange | null {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? null : text.slice(slash + 1);
  if (prefixText !== null && !PREFIX.test(prefixText)) return null;
  if (address.includes(':')) {
    // No zone id (`fe80::1%eth0`), and an embedded IPv4 tail obeys the IPv4 rule.
    if (address.includes('%') || !ipaddr.IPv6.isValid(address)) return null;
    const tail = address.slice(address.lastIndexOf(':') + 1);
    if (tail.includes('.') && !ipaddr.IPv4.isValidFourPartDecimal(tail)) return null;
  } else if (!ipaddr.IPv4.isValidFourPartDecimal(address)) return null;
  const ip = parseIp(address);
  const max = ip.kind() === 'ipv4' ? 32 : 128;
  const prefix = prefixText === null ? max : Number(prefixText);
  return prefix <= max ? [ip, prefix] : null;
}

export const isStrictCidr = (text: string): boolean => parseStrictCidr(text) !== null;

/**
 * An IPv4-mapped range (`::ffff:203.0.113.0/120`) as the IPv4 range it names (203.0.113.0/24):
 * client addresses arrive as IPv4 (address.ts), so that is what such a range must match. Any
 * other range as it is.
 */
export function ipv4IfMapped(range: CidrRange): CidrRange {
  const [ip, prefix] = range;
  if (ip.kind() !== 'ipv6' || prefix < 96) return range;
  const v6 = ip as ipaddr.IPv6;
  return v6.isIPv4MappedAddress() ? [v6.toIPv4Address(), prefix - 96] : range;
}

/** The refused value as a message shows it: quoted, control characters escaped, at most 64 characters. */
export const quoted = (value: string): string =>
  JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);

export const CIDR_RULE =
  'must be an IPv4 or IPv6 address or CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32 (IPv4 as four decimal parts without leading zeros)';

export const cidrSchema = z.string().superRefine((value, ctx) => {
  if (!isStrictCidr(value)) ctx.addIssue({ code: 'custom', message: `${quoted(value)} ${CIDR_RULE}` });
});

/** The names proxy-addr gives to address ranges, accepted as trusted proxies besides CIDRs. */
export const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'] as const;

export const isTrustedProxyEntry = (text: string): boolean =>
  (PROXY_RANGE_NAMES as readonly string[]).includes(text) || isStrictCidr(text);

export const PROXY_RULE = `must be ${PROXY_RANGE_NAMES.join(', ')} or an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8 (IPv4 as four decimal parts without leading zeros)`;

export const trustedProxySchema = z.string().superRefine((value, ctx) => {
  if (!isTrustedProxyEntry(value))
    ctx.addIssue({ code: 'custom', message: `${quoted(value)} ${PROXY_RULE}` });
});
