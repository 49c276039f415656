import { z } from 'zod';
import type { OidcStore } from '../../src/index.ts';
import type { ClaimsProviderConfig } from './config.ts';
import type { LocalDirectory } from './directory.ts';

/**
 * Accounts as relying parties see them: local users, and accounts that came from a
 * claims provider. An upstream subject maps either to its own account
 * `upstream:<provider id>:<sub>` (its profile kept in the OIDC store, refreshed at each
 * sign-in) or, with linkByEmail, to the local user with the same verified e-mail address —
 * only within the provider's own e-mail domains.
 */
export interface AccountProfile {
  id: string;
  name?: string;
  email?: string;
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
  groups: z.array(z.string()),
});

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

  return {
    /** The account an upstream sign-in maps to (storing the profile of an upstream account). */
    async map(provider: ClaimsProviderConfig, who: UpstreamIdentity): Promise<MappingResult> {
      if (provider.accountMapping === 'linkByEmail') {
        const email = who.email?.toLowerCase();
        const domain = email?.split('@')[1];
        // Only an address the upstream says it verified, in the provider's own domains.
        if (!email || who.emailVerified !== true || !domain || !provider.emailDomains.includes(domain))
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
        ...(who.name ? { name: who.name } : {}),
        ...(who.email && who.emailVerified !== false ? { email: who.email.toLowerCase() } : {}),
      };
      await store.upsert(MODEL, id, { ...profile }, null);
      return { ok: true, accountId: id };
    },

    async profile(accountId: string): Promise<AccountProfile | null> {
      const local = directory.get(accountId);
      if (local) return { id: local.id, name: local.name, email: local.email, groups: local.groups };
      if (!providerOf(accountId)) return null;
      const parsed = profileSchema.safeParse(await store.find(MODEL, accountId));
      if (!parsed.success) return null;
      return {
        id: parsed.data.id,
        groups: parsed.data.groups,
        ...(parsed.data.name !== undefined ? { name: parsed.data.name } : {}),
        ...(parsed.data.email !== undefined ? { email: parsed.data.email } : {}),
      };
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
