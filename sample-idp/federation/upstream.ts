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

/**
 * What the sign-in here asks of the upstream's: a new login (`prompt=login`, for a request
 * with prompt=login or max_age, or a session whose sign-in frequency has passed) and at most
 * how old it may be (`max_age`, seconds).
 */
export interface Reauthentication {
  prompt?: 'login';
  maxAge?: number;
}

export interface UpstreamResult {
  sub: string;
  amr?: unknown;
  acr?: unknown;
  email?: string;
  emailVerified?: boolean;
  name?: string;
  /** How long before issuing the ID token the upstream authenticated the user (its `iat - auth_time`, seconds). */
  authAge?: number;
}

/** The upstream answered from a sign-in older than `maxAge` allowed (it did not authenticate again). */
export class StaleUpstreamSignIn extends Error {}

/** openid-client's error for an `auth_time` older than `maxAge` (a ClientError around oauth4webapi's). */
const isStaleAuthTime = (err: unknown) => {
  const e = err as { code?: unknown; cause?: { cause?: { claim?: unknown } } };
  return e?.code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' && e.cause?.cause?.claim === 'auth_time';
};

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

    async start(
      options: {
        loginHint?: string;
        acrValues?: string;
      } & Reauthentication,
    ): Promise<{ url: URL; request: UpstreamRequest }> {
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
      // Without these the upstream's SSO session would answer a request for a new login.
      if (options.prompt) params.prompt = options.prompt;
      if (options.maxAge !== undefined) params.max_age = String(options.maxAge);
      // oidc-provider (and others) put amr/acr/auth_time in the ID token only when asked for.
      if (op.serverMetadata().claims_parameter_supported)
        params.claims = JSON.stringify({
          id_token: { acr: null, amr: null, auth_time: null, email: null, email_verified: null, name: null },
        });
      return { url: client.buildAuthorizationUrl(op, params), request };
    },

    /**
     * The callback's query string checked and exchanged for the ID token's claims. `maxAge`
     * (seconds): the ID token must carry an `auth_time` no older (openid-client's check, with
     * its clock tolerance, and the same on the upstream's clock), else a StaleUpstreamSignIn.
     */
    async finish(request: UpstreamRequest, callbackSearch: string, maxAge?: number): Promise<UpstreamResult> {
      const op = await configuration();
      const client = await openidClient();
      const currentUrl = new URL(redirectUri);
      currentUrl.search = callbackSearch;
      const tokens = await client
        .authorizationCodeGrant(op, currentUrl, {
          expectedState: request.state,
          expectedNonce: request.nonce,
          pkceCodeVerifier: request.codeVerifier,
          ...(maxAge !== undefined ? { maxAge } : {}),
        })
        .catch((err: unknown) => {
          throw isStaleAuthTime(err) ? new StaleUpstreamSignIn(String(err), { cause: err }) : err;
        });
      const claims = tokens.claims();
      if (!claims) throw new TypeError('the claims provider returned no ID token');
      // The same bound on the upstream's own clock (iat - auth_time), free of the 30 seconds
      // openid-client tolerates between two servers' clocks (and of their skew): an answer from
      // a session older than the request that asked for a new login is refused. One second for
      // the claims' whole-second rounding.
      const authAge =
        typeof claims.auth_time === 'number' ? Math.max(0, claims.iat - claims.auth_time) : undefined;
      if (maxAge !== undefined && authAge !== undefined && authAge > maxAge + 1)
        throw new StaleUpstreamSignIn(
          `auth_time ${authAge} s before the ID token, at most ${maxAge} s allowed`,
        );
      return {
        sub: claims.sub,
        amr: claims.amr,
        acr: claims.acr,
        ...(typeof claims.email === 'string' ? { email: claims.email } : {}),
        ...(typeof claims.email_verified === 'boolean' ? { emailVerified: claims.email_verified } : {}),
        ...(typeof claims.name === 'string' ? { name: claims.name } : {}),
        ...(authAge !== undefined ? { authAge } : {}),
      };
    },
  };
}

export type Upstream = ReturnType<typeof createUpstream>;
