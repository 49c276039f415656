import * as client from 'openid-client';
import type { ResolvedDemoRpConfig } from './config.ts';
import type { PendingSignIn, ReturnTo, SignedIn, SignedInClaims } from './session.ts';

/**
 * The relying party's side of the authorization code flow, on openid-client v6's functional
 * API: discovery, the authorization request (PKCE S256, state, nonce), the code exchange
 * with its checks, and the RP-initiated logout URL.
 */
export interface Oidc {
  /** The discovered OP; discovery is retried on the next call after a failure. */
  configuration(): Promise<client.Configuration>;
  start(request: StartRequest): Promise<{ url: URL; pending: PendingSignIn }>;
  /** Finishes the sign-in from the callback's query string (`?code=...&state=...&iss=...`). */
  finish(pending: PendingSignIn, callbackSearch: string): Promise<SignedIn>;
  /** The OP's end_session URL, or undefined when it has none or is unreachable. */
  endSessionUrl(idToken: string): Promise<URL | undefined>;
}

export interface StartRequest {
  returnTo: ReturnTo;
  prompt?: string;
  maxAge?: number;
  acrValues?: string;
}

const ID_TOKEN_CLAIMS_REQUEST = JSON.stringify({
  id_token: { acr: null, amr: null, auth_time: { essential: true } },
});

