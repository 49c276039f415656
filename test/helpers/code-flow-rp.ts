// The relying party's side of an OpenID code flow, as the test clients at rp.example play it
// against a provider under test (the oidc-provider test IdP, the sample federation server): the
// client-secret convention, an authorization request with PKCE, state and nonce, the token
// request (client_secret_basic) and the ID token's claims, read without checking its signature.
import { createHash, randomBytes } from 'node:crypto';

export const RP_REDIRECT = 'http://rp.example/cb';
export const RP_BYE = 'http://rp.example/bye';
export const atRp = (u: URL) => u.origin === 'http://rp.example';
/** The secret every test client is registered with. */
export const clientSecretOf = (clientId: string) => `${clientId}-secret-that-is-long-enough`;

/** An authorization request (code flow, PKCE S256) for `clientId` at `issuer`, with more parameters as given. */
export function codeFlowRequest(
  issuer: string,
  clientId: string,
  scope: string,
  more: Record<string, string> = {},
) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');
  const url = new URL('/auth', issuer);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: RP_REDIRECT,
    scope,
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...more,
  }).toString();
  return { url: url.href, verifier, state, nonce, clientId };
}

/** The token request for `code`, as the RP sends it (client_secret_basic + the PKCE verifier), answered as is. */
export function exchangeCode(issuer: string, code: string, request: { clientId: string; verifier: string }) {
  return fetch(new URL('/token', issuer), {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${request.clientId}:${clientSecretOf(request.clientId)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: RP_REDIRECT,
      code_verifier: request.verifier,
    }),
  });
}

/** The claims of an ID token (its payload; the signature is not checked). */
export function idTokenClaims<T>(idToken: string): T {
  return JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString()) as T;
}
