// The `acr` values mfakit issues, weakest first, and what a relying party asking for one of
// them (`acr_values`, or an `acr` in the `claims` parameter) needs verified: the strength each
// maps to. Unknown values are ignored, as OIDC makes `acr_values` voluntary; mfakit turns a
// known one into a requirement (step-up).
import { ACR_MFA, ACR_PASSWORD, ACR_PHISHING_RESISTANT } from '../engine/stamp.ts';
import { ConfigError } from '../errors.ts';

/** The `acr` values mfakit issues, weakest first (password, MFA, phishing-resistant). */
export const ACR_VALUES = [ACR_PASSWORD, ACR_MFA, ACR_PHISHING_RESISTANT] as const;

const STRENGTH_FOR_ACR: Record<string, string | null> = {
  [ACR_PASSWORD]: null,
  [ACR_MFA]: 'mfa',
  [ACR_PHISHING_RESISTANT]: 'phishingResistant',
};

/** 0 for password, 1 for MFA, 2 for phishing-resistant; -1 for anything else. */
export function acrRank(acr: unknown): number {
  return typeof acr === 'string' ? (ACR_VALUES as readonly string[]).indexOf(acr) : -1;
}

export interface AcrRequest {
  /** The weakest known acr the client would accept (null: it asked for none mfakit knows). */
  minimum: string | null;
  /** Strengths one of which must be met (empty: nothing beyond the usual decision). */
  strengths: string[];
}

/** The acr values named by the `claims` parameter's id_token.acr (essential or not). */
function claimsAcrs(claims: unknown): string[] {
  let parsed: unknown = claims;
  // No length cap: a request is bounded by oidc-provider's own limits, and a cap here would
  // silently drop the step-up a long (padded) parameter asks for.
  if (typeof claims === 'string') {
    try {
      parsed = JSON.parse(claims);
    } catch {
      return [];
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const acr = (parsed as { id_token?: { acr?: { value?: unknown; values?: unknown } } }).id_token?.acr;
  if (!acr || typeof acr !== 'object') return [];
  const out: string[] = [];
  if (typeof acr.value === 'string') out.push(acr.value);
  if (Array.isArray(acr.values)) for (const v of acr.values) if (typeof v === 'string') out.push(v);
  return out;
}

/**
 * What an authorization request asks for, from its parameters, raised to the level the client
 * always needs (`required`, from `createOidcMfa`'s `requiredAcrOf`). A list is a set of
 * acceptable levels, so the weakest known one decides: `acr_values="…:mfa …:phr"` needs MFA.
 * The request can raise the required level, never lower it: `acr_values=…:pwd` to a client
 * that requires `…:mfa` still needs MFA. A required value mfakit does not issue is a
 * configuration error (thrown, so the request fails closed rather than needing less).
 */
export function requestedAcr(
  params: { acr_values?: unknown; claims?: unknown },
  required?: string | undefined,
): AcrRequest {
  if (required !== undefined && acrRank(required) < 0)
    throw new ConfigError(
      `requiredAcrOf returned "${required}", which is not an acr mfakit issues (${ACR_VALUES.join(', ')})`,
    );
  const values: string[] = [];
  if (typeof params.acr_values === 'string') values.push(...params.acr_values.split(' ').filter(Boolean));
  values.push(...claimsAcrs(params.claims));
  const known = values.filter((v) => acrRank(v) >= 0).sort((a, b) => acrRank(a) - acrRank(b));
  const asked = known[0] ?? null;
  const minimum =
    required !== undefined && (asked === null || acrRank(required) > acrRank(asked)) ? required : asked;
  const strength = minimum === null ? null : (STRENGTH_FOR_ACR[minimum] ?? null);
  return { minimum, strengths: strength === null ? [] : [strength] };
}

/** Whether a session at `acr` meets the request. */
export function meetsAcr(acr: unknown, request: AcrRequest): boolean {
  return request.minimum === null || acrRank(acr) >= acrRank(request.minimum);
}
