import { timingSafeEqual } from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import express, { type Request, type Response } from 'express';
import { type EphemeralStore, MfaError } from 'mfakit';
import type { OidcMfa } from 'mfakit/oidc';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { Accounts } from './accounts.ts';
import type { ClaimsProviderConfig } from './config.ts';
import { applyMfaBehavior } from './mfa-behavior.ts';
import { messagePage } from './pages.ts';
import { maxAgeAtCallback, reauthenticationFor } from './reauthentication.ts';
import { createUpstream, StaleUpstreamSignIn, type Upstream } from './upstream.ts';

/**
 * Sign-in at a claims provider, for an open interaction:
 *   1. `begin()` (from the chooser or home-realm discovery) keeps state, nonce and PKCE
 *      verifier server-side under the state, with the interaction uid, sets a cookie holding
 *      the state and sends the browser upstream — asking for a new login there when this
 *      interaction needs one (reauthentication.ts);
 *   2. `/federation/:cp/callback` needs that cookie and the record (used once), lets
 *      openid-client check and redeem the answer (and its auth_time against what was asked),
 *      maps the account, applies the provider's federatedIdpMfaBehavior, and parks the outcome
 *      under the interaction uid;
 *   3. `/interaction/:uid/federated`, which oidc-provider serves only to the browser holding
 *      that interaction's cookie, hands the outcome to mfakit as the first factor, verified when
 *      the upstream says it authenticated the user (its auth_time, so an old upstream sign-in is
 *      not a new one for the sign-in frequency or the ID token's auth_time). A user with no
 *      method yet whose upstream sign-in is too old to register one goes back to step 1 once,
 *      with prompt=login and their identifier there as login_hint.
 * A code injected into another browser therefore ends at step 1's cookie or step 3's.
 */
const STATE_COOKIE = 'fed_upstream';
const REQUEST_TTL_MS = 10 * 60_000;
const OUTCOME_TTL_MS = 2 * 60_000;

const requestRecord = z.object({
  uid: z.string(),
  provider: z.string(),
  nonce: z.string(),
  codeVerifier: z.string(),
  acrValues: z.string().optional(),
  prompt: z.literal('login').optional(),
  maxAge: z.number().optional(),
  startedAt: z.number(),
});
const outcomeRecord = z.object({
  provider: z.string(),
  /** The upstream was asked for a new login (prompt=login) already. */
  renewed: z.boolean(),
  accountId: z.string(),
  amr: z.array(z.string()),
  authTime: z.number().optional(),
});

