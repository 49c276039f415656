import { type PolicyDocument, type PolicyInput, parsePolicyDocument } from 'mfakit/policy';
import type { FederationConfig } from './config.ts';

/**
 * The conditional-access document mfakit runs with: the configured one, plus one for the
 * security-info portal (managing methods needs a sign-in with MFA). A relying party's
 * `requiredAcr` is not a policy: it is a requested level (mfakit/oidc's `requiredAcrOf`, see
 * server.ts), which a trusted network or a remembered device never meets.
 */
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
