// MFA for an oidc-provider identity provider. Build the Provider with `createProvider(issuer,
// yours)` (or give `configuration(yours)` to your own), serve the MFA pages with `mount(app)`
// in the Express app in front of it, and call `completeFirstFactor()` from your login page
// once the password (or upstream IdP) checked out: mfakit decides, asks for the second factor
// or enrollment on its own pages, and only then finishes the interaction with
// `login = { accountId, amr, acr, ts }`. Nothing else should finish a login: a login that did
// not go through mfakit is asked for again.
import { parse as parseCookies } from 'cookie';
import type { Express, Request, Response } from 'express';
import type { Configuration, InteractionResults, KoaContextWithOIDC } from 'oidc-provider';
import Provider from 'oidc-provider';
import type { Mfa, SignInStart } from '../engine/create-mfa.ts';
import type { AuthStamp } from '../engine/stamp.ts';
import { ConfigError, MfaError } from '../errors.ts';
import type { Stores } from '../store/ports.ts';
import { createDeviceApiRouter } from '../web/device-api.ts';
import { requestIdOf } from '../web/request-id.ts';
import { ACR_VALUES, meetsAcr, requestedAcr } from './acr.ts';
import { type InteractionView, interactionFor } from './interaction-details.ts';
import { MFA_PROMPT, type MfakitInteractionResult, mfaInteractionPolicy } from './interaction-policy.ts';
import { createInteractionRecords, type InteractionRecords } from './interaction-records.ts';
import { createMfaInteractionRouter } from './interaction-routes.ts';
import { passkeySignInForm } from './passkey-sign-in.ts';
import {
  DEFAULT_SESSION_TTL_SECONDS,
  mergeProviderConfiguration,
  sessionSecondsOf,
} from './provider-configuration.ts';
import { outageMiddleware } from './provider-outage.ts';
import { acrUnmet, policyUnmet } from './session-checks.ts';
import { createSessionStamps, type SessionStamps } from './session-stamps.ts';

export interface OidcMfaOptions {
  /**
   * Where this step keeps interaction hand-offs (`ephemeral`) and each session's stamp (beside
   * the provider's sessions in `oidc`, or in `ephemeral` without one): the same stores as
   * createMfa() and createOidcAdapter(), e.g. `createSqliteStores({ … })`.
   */
  stores: Pick<Stores, 'ephemeral' | 'oidc'>;
  /** Where `mount()` serves the MFA pages; the interaction URLs point below it. Default '/interaction'. */
  basePath?: string;
  /** The name shown in authenticator apps for an account id. */
  displayName?: (accountId: string) => string | Promise<string>;
  /** The conditional-access application of a client. Default: the client id itself. */
  appOf?: (clientId: string) => string;
  /**
   * The acr a client always needs, whatever it asks for (`urn:mfakit:acr:mfa` or `…:phr`;
   * `undefined`: nothing beyond its request). It is a requested level like `acr_values`,
   * merged with the request's own (the stronger wins: a request can raise it, never lower it)
   * at the first sign-in, for an existing session (which must step up) and in the step-up —
   * so, unlike a conditional-access policy's plain MFA, a trusted network or a remembered
   * device never meets it. A value mfakit does not issue fails the request (a `ConfigError`).
   *
   * ```ts
   * createOidcMfa(mfa, { stores, requiredAcrOf: (clientId) => (clientId === 'payroll' ? ACR_MFA : undefined) });
   * ```
   */
  requiredAcrOf?: (clientId: string) => string | undefined;
  /**
   * Which accounts may sign in with a passkey alone (passwordless, from `passkeySignInForm()` on
   * your login page). Default: every account with a passkey. Refuse accounts whose sign-in
   * belongs elsewhere — e.g. those of an upstream IdP, which must keep deciding who signs in.
   */
  passkeySignIn?: (accountId: string) => boolean | Promise<boolean>;
}

export interface FirstFactor {
  accountId: string;
  /** RFC 8176 values of what was checked: ['pwd'], or what a trusted upstream IdP reported. */
  amr: string[];
  /** The method that was the first factor (a passkey without a password): never also the second. */
  methodId?: string | undefined;
  /**
   * When the first factor was verified (ms on mfakit's clock; default now): an upstream IdP's
   * `auth_time` when it answered from its own session. The session's sign-in time (the ID
   * token's `auth_time`, and what the sign-in frequency counts from), so an old upstream
   * sign-in — and the MFA it reported — is not taken for a new one.
   */
  at?: number | undefined;
}

