// What an existing oidc-provider session lacks for one authorization request, as pure checks
// the interaction policy and the MFA pages share (so a finished step-up is judged by the same
// rules that asked for it).

import { firstFactorMethods } from '../engine/auth-methods.ts';
import type { Mfa } from '../engine/create-mfa.ts';
import type { AuthStamp } from '../engine/stamp.ts';
import { type AcrRequest, meetsAcr } from './acr.ts';

/** What one authorization request needs, as the checks read it. */
export interface RequestFacts {
  /** The conditional-access application (the client id, through `appOf`). */
  app: string;
  ip: string;
  /** The level requested: what the client asked for (acr_values, essential acr), raised to what it always needs. */
  acr: AcrRequest;
}

/** The request needs a level (asked for, or required for the client) the session has not reached. */
export function acrUnmet(stamp: AuthStamp, facts: RequestFacts): boolean {
  return !meetsAcr(stamp.acr, facts.acr);
}

/**
 * Conditional access for this application is not satisfied by the session, or the session
 * skipped MFA on a trusted network and this request comes from elsewhere.
 */
export async function policyUnmet(mfa: Mfa, stamp: AuthStamp, facts: RequestFacts): Promise<boolean> {
  if (stamp.skippedBy === 'trusted_network' && mfa.trustedNetwork(facts.ip) === null) return true;
  if (!mfa.policies.isActive()) return false;
  return !(await mfa.policies.check(stamp, { app: facts.app, ip: facts.ip })).ok;
}

/**
 * Only a new first factor would satisfy the policies: the session fails them as it is, and
 * passes once its sign-in time is now (a password is never stale; an upstream IdP's MFA, or a
 * passkey that signed in without a password, is after the sign-in frequency). Then the `login` prompt must fire, not `mfa`: no second factor
 * can renew a first one.
 */
export async function firstFactorStale(mfa: Mfa, stamp: AuthStamp, facts: RequestFacts): Promise<boolean> {
  if (!mfa.policies.isActive()) return false;
  const target = { app: facts.app, ip: facts.ip };
  if ((await mfa.policies.check(stamp, target)).ok) return false;
  // Renewed by a new first factor: its sign-in time, and a passkey that was the first factor
  // (passwordless) verified again with it.
  const now = mfa.clock.now();
  const renewed = firstFactorMethods(stamp.firstFactorAmr).includes('webauthn')
    ? { ...stamp, authTime: now, verifiedAt: { ...stamp.verifiedAt, webauthn: now } }
    : { ...stamp, authTime: now };
  return (await mfa.policies.check(renewed, target)).ok;
}

/**
 * The session must step up, its user has no method yet, and its sign-in is too old to register
 * one: only a new first factor lets the user set up a method (the `login` prompt, not `mfa`).
 */
export async function enrollmentNeedsSignIn(
  mfa: Mfa,
  stamp: AuthStamp,
  facts: RequestFacts,
): Promise<boolean> {
  if (!acrUnmet(stamp, facts) && !(await policyUnmet(mfa, stamp, facts))) return false;
  return mfa.firstMethodNeedsSignIn(stamp);
}
