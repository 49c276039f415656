/**
 * The assurance levels (`acr` values) the demo RP understands, weakest first. The RP keeps
 * its own copy of these strings on purpose: it is a separate application that only knows
 * what the OP puts in ID tokens, not mfakit's internals.
 */
export const ACR_PASSWORD = 'urn:mfakit:acr:pwd';
export const ACR_MFA = 'urn:mfakit:acr:mfa';
export const ACR_PHISHING_RESISTANT = 'urn:mfakit:acr:phr';

export const ACR_LADDER: readonly string[] = [ACR_PASSWORD, ACR_MFA, ACR_PHISHING_RESISTANT];

/** Position of an acr on the ladder (0 = pwd); an unknown or missing acr ranks below all of them (-1). */
export function acrRank(acr: string | undefined): number {
  return acr === undefined ? -1 : ACR_LADDER.indexOf(acr);
}

export const isKnownAcr = (acr: string): boolean => ACR_LADDER.includes(acr);

/**
 * Whether `actual` is at least as strong as `required`. An unknown or missing `actual`
 * satisfies nothing. `required` should be on the ladder (the config only accepts those);
 * an unknown one is satisfied by any known acr.
 */
export function acrAtLeast(actual: string | undefined, required: string): boolean {
  const rank = acrRank(actual);
  return rank >= 0 && rank >= acrRank(required);
}
