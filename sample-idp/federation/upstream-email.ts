// Which e-mail address of a claims provider's account the federation server may vouch for.
// After nOAuth (an upstream asserting any address, which relying parties then trusted as
// verified), Entra ID removes unverified e-mail claims from other domains; this is that rule,
// strictly: an address is kept only when the upstream said it verified it (`email_verified`
// exactly true), it is one plain address (one @, no quoting), its domain is one of this
// provider's own `emailDomains`, and no one else here owns that domain (the local directory's
// users, another claims provider). Anything else: the account has no address, nothing is released.
import { z } from 'zod';
import type { ClaimsProviderConfig } from './config.ts';

export interface UpstreamAddress {
  email?: string | undefined;
  emailVerified?: boolean | undefined;
}

const plainAddress = z.email();

/** The lower-cased domain of a plain address, or null for anything else. */
export function domainOf(email: string): string | null {
  if (!plainAddress.safeParse(email).success) return null;
  const at = email.indexOf('@');
  return at > 0 && at === email.lastIndexOf('@') ? email.slice(at + 1).toLowerCase() : null;
}

/**
 * The address to keep for an account of `provider` (lower-cased), or undefined.
 * `ownedElsewhere`: domains of the local directory's users and of the other claims providers.
 */
export function keptUpstreamEmail(
  provider: ClaimsProviderConfig,
  who: UpstreamAddress,
  ownedElsewhere: ReadonlySet<string>,
): string | undefined {
  if (who.emailVerified !== true || typeof who.email !== 'string') return undefined;
  const domain = domainOf(who.email);
  if (domain === null || !provider.emailDomains.includes(domain) || ownedElsewhere.has(domain))
    return undefined;
  return who.email.toLowerCase();
}
