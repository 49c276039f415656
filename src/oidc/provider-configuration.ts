// Merging an IdP's own oidc-provider configuration with what mfakit's step needs — the
// interaction policy and URL, the `acr` values it issues, and claims that put `acr`, `amr` and
// `auth_time` in every ID token — and refusing, at start-up with a clear message, a
// configuration that would silently drop any of them.
import type { Configuration } from 'oidc-provider';
import { ConfigError } from '../errors.ts';

export const DEFAULT_SESSION_TTL_SECONDS = 14 * 86_400;

export interface MfakitProviderParts {
  interactions: NonNullable<Configuration['interactions']>;
  acrValues: string[];
}

type ClaimsMap = Record<string, null | string[]>;

/** Your configuration with mfakit's parts; a ConfigError for what would override them. */
export function mergeProviderConfiguration(yours: Configuration, parts: MfakitProviderParts): Configuration {
  const problems: string[] = [];
  if (yours.interactions !== undefined)
    problems.push('interactions: leave the interaction policy and URL to mfakit (its MFA prompt and pages)');
  if (yours.acrValues !== undefined)
    problems.push(`acrValues: mfakit issues ${parts.acrValues.join(', ')}; leave acrValues to it`);
  const claims = (yours.claims ?? {}) as ClaimsMap;
  for (const name of ['acr', 'amr', 'auth_time'] as const)
    if (name in claims && claims[name] !== null)
      problems.push(`claims.${name}: must stay a standalone claim (null), which mfakit sets`);
  const session = yours.ttl?.Session;
  if (session !== undefined && (typeof session !== 'number' || !Number.isInteger(session) || session <= 0))
    problems.push(
      "ttl.Session: must be a whole number of seconds (mfakit keeps each session's stamp as long)",
    );
  if (problems.length > 0)
    throw new ConfigError(`invalid oidc-provider configuration for mfakit: ${problems.join('; ')}`);
  const openid = Array.isArray(claims.openid) ? claims.openid : ['sub'];
  return {
    ...yours,
    interactions: parts.interactions,
    acrValues: parts.acrValues,
    claims: {
      sid: null,
      iss: null,
      ...claims,
      acr: null,
      amr: null,
      auth_time: null,
      openid: [...new Set([...openid, 'sub', 'acr', 'amr', 'auth_time'])],
    },
    ttl: { ...yours.ttl, Session: typeof session === 'number' ? session : DEFAULT_SESSION_TTL_SECONDS },
  };
}

/** How long a session lives in a configuration mfakit merged (its stamps live as long). */
export const sessionSecondsOf = (configuration: Configuration) =>
  typeof configuration.ttl?.Session === 'number' ? configuration.ttl.Session : DEFAULT_SESSION_TTL_SECONDS;
