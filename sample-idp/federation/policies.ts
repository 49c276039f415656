import { type Mfa, PolicyVersionConflict } from 'mfakit';
import { type PolicyDocument, type PolicyInput, parsePolicyDocument } from 'mfakit/policy';
import type { FederationConfig } from './config.ts';

// The conditional-access document mfakit runs with: the configured one, plus one for the
// security-info portal (managing methods needs a sign-in with MFA). A relying party's
// `requiredAcr` is not a policy: it is a requested level (mfakit/oidc's `requiredAcrOf`, see
// server.ts), which a trusted network or a remembered device never meets.
//
// Where it lives: in memory from the config (one process), or saved in the store (`policies:
// 'store'`), so that every process sharing the store decides with the same document and a change
// saved by one reaches the others (at once over the invalidation channel). The store's document
// is seeded from the config at the first start and follows the config at later starts, until an
// administrator saves one of their own: from then on the saved document is in force.
export const ACCOUNT_PORTAL_APP = 'account-portal';

/** The conditional-access application of a relying party (its client id unless configured). */
export function applicationOf(config: FederationConfig, clientId: string): string {
  const rp = config.relyingParties.find((r) => r.clientId === clientId);
  return rp?.conditionalAccessApp ?? clientId;
}

export function buildPolicyDocument(config: FederationConfig): PolicyDocument {
  const configured = config.policies ?? { namedLocations: [], authenticationStrengths: [], policies: [] };
  const policies: PolicyInput[] = [...configured.policies];
  policies.push({
    id: 'account-portal-requires-mfa',
    name: 'Security info needs a sign-in with MFA',
    state: 'on',
    assignments: {
      users: { include: ['all'], exclude: [] },
      applications: { include: [ACCOUNT_PORTAL_APP] },
    },
    grant: { controls: ['mfa'] },
  });
  return parsePolicyDocument({ ...configured, policies });
}

/** Who the store's policy document was saved by when it came from the config file. */
export const CONFIG_SEEDER = 'federation config';

/** Equal as saved: the stored JSON, parsed again, against the config's parsed document. */
const sameDocument = (stored: unknown, wanted: PolicyDocument) =>
  JSON.stringify(parsePolicyDocument(stored)) === JSON.stringify(wanted);

/** What happened to the store's policy document at start. */
export type PolicySeeding =
  | { outcome: 'seeded' | 'updated' | 'unchanged'; version: number }
  | { outcome: 'kept'; version: number; by: string | null };

/**
 * Saves the config's document in the store when none is saved yet, or when the saved one came
 * from the config and the config has changed since; keeps a document an administrator saved.
 * Several processes starting together: one saves, the others find its version (compare-and-set).
 */
export async function seedStoredPolicies(mfa: Mfa, config: FederationConfig): Promise<PolicySeeding> {
  const wanted = buildPolicyDocument(config);
  const ctx = { ip: '127.0.0.1', requestId: 'config-seed', by: CONFIG_SEEDER };
  for (let tries = 0; ; tries++) {
    const saved = await mfa.policies.saved();
    if (saved !== null && saved.updatedBy !== CONFIG_SEEDER)
      return { outcome: 'kept', version: saved.version, by: saved.updatedBy };
    if (saved !== null && sameDocument(saved.document, wanted))
      return { outcome: 'unchanged', version: saved.version };
    try {
      const set = await mfa.policies.replace(wanted, saved?.version ?? 0, ctx);
      return { outcome: saved === null ? 'seeded' : 'updated', version: set.version };
    } catch (err) {
      // Another process saved meanwhile: look again at what it saved.
      if (!(err instanceof PolicyVersionConflict) || tries >= 3) throw err;
    }
  }
}
