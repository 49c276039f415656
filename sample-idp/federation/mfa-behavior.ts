import type { FederatedIdpMfaBehavior } from './config.ts';

/**
 * What an upstream sign-in counts for here: the first factor's `amr` handed to mfakit, per
 * the claims provider's `federatedIdpMfaBehavior` (Entra's setting of the same name):
 *   - acceptIfMfaDoneByFederatedIdp: the upstream's MFA (amr `mfa`, or its MFA acr) satisfies
 *     MFA here; without it mfakit asks for a local second factor;
 *   - enforceMfaByFederatedIdp: the upstream was asked for MFA (acr_values) and must have done
 *     it, or the sign-in is refused; no local second factor is asked for on top;
 *   - rejectMfaByFederatedIdp: whatever the upstream says, it is one factor: `mfa` is never
 *     passed on, so a lying (or merely weaker) upstream cannot skip the local MFA.
 *
 * Every federated first factor carries `fed` (the value Entra ID uses; RFC 8176 has none for
 * federation): mfakit counts it as one factor, the upstream's sign-in. It never satisfies MFA
 * by itself. Of the upstream's own amr only `mfa` is passed on, and only when this trust
 * accepts it (RFC 8176: `mfa` may come without the methods behind it): the ID token's `amr`
 * says what this server relied on, so an upstream's `hwk`, `face` or `pwd` is never reported
 * as if this server had checked that key, face or password. The upstream's values still decide
 * whether it did MFA (`upstreamDidMfa`).
 */
export const RFC8176_AMR: ReadonlySet<string> = new Set([
  'face',
  'fpt',
  'geo',
  'hwk',
  'iris',
  'kba',
  'mca',
  'mfa',
  'otp',
  'pin',
  'pop',
  'pwd',
  'rba',
  'retina',
  'sc',
  'sms',
  'swk',
  'tel',
  'user',
  'vbm',
  'wia',
]);

export interface UpstreamAuthentication {
  amr?: unknown;
  acr?: unknown;
}

export type BehaviorOutcome = { ok: true; amr: string[] } | { ok: false; reason: 'upstream_mfa_missing' };

const FEDERATED_FIRST_FACTOR = ['fed'];

/** The upstream's amr values we understand (RFC 8176), at most 20 of them. */
export function upstreamAmr(amr: unknown): string[] {
  if (!Array.isArray(amr)) return [];
  return [...new Set(amr.filter((v): v is string => typeof v === 'string' && RFC8176_AMR.has(v)))].slice(
    0,
    20,
  );
}

export function upstreamDidMfa(auth: UpstreamAuthentication, mfaAcr: string | undefined): boolean {
  return upstreamAmr(auth.amr).includes('mfa') || (mfaAcr !== undefined && auth.acr === mfaAcr);
}

export function applyMfaBehavior(
  behavior: FederatedIdpMfaBehavior,
  auth: UpstreamAuthentication,
  mfaAcr: string | undefined,
): BehaviorOutcome {
  const didMfa = upstreamDidMfa(auth, mfaAcr);
  const oneFactor = [...FEDERATED_FIRST_FACTOR];
  const withMfa = [...FEDERATED_FIRST_FACTOR, 'mfa'];
  switch (behavior) {
    case 'rejectMfaByFederatedIdp':
      return { ok: true, amr: oneFactor };
    case 'enforceMfaByFederatedIdp':
      if (!didMfa) return { ok: false, reason: 'upstream_mfa_missing' };
      return { ok: true, amr: withMfa };
    case 'acceptIfMfaDoneByFederatedIdp':
      return { ok: true, amr: didMfa ? withMfa : oneFactor };
  }
}
