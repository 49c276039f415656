// The options of `createRadiusServer()`, validated with zod so a mistake is reported with its
// path at start-up (as createMfa's are, src/engine/options.ts), and the lookup of the client
// (the NAS: a VPN concentrator, a switch) a datagram came from by its source address.
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { FirstFactorGate } from '../engine/first-factor-gate.ts';
import type { Mfa } from '../engine/mfa.ts';
import { parseConfig } from '../engine/options.ts';
import type { EphemeralStore } from '../store/ports.ts';
import { parseAddress } from '../trust/address.ts';
import { type CidrRange, cidrSchema, ipv4IfMapped, parseStrictCidr } from '../trust/cidr.ts';

// RFC 2865 §3 asks for a shared secret at least 16 octets long; RFC 6614's guidance is longer
// still. A short one is refused: an offline guess against one captured packet is cheap (MD5).
export const MIN_SECRET = 16;

const clientSchema = z.object({
  address: cidrSchema,
  secret: z
    .string()
    .min(MIN_SECRET, `a shared secret must be at least ${MIN_SECRET} characters`)
    .max(128, 'a shared secret is at most 128 characters'),
  name: z.string().min(1).max(64).optional(),
});

export const radiusOptionsSchema = z.object({
  mfa: z.custom<Mfa>(
    (v) => typeof (v as Mfa)?.beginSignIn === 'function' && typeof (v as Mfa)?.verifyPending === 'function',
    'mfa must be what createMfa() returns',
  ),
  gate: z.custom<FirstFactorGate>(
    (v) => typeof (v as FirstFactorGate)?.signIn === 'function',
    'gate must be a first-factor gate: mfa.firstFactorGate(directory)',
  ),
  /**
   * Where a challenge's `State` maps to its pending sign-in: the `ephemeral` store of the stores
   * given to createMfa, so several RADIUS servers behind one NAS (failover) share it.
   */
  ephemeral: z.custom<EphemeralStore>(
    (v) =>
      typeof (v as EphemeralStore)?.put === 'function' && typeof (v as EphemeralStore)?.get === 'function',
    'ephemeral must be an ephemeral store: the `ephemeral` of the stores given to createMfa',
  ),
  clients: z.array(clientSchema).min(1, 'at least one RADIUS client is required'),
  /** The application conditional-access policies see (assignments.applications). */
  app: z.string().min(1).max(128).default('radius'),
  /**
   * Whether createMfa's `trustedNetworks` may lift the second factor for a RADIUS sign-in (default
   * false): only ever for the user's own address a NAS reports in Calling-Station-Id, never for
   * the NAS's own address (the fallback when it reports none), which every user shares.
   */
  trustedNetworks: z.boolean().default(false),
  /** Discard Access-Requests without a valid Message-Authenticator (BlastRADIUS, CVE-2024-3596). */
  requireMessageAuthenticator: z.boolean().default(true),
  /** How long a challenge's `State` lasts (seconds); at most the engine's pending sign-in lifetime. */
  challengeTtlSeconds: z.number().int().min(30).max(900).default(300),
  /** How long a reply is kept to answer a retransmission of its request (seconds). */
  retransmitCacheSeconds: z.number().int().min(1).max(60).default(10),
  /** Where the server reports what it discards and why (never a password or code); default none. */
  log: z
    .custom<(message: string) => void>((v) => typeof v === 'function', 'log must be a function')
    .optional(),
});

export type RadiusServerOptions = z.input<typeof radiusOptionsSchema>;
export type ResolvedRadiusOptions = z.output<typeof radiusOptionsSchema>;

export const parseRadiusOptions = (input: unknown): ResolvedRadiusOptions =>
  parseConfig(radiusOptionsSchema, input, 'mfakit/radius options');

export interface RadiusClient {
  name: string;
  secret: string;
  range: CidrRange;
}

/**
 * The configured clients, and the one a source address belongs to (the longest prefix that
 * contains it: a /32 for one NAS overrides its network's /24), or null.
 */
export function clientTable(clients: ResolvedRadiusOptions['clients']) {
  // Every address passed cidrSchema above: parseStrictCidr reads each.
  const table: RadiusClient[] = clients.flatMap((c) => {
    const range = parseStrictCidr(c.address);
    return range ? [{ name: c.name ?? c.address, secret: c.secret, range: ipv4IfMapped(range) }] : [];
  });
  return (source: string): RadiusClient | null => {
    const ip = parseAddress(source);
    if (!ip) return null;
    let best: RadiusClient | null = null;
    for (const client of table) {
      const { range } = client;
      if (ip.kind() === range[0].kind() && ip.match(range) && (!best || range[1] > best.range[1]))
        best = client;
    }
    return best;
  };
}

/** The Calling-Station-Id when it is an IP address (a VPN's client), as an address; else null. */
export function addressOf(callingStationId: string | null): string | null {
  if (!callingStationId) return null;
  const ip = callingStationId.trim();
  if (!ipaddr.isValid(ip) || (!ip.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(ip))) return null;
  return parseAddress(ip)?.toString() ?? null;
}
