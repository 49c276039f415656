// An identity provider as a team running oidc-provider would write one with mfakit: its own
// password page for the `login` prompt, mfakit's pages for `mfa`, real HTTP on a free port.
// Clients `rp` and `payroll` are confidential code-flow clients; grants are automatic. With
// `refreshTokens`, the clients may use refresh tokens, one is issued with every code (no
// offline_access needed) and each refresh rotates it (the old one is consumed).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type Provider from 'oidc-provider';
import type { Configuration } from 'oidc-provider';
import type { AuditEvent, createMfa, MfaOptions, Stores } from '../../src/index.ts';
import { createOidcAdapter, createOidcMfa, type OidcMfaOptions } from '../../src/oidc/index.ts';
import { codeFor, PASSWORDS } from './app.ts';
import { pressApprovalContinue } from './approval-page.ts';
import { Browser, formAction, inputValue, type Page } from './browser.ts';
import {
  atRp,
  clientSecretOf,
  codeFlowRequest,
  exchangeCode,
  idTokenClaims,
  RP_BYE,
  RP_REDIRECT,
} from './code-flow-rp.ts';
import { enrolThroughEngine } from './enrol-through-engine.ts';
import { type TestClock, testClock } from './test-clock.ts';
import { createTestMfa } from './test-mfa.ts';

export { atRp, RP_REDIRECT };

export const SIGNING_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
  format: 'jwk',
});

export interface TestIdp {
  issuer: string;
  provider: Provider;
  mfa: ReturnType<typeof createMfa>;
  oidc: ReturnType<typeof createOidcMfa>;
  clock: TestClock;
  events: AuditEvent[];
  server: Server;
  close(): Promise<void>;
}

export async function startTestIdp(
  overrides: Partial<MfaOptions> & {
    stores?: Stores;
    oidcOptions?: Omit<OidcMfaOptions, 'stores'>;
    refreshTokens?: boolean;
    /** The methods, made once the IdP's URL is known (a push method's endpoint is below it). */
    methodsAt?: (issuer: string) => MfaOptions['methods'];
  } = {},
): Promise<TestIdp> {
  const { oidcOptions, refreshTokens, methodsAt, ...mfaOverrides } = overrides;
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clock = testClock(Date.now());
  const { mfa, events, stores } = createTestMfa(
    { ...mfaOverrides, ...(methodsAt ? { methods: methodsAt(issuer) } : {}) },
    { clock, issuer: 'Test IdP', keyFill: 7 },
  );
  const oidc = createOidcMfa(mfa, { stores, ...oidcOptions });
  const client = (id: string) => ({
    client_id: id,
    client_secret: clientSecretOf(id),
    redirect_uris: [RP_REDIRECT],
    grant_types: refreshTokens ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
    response_types: ['code' as const],
    post_logout_redirect_uris: [RP_BYE],
  });
  const configuration: Configuration = {
    adapter: createOidcAdapter(stores, { clock }),
    clients: [client('rp'), client('payroll')],
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    jwks: { keys: [{ ...SIGNING_KEY, kid: 'test', alg: 'RS256', use: 'sig' }] },
    features: { devInteractions: { enabled: false }, claimsParameter: { enabled: true } },
    cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
    ...(refreshTokens ? { issueRefreshToken: async () => true, rotateRefreshToken: true } : {}),
    // The IdP's relying parties are first-party: no consent screen, the requested scopes are granted.
    loadExistingGrant: async (ctx) => {
      const clientId = ctx.oidc.client?.clientId;
      const accountId = ctx.oidc.session?.accountId;
      if (!clientId || !accountId) return undefined;
      const existing = ctx.oidc.session?.grantIdFor(clientId);
      if (existing) {
        const found = await ctx.oidc.provider.Grant.find(existing);
        if (found) return found;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId });
      grant.addOIDCScope('openid');
      await grant.save();
      return grant;
    },
  };
  const provider = oidc.createProvider(issuer, configuration);
  const app = express();
  app.get('/interaction/:uid', async (req, res) => {
    const details = await provider.interactionDetails(req, res);
    res.send(
      `<form method="post" action="/interaction/${details.uid}/login"><input name="username"><input name="password"></form>`,
    );
  });
  app.post('/interaction/:uid/login', express.urlencoded({ extended: false }), async (req, res, next) => {
    try {
      const { username, password } = req.body as Record<string, string>;
      if (!username || PASSWORDS[username] !== password) return res.status(401).send('wrong password');
      await oidc.completeFirstFactor(provider, req, res, { accountId: username, amr: ['pwd'] });
    } catch (err) {
      next(err);
    }
  });
  // A stand-in for an upstream IdP's callback: the first factor is whatever amr the test says it reported.
  app.post('/interaction/:uid/upstream', express.urlencoded({ extended: false }), async (req, res, next) => {
    try {
      const { username, amr, at } = req.body as Record<string, string>;
      await oidc.completeFirstFactor(provider, req, res, {
        accountId: username ?? '',
        amr: (amr ?? '').split(' '),
        // When the upstream says it authenticated the user (ms), if the test says.
        ...(at ? { at: Number(at) } : {}),
      });
    } catch (err) {
      next(err);
    }
  });
  oidc.mount(app);
  app.use(provider.callback());
  app.use(
    (
      err: { status?: number; message?: string; error_description?: string },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      res
        .status(err.status && err.status < 500 ? err.status : 500)
        .send(`${err.message ?? 'error'}${err.error_description ? `: ${err.error_description}` : ''}`);
    },
  );
  server.on('request', app);
  return {
    issuer,
    provider,
    mfa,
    oidc,
    clock,
    events,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stores.close?.();
    },
  };
}

