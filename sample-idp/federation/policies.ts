import { ACR_PHISHING_RESISTANT } from '../../src/index.ts';
import { type PolicyDocument, type PolicyInput, parsePolicyDocument } from '../../src/policy/index.ts';
import type { FederationConfig } from './config.ts';

/**
 * The conditional-access document mfakit runs with: the configured one, with
 *   - application names mapped to client ids: mfakit/oidc evaluates a relying party under its
 *     client_id, while a policy may name the relying party's `conditionalAccessApp`, so each
 *     such name in `applications` also lists the client ids that carry it;
 *   - one generated policy per relying party with `requiredAcr` (the level it always needs);
 *   - one for the security-info portal: managing methods needs a sign-in with MFA.
 */
export const ACCOUNT_PORTAL_APP = 'account-portal';

export function buildPolicyDocument(config: FederationConfig): PolicyDocument {
  const clientsByApp = new Map<string, string[]>();
  for (const rp of config.relyingParties) {
    const app = rp.conditionalAccessApp ?? rp.clientId;
    if (app === rp.clientId) continue;
    clientsByApp.set(app, [...(clientsByApp.get(app) ?? []), rp.clientId]);
  }
  const mapApps = (apps: string[]) => [...new Set(apps.flatMap((a) => [a, ...(clientsByApp.get(a) ?? [])]))];
  const configured = config.policies ?? { namedLocations: [], authenticationStrengths: [], policies: [] };
  const policies: PolicyInput[] = configured.policies.map((p) => ({
    ...p,
    assignments: {
      ...p.assignments,
      applications: {
        include: mapApps(p.assignments.applications.include),
        exclude: mapApps(p.assignments.applications.exclude),
      },
    },
  }));
  for (const rp of config.relyingParties) {
    if (!rp.requiredAcr) continue;
    policies.push({
      id: `rp-${rp.clientId}-required-acr`.slice(0, 128),
      name: `${rp.displayName ?? rp.clientId} requires ${rp.requiredAcr}`,
      state: 'on',
      assignments: { users: { include: ['all'], exclude: [] }, applications: { include: [rp.clientId] } },
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
