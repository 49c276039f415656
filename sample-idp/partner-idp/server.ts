import { createHmac, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import express from 'express';
import { createMemoryStores } from 'mfakit/adapters/memory';
import { createOidcAdapter } from 'mfakit/oidc';
import Provider, { type Configuration, interactionPolicy, type JWK } from 'oidc-provider';
import { PARTNER_CSS, partnerLoginPage } from './pages.ts';

/**
 * "Partner Co IdP": a minimal second oidc-provider, the upstream of the federation server's
 * claims-provider trusts. Not mfakit: its own tiny user list and one login page, where a demo
 * user ticks "I used my partner MFA" to sign in with amr ['pwd','mfa'] and acr
 * `urn:partner:mfa` (else ['pwd'], `urn:partner:pwd`). A request with
 * `acr_values=urn:partner:mfa` needs the tick (and asks again in an existing session that has
 * not had MFA) — unless `settings.honourAcrValues` is false, a partner that ignores what it
 * is asked, for demonstrating enforceMfaByFederatedIdp (and `settings.honourLoginPrompt` false,
 * one answering prompt=login and max_age from its session). devInteractions are off; grants are
 * automatic; sessions live in memory.
 */
export const PARTNER_ACR_PWD = 'urn:partner:pwd';
export const PARTNER_ACR_MFA = 'urn:partner:mfa';

export interface PartnerUser {
  id: string;
  name: string;
  email: string;
  password: string;
  /** Whether the partner vouches for the address (default true; null: it does not say, no email_verified claim). */
  emailVerified?: boolean | null;
}

export interface PartnerClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export const PARTNER_DEMO_USERS: readonly PartnerUser[] = [
  { id: 'carol', name: 'Carol Partner', email: 'carol@partner.test', password: 'partner demo carol' },
  { id: 'dave', name: 'Dave Strict', email: 'dave@strict.partner.test', password: 'partner demo dave' },
  { id: 'erin', name: 'Erin Legacy', email: 'erin@legacy.partner.test', password: 'partner demo erin' },
];

export interface PartnerIdpOptions {
  issuer: string;
  clients: PartnerClient[];
  users?: readonly PartnerUser[];
  honourAcrValues?: boolean;
  signingJwk?: JWK;
}

const wantsMfa = (params: Record<string, unknown> | undefined) =>
  typeof params?.acr_values === 'string' && params.acr_values.split(' ').includes(PARTNER_ACR_MFA);

const sameText = (a: string, b: string) => {
  const x = createHmac('sha256', 'cmp').update(a).digest();
  const y = createHmac('sha256', 'cmp').update(b).digest();
  return timingSafeEqual(x, y);
};

export function createPartnerIdp(options: PartnerIdpOptions) {
  const users = options.users ?? PARTNER_DEMO_USERS;
  const settings = { honourAcrValues: options.honourAcrValues ?? true, honourLoginPrompt: true };
  /** The authorization parameters of each login prompt shown (for tests). */
  const logins: Record<string, unknown>[] = [];
  const formKey = randomBytes(32);
  const tokenFor = (uid: string) => createHmac('sha256', formKey).update(uid).digest('base64url');
  const signingJwk =
    options.signingJwk ??
    (generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as JWK);

  const policy = interactionPolicy.base();
  // prompt=login and max_age, unless a test has the partner ignore them (settings.honourLoginPrompt).
  const loginPrompt = policy.get('login');
  for (const reason of ['login_prompt', 'max_age']) {
    const original = loginPrompt?.checks.get(reason);
    if (!loginPrompt || !original) continue;
    loginPrompt.checks.remove(reason);
    loginPrompt.checks.add(
      new interactionPolicy.Check(
        reason,
        original.description,
        original.error ?? 'login_required',
        (ctx) =>
          settings.honourLoginPrompt ? original.check(ctx) : interactionPolicy.Check.NO_NEED_TO_PROMPT,
        original.details,
      ),
    );
  }
  policy.get('login')?.checks.add(
    new interactionPolicy.Check('partner_mfa_requested', 'MFA was requested', (ctx) => {
      if (!settings.honourAcrValues || !wantsMfa(ctx.oidc.params) || ctx.oidc.result?.login)
        return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return ctx.oidc.session?.acr === PARTNER_ACR_MFA
        ? interactionPolicy.Check.NO_NEED_TO_PROMPT
        : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );

  const configuration: Configuration = {
    // In memory (a demo peer), through mfakit's adapter: no oidc-provider development warning.
    adapter: createOidcAdapter(createMemoryStores()),
    responseTypes: ['code'],
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
    })),
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      acr: null,
      amr: null,
      auth_time: null,
      profile: ['name'],
      email: ['email', 'email_verified'],
    },
    acrValues: [PARTNER_ACR_PWD, PARTNER_ACR_MFA],
    async findAccount(_ctx, sub) {
      const user = users.find((u) => u.id === sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          name: user.name,
          email: user.email,
          ...(user.emailVerified === null ? {} : { email_verified: user.emailVerified ?? true }),
        }),
      };
    },
    features: { devInteractions: { enabled: false }, claimsParameter: { enabled: true } },
    interactions: { policy, url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    jwks: { keys: [{ ...signingJwk, kid: 'partner', alg: 'RS256', use: 'sig' }] },
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      names: { session: 'partner_session', interaction: 'partner_interaction', resume: 'partner_resume' },
    },
    pkce: { required: () => true },
    async loadExistingGrant(ctx) {
      const clientId = ctx.oidc.client?.clientId;
      const accountId = ctx.oidc.session?.accountId;
      if (!clientId || !accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' ') || 'openid');
      const claims = [...ctx.oidc.requestParamClaims];
      if (claims.length > 0) grant.addOIDCClaims(claims);
      await grant.save();
      return grant;
    },
    ttl: {
      Session: 3600,
      Interaction: 600,
      Grant: 3600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
  };
  const provider = new Provider(options.issuer, configuration);

  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'same-origin',
    });
    next();
  });
  app.get('/assets/partner.css', (_req, res) => {
    res.type('text/css').send(PARTNER_CSS);
  });
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });
  const shown = users.map((u) => ({ id: u.id, email: u.email, password: u.password }));
  const page = (uid: string, params: Record<string, unknown>, error?: string) =>
    partnerLoginPage({
      uid,
      csrf: tokenFor(uid),
      mfaRequired: settings.honourAcrValues && wantsMfa(params),
      users: shown,
      ...(typeof params.login_hint === 'string' ? { loginHint: params.login_hint } : {}),
      ...(error ? { error } : {}),
    });
  // No form-action: browsers apply it to every redirect after the POST, and the chain ends at
  // whatever relying party the federation server is signing in to, which the partner cannot know.
  const csp = "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'";
  const pageHeaders = (res: express.Response) =>
    res.set({
      'Content-Security-Policy': csp,
      'Cache-Control': 'no-store',
    });

  app.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== req.params.uid)
        return res.status(400).send('This sign-in belongs to another browser.');
      logins.push(details.params);
      pageHeaders(res).send(page(details.uid, details.params));
    } catch (err) {
      next(err);
    }
  });

  app.post('/interaction/:uid/login', form, async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const body = req.body as Record<string, unknown>;
      if (
        details.uid !== req.params.uid ||
        typeof body._csrf !== 'string' ||
        !sameText(body._csrf, tokenFor(details.uid))
      )
        return res.status(403).send('This form has expired.');
      const username = typeof body.username === 'string' ? body.username.trim().toLowerCase() : '';
      const password = typeof body.password === 'string' ? body.password : '';
      const user = users.find((u) => u.email === username || u.id === username);
      if (!user || !sameText(user.password, password))
        return pageHeaders(res)
          .status(401)
          .send(page(details.uid, details.params, 'Wrong e-mail address or password.'));
      const mfa = body.mfa === 'yes';
      if (!mfa && settings.honourAcrValues && wantsMfa(details.params))
        return pageHeaders(res)
          .status(400)
          .send(page(details.uid, details.params, 'This sign-in requires your Partner Co MFA.'));
      await provider.interactionFinished(
        req,
        res,
        {
          login: {
            accountId: user.id,
            amr: mfa ? ['pwd', 'mfa'] : ['pwd'],
            acr: mfa ? PARTNER_ACR_MFA : PARTNER_ACR_PWD,
          },
        },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      next(err);
    }
  });
  app.use(provider.callback());
  return { app, provider, settings, logins };
}

export type PartnerIdp = ReturnType<typeof createPartnerIdp>;
