import ipaddr from 'ipaddr.js';
import { ConfigError } from '../errors.ts';
import { parseAddress } from './address.ts';

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

function toHostRange(text: string): Range {
  const ip = ipaddr.parse(text);
  return [ip, ip.kind() === 'ipv4' ? 32 : 128];
}
