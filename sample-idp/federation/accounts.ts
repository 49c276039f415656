import type { OidcStore } from 'mfakit';
import { z } from 'zod';
import type { ClaimsProviderConfig } from './config.ts';
import type { LocalDirectory } from './directory.ts';
import { domainOf, keptUpstreamEmail } from './upstream-email.ts';

/**
 * Accounts as relying parties see them: local users, and accounts that came from a
 * claims provider. An upstream subject maps either to its own account
 * `upstream:<provider id>:<sub>` (its profile kept in the OIDC store, refreshed at each
 * sign-in) or, with linkByEmail, to the local user with the same verified e-mail address —
 * only within the provider's own e-mail domains. An upstream account keeps an address only
 * by the rule of upstream-email.ts (verified, in the provider's own domains).
 *
 * Whose trust a sign-in goes through is the address's, not the user's choice: a sign-in whose
 * upstream verified an address in another provider's `emailDomains` is refused and sent to that
 * provider. Several trusts may share one upstream IdP with different rules (the example's
 * partner trusts: accept, enforce or reject the partner's MFA); without this, a user of the
 * strict trust could press the lax trust's "Sign in with …" button and skip the MFA his
 * organisation's trust requires. An address in no provider's domains (or none, or unverified)
 * signs in through whichever trust was chosen, as before.
 */
export interface AccountProfile {
  id: string;
  name?: string;
  email?: string;
  /** Whether `email` is verified: the directory's own users are; an upstream account as stored. */
  emailVerified?: boolean;
  groups: string[];
}

export interface UpstreamIdentity {
  sub: string;
  email?: string;
  emailVerified?: boolean;
  name?: string;
}

export type MappingResult = { ok: true; accountId: string } | { ok: false; message: string };

const MODEL = 'FederatedAccount';
const profileSchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  email: z.string().optional(),
  emailVerified: z.boolean().optional(),
  groups: z.array(z.string()),
});

/**
 * A claims provider's display name without C0 control characters or DEL: shown as text, and
 * stored in the profile, whose jsonb on PostgreSQL cannot hold a NUL (which would fail the
 * user's every sign-in).
 */
const displayText = (text: string) =>
  Array.from(text)
    .filter((c) => {
      const code = c.codePointAt(0) ?? 0;
      return code >= 0x20 && code !== 0x7f;
    })
    .join('');

export const upstreamAccountId = (providerId: string, sub: string) => `upstream:${providerId}:${sub}`;

export function createAccounts(
  directory: LocalDirectory,
  store: OidcStore,
  providers: readonly ClaimsProviderConfig[],
) {
  const providerOf = (accountId: string) =>
    accountId.startsWith('upstream:')
      ? providers.find((p) => accountId.startsWith(`upstream:${p.id}:`))
      : undefined;
  // Domains an upstream account may never keep an address in: the local directory's (its users'
  // addresses) and every other provider's. A linkByEmail provider's domain holds local users by
  // design: it links them, so only the other providers' domains are off limits to it.
  const localDomains = directory.users().flatMap((u) => domainOf(u.email) ?? []);
  const ownedElsewhere = new Map(
    providers.map((p) => {
      const others = providers.filter((o) => o !== p).flatMap((o) => o.emailDomains);
      return [
        p.id,
        new Set(p.accountMapping === 'linkByEmail' ? others : [...others, ...localDomains]),
      ] as const;
    }),
  );
  const trustOfDomain = new Map(providers.flatMap((p) => p.emailDomains.map((d) => [d, p] as const)));
  /** The other provider owning the domain of an address this upstream verified, if any. */
  const homeTrustElsewhere = (provider: ClaimsProviderConfig, who: UpstreamIdentity) => {
    if (who.emailVerified !== true || typeof who.email !== 'string') return undefined;
    const domain = domainOf(who.email);
    const home = domain === null ? undefined : trustOfDomain.get(domain);
    return home && home.id !== provider.id ? home : undefined;
  };
  const keptEmail = (provider: ClaimsProviderConfig, who: { email?: string; emailVerified?: boolean }) =>
    keptUpstreamEmail(provider, who, ownedElsewhere.get(provider.id) ?? new Set(localDomains));

  return {
    /** The account an upstream sign-in maps to (storing the profile of an upstream account). */
    async map(provider: ClaimsProviderConfig, who: UpstreamIdentity): Promise<MappingResult> {
      const home = homeTrustElsewhere(provider, who);
      if (home)
        return {
          ok: false,
          message: `Your organisation signs in with ${displayText(home.displayName)}, not ${displayText(provider.displayName)}. Go back to sign-in and choose ${displayText(home.displayName)}.`,
        };
      const email = keptEmail(provider, who);
      if (provider.accountMapping === 'linkByEmail') {
        if (!email)
          return {
            ok: false,
            message: `${provider.displayName} did not send a verified e-mail address in its own domains.`,
          };
        const local = directory.byEmail(email);
        if (!local) return { ok: false, message: `There is no account here for ${email}.` };
        return { ok: true, accountId: local.id };
      }
      const id = upstreamAccountId(provider.id, who.sub);
      const profile: AccountProfile = {
        id,
        groups: [...provider.groups],
        ...(who.name ? { name: displayText(who.name) } : {}),
        ...(email ? { email, emailVerified: true } : {}),
      };
      await store.upsert(MODEL, id, { ...profile }, null);
      return { ok: true, accountId: id };
    },

    async profile(accountId: string): Promise<AccountProfile | null> {
      const local = directory.get(accountId);
      if (local)
        return {
          id: local.id,
          name: local.name,
          email: local.email,
          emailVerified: true,
          groups: local.groups,
        };
      const provider = providerOf(accountId);
      if (!provider) return null;
      const parsed = profileSchema.safeParse(await store.find(MODEL, accountId));
      if (!parsed.success) return null;
      // The rule again on what is stored: a profile written before it (or before a domain left
      // the provider's emailDomains) releases no address the rule would not keep today.
      const email = keptEmail(provider, parsed.data);
      return {
        id: parsed.data.id,
        groups: parsed.data.groups,
        ...(parsed.data.name !== undefined ? { name: parsed.data.name } : {}),
        ...(email ? { email, emailVerified: true } : {}),
      };
    },

    /**
     * What to send `provider` as `login_hint` for this account, so its sign-in form is filled in:
     * the account's address only when it lies in the provider's own e-mail domains (the
     * provider's user, as it knows them), else nothing — a local user's or another provider's
     * address is never revealed to a claims provider.
     */
    async loginHintFor(provider: ClaimsProviderConfig, accountId: string): Promise<string | undefined> {
      const email = (await this.profile(accountId))?.email;
      const domain = email === undefined ? null : domainOf(email);
      return domain !== null && provider.emailDomains.includes(domain) ? email : undefined;
    },

    /** Groups for conditional access (mfakit's `directory.subject`). */
    async groups(accountId: string): Promise<string[]> {
      const local = directory.get(accountId);
      if (local) return local.groups;
      return providerOf(accountId)?.groups ?? [];
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;