export interface AuthRequest {
  clientId?: string;
  acrValues?: string;
  maxAge?: number;
  prompt?: string;
  claims?: string;
}

/** A code-flow authorization request with PKCE, state and nonce. */
export function authorizationUrl(idp: TestIdp, p: AuthRequest = {}) {
  return codeFlowRequest(idp.issuer, p.clientId ?? 'rp', 'openid', {
    ...(p.acrValues ? { acr_values: p.acrValues } : {}),
    ...(p.maxAge !== undefined ? { max_age: String(p.maxAge) } : {}),
    ...(p.prompt ? { prompt: p.prompt } : {}),
    ...(p.claims ? { claims: p.claims } : {}),
  });
}

/** Starts an authorization request and follows it to the first page the IdP shows (or the RP). */
export async function startAuthorization(browser: Browser, idp: TestIdp, p: AuthRequest = {}) {
  const request = authorizationUrl(idp, p);
  const page = await browser.go(request.url, { stopAt: atRp });
  return { request, page };
}

/** The RP's token request for a code (client_secret_basic + PKCE), answered as is. */
export function tokenRequest(idp: TestIdp, code: string, request: ReturnType<typeof authorizationUrl>) {
  return exchangeCode(idp.issuer, code, request);
}

/** Exchanges the code the RP received, as the RP would (client_secret_basic + PKCE), and decodes the ID token. */
export async function redeem(
  idp: TestIdp,
  callbackUrl: string,
  request: ReturnType<typeof authorizationUrl>,
) {
  const code = new URL(callbackUrl).searchParams.get('code');
  if (!code) throw new Error(`no code in ${callbackUrl}`);
  const res = await tokenRequest(idp, code, request);
  const body = (await res.json()) as { id_token?: string; error?: string };
  if (!body.id_token) throw new Error(`token endpoint: ${JSON.stringify(body)}`);
  const payload = idTokenClaims<{
    sub: string;
    amr?: string[];
    acr?: string;
    auth_time?: number;
    nonce?: string;
  }>(body.id_token);
  return { idToken: body.id_token, claims: payload };
}

/** Registers an authenticator app for `user` directly through the engine; returns its secret. */
export function enrolDirect(idp: TestIdp, user: string): Promise<string> {
  return enrolThroughEngine(idp.mfa, idp.clock, user);
}

export const absolute = (idp: TestIdp, path: string) => new URL(path, idp.issuer).href;

/** Submits the IdP's password form on `page`. */
export function password(b: Browser, idp: TestIdp, page: Page, user: string, pw = `${user}-pw`) {
  return b.go(absolute(idp, formAction(page.text, '/login')), {
    form: { username: user, password: pw },
    stopAt: atRp,
  });
}

/** The authorization request and mfakit's prompt after `user`'s password. */
export async function atMfaPrompt(b: Browser, idp: TestIdp, user: string) {
  const { request, page } = await startAuthorization(b, idp);
  const prompt = await password(b, idp, page, user);
  assert.match(prompt.url, /\/mfa$/, prompt.text.slice(0, 300));
  return { request, prompt };
}

/** Presses the send button on mfakit's prompt (a code, a notification, a call): the prompt again. */
export function pressSend(b: Browser, idp: TestIdp, page: Page) {
  return b.go(absolute(idp, formAction(page.text, '/mfa/send')), {
    form: { _csrf: inputValue(page.text, '_csrf'), methodId: inputValue(page.text, 'methodId') },
    stopAt: atRp,
  });
}

/** Presses the approval's Continue on mfakit's prompt (push=1 for the method its form names). */
export const pressContinue = (b: Browser, idp: TestIdp, page: Page) =>
  pressApprovalContinue(b, idp.issuer, page);

/** Submits mfakit's code prompt on `page`. */
export function submitCode(
  b: Browser,
  idp: TestIdp,
  page: Page,
  code: string,
  extra: Record<string, string> = {},
) {
  return b.go(absolute(idp, formAction(page.text, '/mfa/prompt')), {
    form: { _csrf: inputValue(page.text, '_csrf'), code, ...extra },
    stopAt: atRp,
  });
}

/** Authorization request → password → (code if prompted) → tokens. */
export async function signIn(
  b: Browser,
  idp: TestIdp,
  user: string,
  opts: { secret?: string; step?: number; request?: AuthRequest; remember?: boolean } = {},
) {
  const { request, page } = await startAuthorization(b, idp, opts.request);
  let at = page.url.includes('/mfa') || atRp(new URL(page.url)) ? page : await password(b, idp, page, user);
  if (at.url.endsWith('/mfa')) {
    assert.ok(opts.secret, `a code was asked for ${user}: ${at.text.slice(0, 300)}`);
    at = await submitCode(
      b,
      idp,
      at,
      codeFor(opts.secret, idp.clock, opts.step ?? 0),
      opts.remember ? { remember: '1' } : {},
    );
  }
  assert.ok(
    atRp(new URL(at.url)),
    `expected to be back at the client, at ${at.url}: ${at.text.slice(0, 300)}`,
  );
  return { ...(await redeem(idp, at.url, request)), trail: at.trail };
}

/** `user` signs in to `rp` with their code and ticks "remember this device": the cookie it set. */
export async function rememberedDeviceCookie(
  idp: TestIdp,
  user: string,
  secret: string,
): Promise<Browser['cookies'][number]> {
  const first = new Browser();
  await signIn(first, idp, user, { secret, remember: true });
  const rd = first.cookie(new URL(idp.issuer).host, 'mfakit_rd');
  assert.ok(rd, 'remember-device cookie set');
  return rd;
}
