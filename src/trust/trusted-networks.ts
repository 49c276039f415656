import ipaddr from 'ipaddr.js';
import { ConfigError } from '../errors.ts';

/**
 * Trusted networks ("trusted IPs" in the seeds): a list of IPv4/IPv6 CIDRs. A sign-in from
 * one of them may skip the second factor. Invalid entries are rejected at start-up.
 */
export interface TrustedNetworks {
  /** The matching CIDR, or null. Unparseable addresses never match. */
  match(address: string): string | null;
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export function compileTrustedNetworks(cidrs: readonly string[]): TrustedNetworks {
  const ranges: Array<{ text: string; range: Range }> = cidrs.map((text) => {
    try {
      const range = text.includes('/') ? ipaddr.parseCIDR(text) : toHostRange(text);
      return { text, range };
    } catch {
      throw new ConfigError(`trustedNetworks: "${text}" is not an IPv4/IPv6 address or CIDR`);
    }
  });
  return {
    match(address) {
      if (ranges.length === 0 || !ipaddr.isValid(address)) return null;
      let ip = ipaddr.parse(address);
      if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress())
        ip = (ip as ipaddr.IPv6).toIPv4Address();
      for (const { text, range } of ranges) {
        if (ip.kind() === range[0].kind() && ip.match(range)) return text;
      }
      return null;
    },
  };
}

function toHostRange(text: string): Range {
  const ip = ipaddr.parse(text);
  return [ip, ip.kind() === 'ipv4' ? 32 : 128];
}
