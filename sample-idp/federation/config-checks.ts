// Checks of the federation config that span fields or need more than a schema: whether browsers
// would allow passkeys on the issuer's host, whether relying parties' conditional-access
// application names are unambiguous, and each user's one password or well-formed passwordHash
// (all hashes with one set of scrypt parameters). Each answers with the message config.ts
// reports at its path.
import { isIP } from 'node:net';
import type { PolicyDocument } from 'mfakit/policy';
import { formatParams, parsePasswordHash, type ScryptParams, sameParams } from '../password-hash.ts';
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

/**
 * What is wrong with a user's `password` / `passwordHash` (exactly one, the hash well-formed), or
 * null. The user may have other mistakes (config.ts runs this regardless), hence `unknown`.
 */
export function userPasswordProblem(u: { id?: unknown; password?: unknown; passwordHash?: unknown }) {
  const who = `user ${typeof u.id === 'string' ? u.id : '(no valid id)'}`;
  if (u.password !== undefined && u.passwordHash !== undefined)
    return `${who}: has both password and passwordHash: give one`;
  if (u.password === undefined && u.passwordHash === undefined)
    return `${who}: needs a password or a passwordHash (npm run hash-password makes one)`;
  const parsed = typeof u.passwordHash === 'string' ? parsePasswordHash(u.passwordHash) : null;
  return typeof parsed === 'string' ? `${who}: ${parsed}` : null;
}

/**
 * One scrypt cost for the whole directory: an unknown user's sign-in costs one scrypt with the
 * parameters of the known users' hashes (directory.ts), so every hash must share them.
 */
export function scryptParameterIssues(users: readonly { id: string; passwordHash?: string | undefined }[]) {
  const issues: { index: number; message: string }[] = [];
  let first: { params: ScryptParams; id: string } | undefined;
  users.forEach((u, index) => {
    const parsed = u.passwordHash === undefined ? undefined : parsePasswordHash(u.passwordHash);
    if (parsed === undefined || typeof parsed === 'string') return;
    if (!first) first = { params: parsed.params, id: u.id };
    else if (!sameParams(first.params, parsed.params))
      issues.push({
        index,
        message: `user ${u.id}'s hash has ${formatParams(parsed.params)}, user ${first.id}'s ${formatParams(first.params)}: every passwordHash must use the same scrypt parameters (unknown users are made to cost the same)`,
      });
  });
  return issues;
}
