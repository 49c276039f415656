// Addresses as bytes (4 for IPv4, 16 for IPv6), the form the CIDR trie walks. IPv4-mapped
// IPv6 addresses (::ffff:a.b.c.d) are treated as the IPv4 address they carry, both in
// requests and in policy CIDRs, so a dual-stack socket cannot dodge an IPv4 location.
import { parseAddress } from '../trust/address.ts';
import { CIDR_RULE, ipv4IfMapped, parseStrictCidr, quoted } from '../trust/cidr.ts';

/** A CIDR as the address's bytes and the prefix length in bits. */
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

const hexDigit = (c: number) =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;

/**
 * Plain colon-hex IPv6 fast path: groups of 1-4 hex digits, at most one `::`, no zone and no
 * dotted tail. Returns null for anything else, which then goes to the full parser
 * (`parseAddress`); for what it accepts, the bytes are those that parser gives (IPv4-mapped
 * ::ffff:0:0/96 as IPv4).
 */
function parseIpv6Plain(text: string): Uint8Array | null {
  const n = text.length;
  const parts: number[] = [];
  let gapAt = -1;
  let i = 0;
  if (n >= 2 && text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return null;
    gapAt = 0;
    i = 2;
  }
  while (i < n) {
    let value = 0;
    let digits = 0;
    for (; i < n; i++) {
      const d = hexDigit(text.charCodeAt(i));
      if (d < 0) break;
      if (++digits > 4) return null;
      value = value * 16 + d;
    }
    if (digits === 0 || parts.push(value) > 8) return null;
    if (i === n) break;
    if (text.charCodeAt(i) !== 58) return null; // '.', '%' or anything else: the full parser decides
    if (++i === n) return null; // a single trailing colon
    if (text.charCodeAt(i) === 58) {
      if (gapAt >= 0) return null;
      gapAt = parts.length;
      i++;
    }
  }
  if (gapAt < 0 ? parts.length !== 8 : parts.length > 7) return null;
  const out = new Uint8Array(16);
  const tail = gapAt < 0 ? 8 : parts.length - gapAt;
  for (let k = 0; k < parts.length; k++) {
    const at = gapAt < 0 || k < gapAt ? k : 8 - tail + (k - gapAt);
    const part = parts[k] ?? 0;
    out[at * 2] = part >> 8;
    out[at * 2 + 1] = part & 0xff;
  }
  for (let b = 0; b < 10; b++) if (out[b] !== 0) return out;
  return out[10] === 0xff && out[11] === 0xff ? out.slice(12) : out;
}

/** The address as bytes, or null if it is not an IP address. */
export function ipBytes(text: string): Uint8Array | null {
  const v4 = parseIpv4(text);
  if (v4) return v4;
  if (!text.includes(':')) return null;
  const plain = parseIpv6Plain(text);
  if (plain) return plain;
  const ip = parseAddress(text);
  return ip && Uint8Array.from(ip.toByteArray());
}

/** A CIDR (or single address) under the strict rule, as bytes + prefix length. Throws on anything else. */
export function parseCidr(text: string): ParsedCidr {
  const range = parseStrictCidr(text);
  if (range === null) throw new Error(`${quoted(text)} ${CIDR_RULE}`);
  const [addr, prefix] = ipv4IfMapped(range);
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
