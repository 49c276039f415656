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
 * by itself.
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
  const reported = upstreamAmr(auth.amr);
  const didMfa = upstreamDidMfa(auth, mfaAcr);
  const merge = (values: string[]) => [...new Set([...FEDERATED_FIRST_FACTOR, ...values])];
  switch (behavior) {
    case 'rejectMfaByFederatedIdp':
      return { ok: true, amr: [...FEDERATED_FIRST_FACTOR] };
    case 'enforceMfaByFederatedIdp':
      if (!didMfa) return { ok: false, reason: 'upstream_mfa_missing' };
      return { ok: true, amr: merge([...reported, 'mfa']) };
    case 'acceptIfMfaDoneByFederatedIdp':
      return { ok: true, amr: merge(didMfa ? [...reported, 'mfa'] : reported.filter((v) => v !== 'mfa')) };
  }
}
