// Trusted networks ("trusted IPs"): a list of IPv4/IPv6 CIDRs. A sign-in from one of them may
// skip the second factor. Every entry must pass the strict CIDR rule (src/trust/cidr.ts) —
// also when this is called directly, not through createMfa's options — so `010.0.0.0/8` can
// never be read as 8.0.0.0/8.
import { ConfigError } from '../errors.ts';
import { parseAddress } from './address.ts';
import { CIDR_RULE, type CidrRange, ipv4IfMapped, parseStrictCidr, quoted } from './cidr.ts';

export interface TrustedNetworks {
  /** The matching CIDR, or null. Unparseable addresses never match. */
  match(address: string): string | null;
}

export function compileTrustedNetworks(cidrs: readonly string[]): TrustedNetworks {
  const ranges: Array<{ text: string; range: CidrRange }> = cidrs.map((text, i) => {
    const range = parseStrictCidr(text);
    if (range === null) throw new ConfigError(`trustedNetworks.${i}: ${quoted(text)} ${CIDR_RULE}`);
    return { text, range: ipv4IfMapped(range) };
  });
  return {
    match(address) {
      if (ranges.length === 0) return null;
      const ip = parseAddress(address);
      if (ip === null) return null;
      for (const { text, range } of ranges) {
        if (ip.kind() === range[0].kind() && ip.match(range)) return text;
      }
      return null;
    },
  };
}
