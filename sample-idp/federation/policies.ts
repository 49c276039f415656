import { ACR_PHISHING_RESISTANT } from '../../src/index.ts';
import { type PolicyDocument, type PolicyInput, parsePolicyDocument } from '../../src/policy/index.ts';
import type { FederationConfig } from './config.ts';

/**
 * The conditional-access document mfakit runs with: the configured one, plus
 *   - one generated policy per relying party with `requiredAcr` (the level it always needs),
 *     for its application (`conditionalAccessApp`, which mfakit/oidc's `appOf` maps its client
 *     id to; see server.ts);
 *   - one for the security-info portal: managing methods needs a sign-in with MFA.
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
  for (const rp of config.relyingParties) {
    if (!rp.requiredAcr) continue;
    policies.push({
      id: `rp-${rp.clientId}-required-acr`.slice(0, 128),
      name: `${rp.displayName ?? rp.clientId} requires ${rp.requiredAcr}`,
      state: 'on',
      assignments: {
        users: { include: ['all'], exclude: [] },
        applications: { include: [applicationOf(config, rp.clientId)] },
      },
      grant:
        rp.requiredAcr === ACR_PHISHING_RESISTANT
          ? { controls: [{ authenticationStrength: 'phishingResistant' }] }
          : { controls: ['mfa'] },
    });
  }
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
