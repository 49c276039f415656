// Checks of the federation config that span fields or need more than a schema: whether browsers
// would allow passkeys on the issuer's host, and whether relying parties' conditional-access
// application names are unambiguous. Each answers with the message config.ts reports at its path.
import { isIP } from 'node:net';
import type { PolicyDocument } from 'mfakit/policy';
import type { RelyingPartyConfig } from './config.ts';

/**
 * Why browsers would refuse passkeys on this issuer, or null: WebAuthn needs a host name (the
 * relying-party id), and plain http only on localhost.
 */
export function passkeyHostProblem(issuer: string): string | null {
  const url = new URL(issuer);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? `:${url.port}` : '';
  if (isIP(host) !== 0)
    return `is on an IP address (${host}): browsers refuse passkeys (WebAuthn) on IP addresses. Use a host name: http://localhost${port} on this machine (the server may still listen on ${host}), or set passkeys.enabled: false`;
  if (url.protocol === 'http:' && host !== 'localhost')
    return `is http:// on ${host}: browsers allow passkeys (WebAuthn) over http only on localhost. Use https://, http://localhost${port}, or set passkeys.enabled: false`;
  return null;
}

/**
 * Conditional access sees a relying party under its `conditionalAccessApp` (or its client id):
 * a policy naming the client id of a relying party that has another application name would
 * silently never apply, and an application name that is another client's id (or the portal's)
 * would merge two applications. Both are refused with their path.
 */
export function applicationNameIssues(
  relyingParties: readonly RelyingPartyConfig[],
  policies: PolicyDocument | undefined,
): string[] {
  const issues: string[] = [];
  const clientIds = new Set(relyingParties.map((rp) => rp.clientId));
  relyingParties.forEach((rp, i) => {
    const app = rp.conditionalAccessApp;
    if (app === undefined || app === rp.clientId) return;
    if (clientIds.has(app) || app === 'account-portal')
      issues.push(
        `relyingParties[${i}].conditionalAccessApp: "${app}" is ${app === 'account-portal' ? "the security-info portal's application" : 'the client id of another relying party'}`,
      );
  });
  const renamed = new Map(
    relyingParties
      .filter((rp) => rp.conditionalAccessApp !== undefined && rp.conditionalAccessApp !== rp.clientId)
      .map((rp) => [rp.clientId, rp.conditionalAccessApp]),
  );
  policies?.policies.forEach((p, i) => {
    for (const side of ['include', 'exclude'] as const)
      p.assignments.applications?.[side].forEach((name, j) => {
        const app = renamed.get(name);
        if (app)
          issues.push(
            `policies.policies[${i}].assignments.applications.${side}[${j}]: "${name}" is a client id whose application is "${app}": name the application`,
          );
      });
  });
  return issues;
}
