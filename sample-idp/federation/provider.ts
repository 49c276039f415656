import type { Stores } from 'mfakit';
import { createOidcAdapter, type OidcMfa } from 'mfakit/oidc';
import type Provider from 'oidc-provider';
import type { AccountClaims, ClientMetadata, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { AccountProfile, Accounts } from './accounts.ts';
import type { FederationConfig, RelyingPartyConfig } from './config.ts';
import { pageCsp } from './http-headers.ts';
import { logoutPage, messagePage, signedOutPage } from './pages.ts';
import type { FederationSecrets } from './secrets.ts';

/**
 * The OpenID provider: relying-party trusts as clients, mfakit's interaction policy and
 * claims, claims released per trust, automatic grants (AD FS asks no consent for its
 * relying parties), RP-initiated logout and error pages in the server's style.
 */
const DAY = 86_400;
export const SESSION_TTL_SECONDS = 14 * DAY;

export const COOKIE_NAMES = {
  session: 'fed_session',
  interaction: 'fed_interaction',
  resume: 'fed_interaction_resume',
};

export interface ProviderDeps {
  config: FederationConfig;
  secrets: FederationSecrets;
  stores: Stores;
  oidc: OidcMfa;
  accounts: Accounts;
}

function clientMetadata(rp: RelyingPartyConfig): ClientMetadata {
  return {
    client_id: rp.clientId,
    client_secret: rp.clientSecret,
    ...(rp.displayName ? { client_name: rp.displayName } : {}),
    redirect_uris: rp.redirectUris,
    post_logout_redirect_uris: rp.postLogoutRedirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: rp.tokenEndpointAuthMethod,
  };
}

/** The claims a relying party trust releases, of what the account has. */
export function releasedClaims(rp: RelyingPartyConfig | undefined, profile: AccountProfile): AccountClaims {
  const out: AccountClaims = { sub: profile.id };
  if (!rp) return out;
  if (rp.releaseClaims.includes('name') && profile.name) out.name = profile.name;
  if (rp.releaseClaims.includes('email') && profile.email) {
    out.email = profile.email;
    out.email_verified = profile.emailVerified === true;
  }
  if (rp.releaseClaims.includes('groups')) {
    const allowed = rp.releaseGroups;
    out.groups = allowed ? profile.groups.filter((g) => allowed.includes(g)) : [...profile.groups];
  }
  return out;
}

export function createProvider(deps: ProviderDeps): Provider {
  const { config, secrets, oidc, accounts } = deps;
  const service = config.displayName;
  const trusts = new Map(config.relyingParties.map((rp) => [rp.clientId, rp]));
  const clientName = (ctx: KoaContextWithOIDC) => {
    const id = ctx.oidc.client?.clientId;
    return id ? (trusts.get(id)?.displayName ?? id) : undefined;
  };
  const logoutCsp = pageCsp(config.relyingParties.flatMap((rp) => rp.postLogoutRedirectUris));
  const html = (ctx: KoaContextWithOIDC, body: string, csp = pageCsp([])) => {
    ctx.type = 'html';
    ctx.set('Content-Security-Policy', csp);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  };

  const configuration: Configuration = {
    claims: { profile: ['name'], email: ['email', 'email_verified'], groups: ['groups'] },
    adapter: createOidcAdapter(deps.stores),
    clients: config.relyingParties.map(clientMetadata),
    responseTypes: ['code'],
    async findAccount(ctx, sub) {
      const profile = await accounts.profile(sub);
      if (!profile) return undefined;
      return {
        accountId: sub,
        claims: async () => releasedClaims(trusts.get(ctx.oidc.client?.clientId ?? ''), profile),
      };
    },
    jwks: { keys: [secrets.signingJwk] },
    cookies: {
      keys: secrets.cookieKeys,
      names: COOKIE_NAMES,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => html(ctx, logoutPage(service, form, clientName(ctx)), logoutCsp),
        postLogoutSuccessSource: (ctx) => html(ctx, signedOutPage(service, clientName(ctx))),
      },
    },
    renderError(ctx, out) {
      const message =
        typeof out.error_description === 'string' && out.error_description !== ''
          ? out.error_description
          : String(out.error);
      html(ctx, messagePage(service, 'Sign-in problem', message));
    },
    // Relying-party trusts are the organisation's own: the requested scopes and claims are granted.
    async loadExistingGrant(ctx) {
      const clientId = ctx.oidc.client?.clientId;
      const accountId = ctx.oidc.session?.accountId;
      if (!clientId || !accountId) return undefined;
      const existingId = ctx.oidc.session?.grantIdFor(clientId);
      const existing = existingId ? await ctx.oidc.provider.Grant.find(existingId) : undefined;
      const grant =
        existing && existing.accountId === accountId
          ? existing
          : new ctx.oidc.provider.Grant({ clientId, accountId });
      const before = grant === existing ? JSON.stringify(grant.openid) : null;
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' ') || 'openid');
      const claims = [...ctx.oidc.requestParamClaims];
      if (claims.length > 0) grant.addOIDCClaims(claims);
      // A grant saved again keeps its expiry (oidc-provider saves it for its remaining ttl):
      // one that already held these scopes and claims would be written back as it was.
      if (before === null || JSON.stringify(grant.openid) !== before) await grant.save();
      return grant;
    },
    ttl: {
      Session: SESSION_TTL_SECONDS,
      Interaction: 3600,
      Grant: SESSION_TTL_SECONDS,
      AccessToken: 3600,
      IdToken: 3600,
      AuthorizationCode: 60,
    },
  };
  // mfakit merges its MFA step in (and refuses what would drop it); ttl.Session is given once.
  const provider = oidc.createProvider(config.issuer, configuration);
  if (config.trustedProxies.length > 0) provider.proxy = true;
  return provider;
}
