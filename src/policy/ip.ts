import ipaddr from 'ipaddr.js';

/**
 * Addresses as bytes (4 for IPv4, 16 for IPv6), the form the CIDR trie walks. IPv4-mapped
 * IPv6 addresses (::ffff:a.b.c.d) are treated as the IPv4 address they carry, both in
 * requests and in policy CIDRs, so a dual-stack socket cannot dodge an IPv4 location.
 */
export interface ParsedCidr {
  bytes: Uint8Array;
  prefix: number;
}

/** Dotted-quad fast path; null when not strict IPv4. */
function parseIpv4(text: string): Uint8Array | null {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part === 3) return null;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return null; // no leading zeros (octal ambiguity)
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return null;
    } else return null;
  }
  if (digits === 0 || part !== 3) return null;
  out[3] = value;
  return out;
}

/** The address as bytes, or null if it is not an IP address. */
export function ipBytes(text: string): Uint8Array | null {
  const v4 = parseIpv4(text);
  if (v4) return v4;
  if (!text.includes(':') || !ipaddr.IPv6.isValid(text)) return null;
  const v6 = ipaddr.IPv6.parse(text);
  if (v6.isIPv4MappedAddress()) return Uint8Array.from(v6.toIPv4Address().toByteArray());
  return Uint8Array.from(v6.toByteArray());
}

/** A validated CIDR (or single address) as bytes + prefix length. Throws on nonsense. */
export function parseCidr(text: string): ParsedCidr {
  const [addr, prefix] = text.includes('/')
    ? ipaddr.parseCIDR(text)
    : [ipaddr.parse(text), text.includes(':') ? 128 : 32];
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress() && prefix >= 96)
      return { bytes: Uint8Array.from(v6.toIPv4Address().toByteArray()), prefix: prefix - 96 };
  }
  return { bytes: Uint8Array.from(addr.toByteArray()), prefix };
}

/** Whether `ip` lies in `cidr` (both as bytes; different families never match). */
export function cidrContains(cidr: ParsedCidr, ip: Uint8Array): boolean {
  if (cidr.bytes.length !== ip.length) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((cidr.bytes[i] ?? 0) & mask) !== ((ip[i] ?? 0) & mask)) return false;
  }
  return true;
}