/** Providers whose outages an integration audits already (mount() may run more than once). */
const auditedProviders = new WeakSet<Provider>();

const TOO_WEAK =
  'This application needs a passkey or security key. Add one in your security info, then sign in again.';

export type { InteractionView } from './interaction-details.ts';

export function createOidcMfa(mfa: Mfa, options: OidcMfaOptions) {
  const basePath = (options.basePath ?? '/interaction').replace(/\/$/, '');
  const displayName = options.displayName ?? ((id: string) => id);
  const { ephemeral, oidc } = options.stores;
  // The session lifetime comes from the provider's configuration (`configuration()`); the hand-off
  // is long enough for a user reading the recovery codes before "continue".
  const stampTtl = { sessionSeconds: DEFAULT_SESSION_TTL_SECONDS, handOffSeconds: 3600 };
  const stamps: SessionStamps = createSessionStamps({ ephemeral, oidc }, mfa.clock, stampTtl);
  let built: Provider | undefined;
  const records: InteractionRecords = createInteractionRecords(ephemeral, mfa.settings.pendingTtlSeconds);
  const appOf = options.appOf ?? ((clientId: string) => clientId);
  const requiredAcrOf = options.requiredAcrOf;
  const policy = mfaInteractionPolicy({ mfa, stamps, appOf, requiredAcrOf });

  const ctxOf = (req: Request) => ({
    ip: mfa.clientIp(req),
    requestId: requestIdOf(req),
  });

  const applicationFor = (details: InteractionView) =>
    typeof details.params.client_id === 'string' ? appOf(details.params.client_id) : mfa.settings.defaultApp;

  /** The level this interaction's request needs: what the client asked for, raised to what it always needs. */
  const acrRequestFor = (details: InteractionView) =>
    requestedAcr(
      details.params,
      typeof details.params.client_id === 'string' ? requiredAcrOf?.(details.params.client_id) : undefined,
    );

  /** The engine's decision for this interaction's client, with what the client asked for. */
  function beginSignIn(
    req: Request,
    details: InteractionView,
    first: FirstFactor,
    firstFactorAt?: number,
  ): Promise<SignInStart> {
    const cookies = parseCookies(req.headers.cookie ?? '');
    const ctx = ctxOf(req);
    return mfa.beginSignIn({
      userId: first.accountId,
      amr: first.amr,
      ip: ctx.ip,
      requestId: ctx.requestId,
      userAgent: req.get('user-agent'),
      rememberedDeviceCookie: cookies[mfa.settings.rememberDevice.cookieName],
      app: applicationFor(details),
      clientAppType: 'browser',
      requestedStrengths: acrRequestFor(details).strengths,
      firstFactorAt,
      firstFactorMethodId: first.methodId,
    });
  }

  /** The login result of a completed stamp; a step-up keeps the session's original sign-in time. */
  async function loginResult(stamp: AuthStamp, keepAuthTime?: number): Promise<InteractionResults> {
    const authTime = keepAuthTime ?? stamp.authTime;
    const kept = keepAuthTime === undefined ? stamp : { ...stamp, authTime };
    const result: InteractionResults & MfakitInteractionResult = {
      login: {
        accountId: stamp.userId,
        amr: stamp.amr,
        acr: stamp.acr,
        ts: Math.floor(authTime / 1000),
        remember: true,
      },
      mfakit: { stampRef: await stamps.handOff(kept) },
    };
    return result;
  }

  async function finish(provider: Provider, req: Request, res: Response, result: InteractionResults) {
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }

  const refusal = (start: Extract<SignInStart, { status: 'blocked' }>): InteractionResults => ({
    error: 'access_denied',
    error_description: start.decision.userMessage
      ? `Sign-in blocked. ${start.decision.userMessage}`
      : 'Sign-in blocked by your organisation.',
  });

  /**
   * Acts on a decision: finish (no second factor needed), refuse, or keep the pending sign-in
   * with this interaction and send the browser to the MFA page.
   */
  async function act(
    provider: Provider,
    req: Request,
    res: Response,
    details: InteractionView,
    start: SignInStart,
    keepAuthTime?: number,
  ): Promise<void> {
    if (start.status === 'complete')
      return finish(provider, req, res, await loginResult(start.stamp, keepAuthTime));
    if (start.status === 'blocked') return finish(provider, req, res, refusal(start));
    await records.create(details.uid, start.pending.id, keepAuthTime);
    res.redirect(303, `${basePath}/${details.uid}/mfa`);
  }

  /** Puts the outage audit (and Retry-After) in front of the provider's routes, once. */
  const auditOutagesOf = (provider: Provider) => {
    if (auditedProviders.has(provider)) return;
    auditedProviders.add(provider);
    provider.use(outageMiddleware(mfa));
  };

  const integration = {
    basePath,
    policy,
    stamps,
    records,

    /** Where oidc-provider sends the browser: your login page for `login`, mfakit's page for `mfa`. */
    interactionUrl(_ctx: KoaContextWithOIDC, interaction: { uid: string; prompt: { name: string } }) {
      return interaction.prompt.name === MFA_PROMPT
        ? `${basePath}/${interaction.uid}/mfa`
        : `${basePath}/${interaction.uid}`;
    },

    /**
     * Your oidc-provider configuration with what the MFA step needs merged in: the interaction
     * policy and URL, the `acr` values it issues, and claims (yours kept) that put `acr`, `amr`
     * and `auth_time` in every ID token (they are part of the `openid` scope), and `ttl.Session`
     * (yours, or 14 days), which mfakit also uses for how long it keeps a session's stamp. A
     * configuration that sets `interactions` or `acrValues`, or redefines those claims, is
     * refused with a ConfigError: it would drop the MFA step silently.
     */
    configuration(yours: Configuration = {}): Configuration {
      const merged = mergeProviderConfiguration(yours, {
        interactions: { policy, url: integration.interactionUrl },
        acrValues: [...ACR_VALUES],
      });
      stampTtl.sessionSeconds = sessionSecondsOf(merged);
      return merged;
    },

    /**
     * The Provider, built from your configuration merged with mfakit's (`configuration()`); the
     * one `mount(app)` then serves the MFA pages for it. A store outage its own endpoints meet
     * (503 `temporarily_unavailable`, provider-outage.ts) is audited as mfakit's pages audit one.
     */
    createProvider(issuer: string, yours: Configuration = {}): Provider {
      built = new Provider(issuer, integration.configuration(yours));
      auditOutagesOf(built);
      return built;
    },

    /**
     * Mounts the MFA pages (below `basePath`) for the provider `createProvider()` built, or the
     * one given, and has a provider you built yourself audit the store outages its own endpoints
     * meet (as `createProvider()` does; call it before `provider.callback()`, which takes the
     * provider's middleware as it is then). With a device method (push), also the device API
     * its phone apps call, at `<basePath>/device` (POST activate, pending, answer; JSON, no
     * cookie or CSRF token: src/web/device-api.ts), in front of the pages and the provider:
     * `pushMethod({ endpoint })` must name that URL as the apps reach it, e.g.
     * `https://idp.example.com/interaction/device` for the default basePath.
     */
    mount(app: Pick<Express, 'use'>, provider: Provider | undefined = built): void {
      if (!provider)
        throw new ConfigError('mfakit/oidc: call createProvider() (or pass the provider) before mount()');
      auditOutagesOf(provider);
      if (mfa.deviceApi.enabled) app.use(`${basePath}/device`, createDeviceApiRouter(mfa));
      app.use(basePath, createMfaInteractionRouter(integration, mfa, provider));
    },

    /**
     * Call from your login page's POST handler after the first factor succeeded, with the
     * interaction still open. Answers the browser itself (redirect to the MFA page, or back to
     * the provider). `read`: the interaction your handler has just read with `interactionFor`
     * in this request, so it is not read again. `leaveSignInAgain`: a refusal whose way out is a
     * new first factor (a first method needs a recent one) is returned unanswered, for the caller
     * to get one (e.g. a new sign-in at the upstream IdP whose old session it was).
     */
    async completeFirstFactor(
      provider: Provider,
      req: Request,
      res: Response,
      first: FirstFactor,
      read?: InteractionView,
      options: { leaveSignInAgain?: boolean } = {},
    ) {
      const details = read ?? (await interactionFor(provider, req, res));
      if (details.prompt.name !== 'login')
        throw new MfaError('interaction_state', 'This sign-in is not waiting for a password.', 400);
      // Never later than now: a first factor from the future would outlive the sign-in frequency.
      const at = first.at === undefined ? undefined : Math.min(first.at, mfa.clock.now());
      const start = await beginSignIn(req, details, first, at);
      if (options.leaveSignInAgain && start.status === 'blocked' && start.signInAgain) return start;
      await act(provider, req, res, details, start, at);
      return start;
    },

    /**
     * The `mfa` prompt with no pending sign-in yet: a session that must step up (acr_values or
     * the client's required acr, conditional access, a trusted-network sign-in used elsewhere). A new decision on the
     * session's own first factor; a session mfakit knows nothing of must sign in again.
     */
    async beginStepUp(provider: Provider, req: Request, res: Response, details: InteractionView) {
      const accountId = details.session?.accountId;
      const sessionUid = details.session?.uid;
      const stamp = accountId && sessionUid ? await stamps.get(sessionUid, accountId) : null;
      if (!stamp || !(await mfa.isCurrent(stamp))) {
        await finish(provider, req, res, {
          error: 'login_required',
          error_description: 'Sign in again.',
        });
        return null;
      }
      const start = await beginSignIn(
        req,
        details,
        // The passkey that signed in as one factor stays excluded from the second, as at sign-in.
        { accountId: stamp.userId, amr: [...stamp.firstFactorAmr], methodId: stamp.firstFactorMethodId },
        stamp.authTime,
      );
      if (start.status === 'blocked' && start.signInAgain) {
        // A first method is registered only after a recent first factor: not on an old session.
        await finish(provider, req, res, { error: 'login_required', error_description: 'Sign in again.' });
        return null;
      }
      if (start.status === 'complete') {
        // Nothing was verified, so the session would come back unchanged: rather than loop
        // between the provider and this page, it must sign in again.
        const kept = { ...start.stamp, authTime: stamp.authTime };
        const facts = { app: applicationFor(details), ip: mfa.clientIp(req), acr: acrRequestFor(details) };
        if (acrUnmet(kept, facts) || (await policyUnmet(mfa, kept, facts))) {
          await finish(provider, req, res, { error: 'login_required', error_description: 'Sign in again.' });
          return null;
        }
      }
      if (start.status !== 'mfa') {
        await act(provider, req, res, details, start, stamp.authTime);
        return null;
      }
      return records.create(details.uid, start.pending.id, stamp.authTime);
    },

    /**
     * A second factor verified in this interaction, on top of the session's stamp when the
     * interaction is a step-up in an existing session (methods verified earlier still count).
     */
    async raised(details: InteractionView, stamp: AuthStamp): Promise<AuthStamp> {
      const accountId = details.session?.accountId;
      const sessionUid = details.session?.uid;
      if (details.prompt.name !== MFA_PROMPT || !accountId || !sessionUid) return stamp;
      const previous = await stamps.get(sessionUid, accountId);
      return previous ? mfa.mergeStepUp(previous, stamp) : stamp;
    },

    /**
     * The passkey part of your login page for interaction `uid` (HTML): a form the WebAuthn client
     * starts with conditional UI (autofill) as the page loads, and as a button, plus its scripts
     * (served by `mount()`; the page's CSP must allow `script-src 'self'` and `connect-src 'self'`).
     * Give your user name input `autocomplete="username webauthn"`. Empty when no method signs in
     * without a password.
     */
    passkeySignInForm(uid: string): string {
      return passkeySignInForm(mfa, basePath, uid);
    },

    /** Whether `accountId` may sign in with a passkey alone (`passkeySignIn`). */
    passkeySignInAllowed: (accountId: string) => options.passkeySignIn?.(accountId) ?? true,

    /**
     * The interaction's result once its second step verified `stamp`: the login, on top of the
     * session's stamp for a step-up — or, if that still falls short of the level the request
     * needs, `access_denied`, never a lower acr (a first method registered at this sign-in that
     * is not a passkey, when the client asked for …:phr).
     */
    async resultFor(details: InteractionView, stamp: AuthStamp, keepAuthTime?: number) {
      const raised = await integration.raised(details, stamp);
      if (!meetsAcr(raised.acr, acrRequestFor(details)))
        return { error: 'access_denied', error_description: TOO_WEAK } satisfies InteractionResults;
      return loginResult(raised, keepAuthTime);
    },

    interactionFor,
    loginResult,
    finish,
    ctxOf,
    displayName,
  };
  return integration;
}

export type OidcMfa = ReturnType<typeof createOidcMfa>;