export interface FederationDeps {
  issuer: string;
  service: string;
  secureCookies: boolean;
  providers: readonly ClaimsProviderConfig[];
  provider: Provider;
  oidc: OidcMfa;
  accounts: Accounts;
  ephemeral: EphemeralStore;
  /** mfakit's clock: when a sign-in went upstream, and when the upstream authenticated the user. */
  clock: { now(): number };
}

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export function createFederation(deps: FederationDeps) {
  const upstreams = new Map<string, Upstream>(
    deps.providers.map((p) => [
      p.id,
      createUpstream(p, new URL(`/federation/${p.id}/callback`, deps.issuer).href),
    ]),
  );
  const byDomain = new Map(deps.providers.flatMap((p) => p.emailDomains.map((d) => [d, p] as const)));
  const page = (res: Response, status: number, title: string, message: string, uid?: string) =>
    res
      .status(status)
      .send(
        messagePage(
          deps.service,
          title,
          message,
          uid ? { href: `/interaction/${encodeURIComponent(uid)}`, label: 'Back to sign-in' } : undefined,
        ),
      );

  /** The claims provider that owns this e-mail address's domain (home-realm discovery). */
  const providerForEmail = (identifier: string) => {
    const at = identifier.lastIndexOf('@');
    return at < 0 ? undefined : byDomain.get(identifier.slice(at + 1).toLowerCase());
  };

  /**
   * `loginHint`: what the user typed (home-realm discovery). `newLogin`: ask the upstream for a
   * new login (prompt=login) whatever the interaction asks. A new login (or a max_age) asked of
   * a user known here — this browser's session, or `knownAccountId` — is sent with their
   * identifier at the upstream as `login_hint` (`accounts.loginHintFor`), so its form is filled in.
   */
  async function begin(
    res: Response,
    uid: string,
    providerId: string,
    loginHint?: string,
    newLogin = false,
    knownAccountId?: string,
  ) {
    const upstream = upstreams.get(providerId);
    if (!upstream) throw new MfaError('unknown_provider', 'There is no such sign-in option.', 404);
    const cp = upstream.provider;
    // This browser's interaction (its cookie), for what it asks of a login.
    const details = await deps.oidc.interactionFor(deps.provider, res.req as Request, res, uid);
    const asked = { ...reauthenticationFor(details), ...(newLogin ? { prompt: 'login' as const } : {}) };
    const known = knownAccountId ?? details.session?.accountId;
    const reauthenticating = asked.prompt !== undefined || asked.maxAge !== undefined;
    const hint =
      loginHint ?? (reauthenticating && known ? await deps.accounts.loginHintFor(cp, known) : undefined);
    let started: Awaited<ReturnType<Upstream['start']>>;
    try {
      started = await upstream.start({
        ...asked,
        ...(hint ? { loginHint: hint } : {}),
        ...(cp.federatedIdpMfaBehavior === 'enforceMfaByFederatedIdp' && cp.mfaAcr
          ? { acrValues: cp.mfaAcr }
          : {}),
      });
    } catch (err) {
      process.emitWarning(`federation: ${cp.id} unavailable: ${String(err)}`);
      return page(
        res,
        503,
        'Sign-in unavailable',
        `${cp.displayName} cannot be reached right now. Try again in a moment.`,
        uid,
      );
    }
    const { state, ...request } = started.request;
    await deps.ephemeral.put(
      `fed-upstream:${state}`,
      JSON.stringify({ uid, provider: cp.id, ...request, ...asked, startedAt: deps.clock.now() }),
      REQUEST_TTL_MS,
    );
    res.cookie(STATE_COOKIE, state, {
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.secureCookies,
      path: '/federation/',
      maxAge: REQUEST_TTL_MS,
    });
    res.redirect(303, started.url.href);
  }

  const router = express.Router();

  router.get('/federation/:cp/callback', async (req, res, next) => {
    try {
      const upstream = upstreams.get(String(req.params.cp));
      const state = typeof req.query.state === 'string' ? req.query.state : '';
      const cookie = parseCookies(req.headers.cookie ?? '')[STATE_COOKIE] ?? '';
      res.clearCookie(STATE_COOKIE, { path: '/federation/' });
      if (!upstream || state === '' || !same(cookie, state))
        return page(
          res,
          400,
          'Sign-in response rejected',
          'This answer does not belong to a sign-in started in this browser. Start again from the application.',
        );
      const raw = await deps.ephemeral.take(`fed-upstream:${state}`);
      const record = raw === null ? null : requestRecord.safeParse(JSON.parse(raw));
      if (!record?.success || record.data.provider !== upstream.provider.id)
        return page(
          res,
          400,
          'Sign-in expired',
          'This sign-in has expired or was finished already. Start again from the application.',
        );
      const { uid } = record.data;
      const cp = upstream.provider;
      let result: Awaited<ReturnType<Upstream['finish']>>;
      try {
        result = await upstream.finish(
          { state, nonce: record.data.nonce, codeVerifier: record.data.codeVerifier },
          new URL(req.originalUrl, 'http://callback.invalid').search,
          maxAgeAtCallback(record.data, record.data.startedAt, deps.clock.now()),
        );
      } catch (err) {
        if (err instanceof StaleUpstreamSignIn) {
          process.emitWarning(`federation: ${cp.id} answered from an earlier sign-in: ${err.message}`);
          return page(
            res,
            401,
            'Sign-in not renewed',
            `This application needs you to sign in again, but ${cp.displayName} answered from an earlier sign-in. Start again from the application.`,
            uid,
          );
        }
        const described = (err as { error?: unknown }).error;
        process.emitWarning(
          `federation: ${cp.id} answer rejected: ${typeof described === 'string' ? described : String(err)}`,
        );
        return page(
          res,
          401,
          'Sign-in not completed',
          `The sign-in at ${cp.displayName} did not complete.`,
          uid,
        );
      }
      const outcome = applyMfaBehavior(cp.federatedIdpMfaBehavior, result, cp.mfaAcr);
      if (!outcome.ok)
        return page(
          res,
          403,
          'Multi-factor sign-in required',
          `${cp.displayName} did not confirm a multi-factor sign-in, which is required for your organisation. Sign in there with your second factor and try again.`,
          uid,
        );
      const mapped = await deps.accounts.map(cp, result);
      if (!mapped.ok) return page(res, 403, 'No account', mapped.message, uid);
      await deps.ephemeral.put(
        `fed-outcome:${uid}`,
        JSON.stringify({
          provider: cp.id,
          renewed: record.data.prompt === 'login',
          accountId: mapped.accountId,
          amr: outcome.amr,
          // When the upstream authenticated the user, as an age (its own iat - auth_time) on this
          // clock: the two servers' clocks need not agree.
          ...(result.authAge !== undefined ? { authTime: deps.clock.now() - result.authAge * 1000 } : {}),
        }),
        OUTCOME_TTL_MS,
      );
      res.redirect(303, `/interaction/${encodeURIComponent(uid)}/federated`);
    } catch (err) {
      next(err);
    }
  });

  router.get('/interaction/:uid/federated', async (req, res, next) => {
    try {
      const details = await deps.oidc.interactionFor(deps.provider, req, res, String(req.params.uid));
      const raw = await deps.ephemeral.take(`fed-outcome:${details.uid}`);
      const outcome = raw === null ? null : outcomeRecord.safeParse(JSON.parse(raw));
      if (!outcome?.success)
        return page(res, 400, 'Sign-in expired', 'This sign-in has expired. Start again.', details.uid);
      const { provider, renewed, accountId, amr, authTime } = outcome.data;
      const start = await deps.oidc.completeFirstFactor(
        deps.provider,
        req as Request,
        res,
        { accountId, amr, ...(authTime !== undefined ? { at: authTime } : {}) },
        details,
        { leaveSignInAgain: !renewed },
      );
      // mfakit registers a first method only after a recent first factor, and the upstream
      // answered from an older session (its SSO): the way out is a new login there, for this
      // interaction, asked once. Its old session answering again is refused at the callback
      // (prompt=login); a refusal after a new login is mfakit's page.
      if (start.status === 'blocked' && start.signInAgain && !renewed)
        await begin(res, details.uid, provider, undefined, true, accountId);
    } catch (err) {
      next(err);
    }
  });

  return {
    router,
    begin,
    providerForEmail,
    has: (id: string) => upstreams.has(id),
    /** The name users know a claims provider by. */
    displayName: (id: string) => upstreams.get(id)?.provider.displayName ?? id,
  };
}

export type Federation = ReturnType<typeof createFederation>;
