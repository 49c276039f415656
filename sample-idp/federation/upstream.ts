import type { Configuration } from 'openid-client';
import type { ClaimsProviderConfig } from './config.ts';

// Imported on the first sign-in through a claims provider: a server without one never loads it.
let loading: Promise<typeof import('openid-client')> | undefined;
const openidClient = () => {
  loading ??= import('openid-client');
  return loading;
};

/**
 * The relying-party side of a claims-provider trust, on openid-client v6: discovery (lazy,
 * retried after a failure, so the upstream may start later), the authorization request with
 * PKCE S256, state and nonce, and the code exchange with openid-client's checks (state,
 * nonce, iss, signature, audience, expiry).
 */
export interface UpstreamRequest {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Sent as acr_values (enforceMfaByFederatedIdp). */
  acrValues?: string;
}

export interface UpstreamResult {
  sub: string;
  amr?: unknown;
  acr?: unknown;
  email?: string;
  emailVerified?: boolean;
  name?: string;
}

export function createUpstream(provider: ClaimsProviderConfig, redirectUri: string) {
  let discovered: Promise<Configuration> | undefined;
  const configuration = () => {
    discovered ??= openidClient()
      .then((client) =>
        client.discovery(
          new URL(provider.issuer),
          provider.clientId,
          { client_secret: provider.clientSecret },
          client.ClientSecretBasic(provider.clientSecret),
          { timeout: 10, ...(provider.allowInsecureHttp ? { execute: [client.allowInsecureRequests] } : {}) },
        ),
      )
      .catch((err: unknown) => {
        discovered = undefined;
        throw err;
      });
    return discovered;
  };

  return {
    provider,
    redirectUri,

    async start(options: {
      loginHint?: string;
      acrValues?: string;
    }): Promise<{ url: URL; request: UpstreamRequest }> {
      const op = await configuration();
      const client = await openidClient();
      const request: UpstreamRequest = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
        ...(options.acrValues ? { acrValues: options.acrValues } : {}),
      };
      const params: Record<string, string> = {
        redirect_uri: redirectUri,
        scope: provider.scope,
        state: request.state,
        nonce: request.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
        code_challenge_method: 'S256',
      };
      if (options.loginHint) params.login_hint = options.loginHint;
      if (options.acrValues) params.acr_values = options.acrValues;
      // oidc-provider (and others) put amr/acr in the ID token only when asked for.
      if (op.serverMetadata().claims_parameter_supported)
        params.claims = JSON.stringify({
          id_token: { acr: null, amr: null, email: null, email_verified: null, name: null },
        });
      return { url: client.buildAuthorizationUrl(op, params), request };
    },

    /** The callback's query string checked and exchanged for the ID token's claims. */
    async finish(request: UpstreamRequest, callbackSearch: string): Promise<UpstreamResult> {
      const op = await configuration();
      const client = await openidClient();
      const currentUrl = new URL(redirectUri);
      currentUrl.search = callbackSearch;
      const tokens = await client.authorizationCodeGrant(op, currentUrl, {
        expectedState: request.state,
        expectedNonce: request.nonce,
        pkceCodeVerifier: request.codeVerifier,
      });
      const claims = tokens.claims();
      if (!claims) throw new TypeError('the claims provider returned no ID token');
      return {
        sub: claims.sub,
        amr: claims.amr,
        acr: claims.acr,
        ...(typeof claims.email === 'string' ? { email: claims.email } : {}),
        ...(typeof claims.email_verified === 'boolean' ? { emailVerified: claims.email_verified } : {}),
        ...(typeof claims.name === 'string' ? { name: claims.name } : {}),
      };
    },
  };
}

export type Upstream = ReturnType<typeof createUpstream>;