export function createOidc(config: ResolvedDemoRpConfig): Oidc {
  let discovered: Promise<client.Configuration> | undefined;
  const clientAuth =
    config.tokenEndpointAuthMethod === 'client_secret_post'
      ? client.ClientSecretPost(config.clientSecret)
      : client.ClientSecretBasic(config.clientSecret);

  function configuration(): Promise<client.Configuration> {
    discovered ??= client
      .discovery(
        new URL(config.issuer),
        config.clientId,
        { client_secret: config.clientSecret, token_endpoint_auth_method: config.tokenEndpointAuthMethod },
        clientAuth,
        { timeout: 10, ...(config.allowInsecureHttp ? { execute: [client.allowInsecureRequests] } : {}) },
      )
      .catch((err: unknown) => {
        discovered = undefined;
        throw err;
      });
    return discovered;
  }

  async function start(request: StartRequest) {
    const op = await configuration();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const params: Record<string, string> = {
      redirect_uri: config.redirectUri,
      scope: config.scope,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    // amr (and acr, auth_time) reach the ID token only when asked for at many OPs, oidc-provider
    // among them: ask with the claims parameter (OIDC Core 5.5) where the OP supports it.
    if (op.serverMetadata().claims_parameter_supported) params.claims = ID_TOKEN_CLAIMS_REQUEST;
    if (request.prompt !== undefined) params.prompt = request.prompt;
    if (request.maxAge !== undefined) params.max_age = String(request.maxAge);
    if (request.acrValues !== undefined) params.acr_values = request.acrValues;
    const pending: PendingSignIn = {
      state,
      nonce,
      codeVerifier,
      returnTo: request.returnTo,
      startedAt: Date.now(),
      ...(request.maxAge !== undefined ? { maxAge: request.maxAge } : {}),
      ...(request.acrValues !== undefined ? { acrValues: request.acrValues } : {}),
    };
    return { url: client.buildAuthorizationUrl(op, params), pending };
  }

  async function finish(pending: PendingSignIn, callbackSearch: string): Promise<SignedIn> {
    const op = await configuration();
    // The registered redirect URI plus the OP's answer: openid-client sends this URL, without
    // its query, as the token request's redirect_uri, so it must not depend on the Host header.
    const currentUrl = new URL(config.redirectUri);
    currentUrl.search = callbackSearch;
    const tokens = await client.authorizationCodeGrant(op, currentUrl, {
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      pkceCodeVerifier: pending.codeVerifier,
      ...(pending.maxAge !== undefined ? { maxAge: pending.maxAge } : {}),
    });
    const idToken = tokens.id_token;
    const idClaims = tokens.claims();
    // expectedNonce makes openid-client require an ID token; this only narrows the types.
    if (idToken === undefined || idClaims === undefined) throw new TypeError('the OP returned no ID token');
    const claims = claimsOf(idClaims);
    if (claims.name === undefined && claims.email === undefined) {
      Object.assign(claims, await profileFromUserInfo(op, tokens.access_token, claims.sub));
    }
    return { idToken, claims };
  }

  async function endSessionUrl(idToken: string): Promise<URL | undefined> {
    try {
      const op = await configuration();
      if (!op.serverMetadata().end_session_endpoint) return undefined;
      return client.buildEndSessionUrl(op, {
        id_token_hint: idToken,
        post_logout_redirect_uri: config.postLogoutRedirectUri,
      });
    } catch (err) {
      process.emitWarning(`demo RP: no RP-initiated logout at the OP: ${String(err)}`);
      return undefined;
    }
  }

  return { configuration, start, finish, endSessionUrl };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function claimsOf(c: client.IDToken): SignedInClaims {
  const amr = Array.isArray(c.amr) ? c.amr.filter((v): v is string => typeof v === 'string') : undefined;
  const name = str(c.name);
  const email = str(c.email);
  const acr = str(c.acr);
  return {
    iss: c.iss,
    sub: c.sub,
    ...(name !== undefined ? { name } : {}),
    ...(email !== undefined ? { email } : {}),
    ...(acr !== undefined ? { acr } : {}),
    ...(amr !== undefined ? { amr } : {}),
    ...(typeof c.auth_time === 'number' ? { authTime: c.auth_time } : {}),
  };
}

/**
 * Name and e-mail from the UserInfo endpoint, for OPs that (like oidc-provider by default)
 * keep profile claims out of the ID token in the code flow. Only for display: a failure
 * leaves them out.
 */
async function profileFromUserInfo(
  op: client.Configuration,
  accessToken: string,
  sub: string,
): Promise<Pick<SignedInClaims, 'name' | 'email'>> {
  if (!op.serverMetadata().userinfo_endpoint) return {};
  try {
    const info = await client.fetchUserInfo(op, accessToken, sub);
    const name = str(info.name);
    const email = str(info.email);
    return { ...(name !== undefined ? { name } : {}), ...(email !== undefined ? { email } : {}) };
  } catch (err) {
    process.emitWarning(`demo RP: UserInfo request failed: ${String(err)}`);
    return {};
  }
}

/** What the callback page says when finishing the sign-in failed. Never a 5xx for the OP's own answer. */
export interface CallbackFailure {
  status: number;
  title: string;
  message: string;
  /** The OP's `error` and `error_description`, shown escaped. */
  error?: string;
  errorDescription?: string;
}

export function describeCallbackError(err: unknown): CallbackFailure {
  if (err instanceof client.AuthorizationResponseError) {
    return {
      status: 400,
      title: 'Sign-in was not completed',
      message: 'The sign-in service answered with an error.',
      error: err.error,
      ...(err.error_description !== undefined ? { errorDescription: err.error_description } : {}),
    };
  }
  if (err instanceof client.ResponseBodyError) {
    return {
      status: 400,
      title: 'Sign-in was not completed',
      message:
        'The sign-in service did not accept this sign-in response; it may have been used already. Start again.',
      error: err.error,
      ...(err.error_description !== undefined ? { errorDescription: err.error_description } : {}),
    };
  }
  if (err instanceof client.ClientError && isCheckFailure(err.code)) {
    const why = err.cause instanceof Error ? err.cause.message : err.message;
    return {
      status: 400,
      title: 'Sign-in response rejected',
      message: `The sign-in response failed a security check (${why}). Start again.`,
    };
  }
  process.emitWarning(`demo RP: finishing the sign-in failed: ${String(err)}`);
  return {
    status: 502,
    title: 'Sign-in service unavailable',
    message: 'The sign-in could not be finished because the sign-in service could not be reached. Try again.',
  };
}

/** openid-client codes for a response that arrived but did not pass validation. */
function isCheckFailure(code: string | undefined): boolean {
  return (
    code === 'OAUTH_INVALID_RESPONSE' ||
    code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' ||
    code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' ||
    code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' ||
    code === 'OAUTH_PARSE_ERROR'
  );
}
