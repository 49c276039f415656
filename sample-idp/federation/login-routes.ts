import express, { type Request, type Response } from 'express';
import { type FirstFactorGate, MfaError } from 'mfakit';
import { answerFirstFactorFailure } from 'mfakit/express';
import type { OidcMfa } from 'mfakit/oidc';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { FederationConfig } from './config.ts';
import type { Federation } from './federation-routes.ts';
import type { FormTokens } from './form-token.ts';
import { identifierPage, passwordPage, type SignInPageProps } from './pages.ts';

/**
 * The `login` prompt's pages: who are you (with the "Sign in with <partner>" chooser, and a
 * passkey: mfakit/oidc's passwordless form, offered by the browser's autofill), then either the
 * claims provider that owns the account's domain or the password (or a Temporary Access Pass). Every secret goes through mfakit's first-factor gate (`gate`): home-realm
 * discovery, the per-account and per-address throttle, one answer for unknown users and wrong
 * passwords, audit.
 */
const kind = z.enum(['password', 'temporaryAccessPass']).default('password');
const identifyBody = z.object({
  identifier: z.string().trim().min(1).max(256),
  kind,
  _csrf: z.string().optional(),
});
const loginBody = identifyBody.extend({ password: z.string().min(1).max(256) });

export interface LoginDeps {
  config: FederationConfig;
  provider: Provider;
  oidc: OidcMfa;
  gate: FirstFactorGate;
  federation: Federation;
  tokens: FormTokens;
}

export function createLoginRouter(deps: LoginDeps) {
  const { config, provider, oidc } = deps;
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });
  const trusts = new Map(config.relyingParties.map((rp) => [rp.clientId, rp]));
  const choices = config.claimsProviders.map((p) => ({ id: p.id, displayName: p.displayName }));

  /** The interaction (cookie-bound, uid-checked) and the props its pages share. */
  async function open(req: Request, res: Response, post: boolean) {
    const details = await oidc.interactionFor(provider, req, res, String(req.params.uid));
    if (details.prompt.name !== 'login')
      throw new MfaError('interaction_state', 'This sign-in is not waiting for a password.', 400);
    if (post && !deps.tokens.check('login', details.uid, (req.body as { _csrf?: unknown })._csrf))
      throw new MfaError('csrf_invalid', 'This form has expired. Reload the page and try again.', 403);
    const clientId = String(details.params.client_id ?? '');
    const props: SignInPageProps = {
      service: config.displayName,
      uid: details.uid,
      csrf: deps.tokens.tokenFor('login', details.uid),
      clientName: trusts.get(clientId)?.displayName ?? clientId,
      providers: choices,
    };
    return { details, props };
  }

  const bodyOf = <T extends z.ZodType>(schema: T, req: Request): z.infer<T> => {
    const parsed = schema.safeParse(req.body ?? {});
    if (!parsed.success) throw new MfaError('invalid_request', 'Fill in every field and try again.', 400);
    return parsed.data;
  };

  router.get('/interaction/:uid', async (req, res, next) => {
    try {
      const { details, props } = await open(req, res, false);
      const hint =
        typeof details.params.login_hint === 'string' ? details.params.login_hint.slice(0, 256) : undefined;
      res.send(
        identifierPage({
          ...props,
          passkeyForm: oidc.passkeySignInForm(details.uid),
          ...(hint ? { identifier: hint } : {}),
        }),
      );
    } catch (err) {
      next(err);
    }
  });

  router.post('/interaction/:uid/identify', form, async (req, res, next) => {
    try {
      const { props } = await open(req, res, true);
      const { identifier, kind } = bodyOf(identifyBody, req);
      const realm = await deps.gate.discover(identifier);
      if (realm) return await deps.federation.begin(res, props.uid, realm.realm, realm.loginHint);
      res.send(passwordPage({ ...props, identifier, accessPass: kind === 'temporaryAccessPass' }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/interaction/:uid/federate/:cp', form, async (req, res, next) => {
    try {
      const { props } = await open(req, res, true);
      await deps.federation.begin(res, props.uid, String(req.params.cp));
    } catch (err) {
      next(err);
    }
  });

  router.post('/interaction/:uid/login', form, async (req, res, next) => {
    try {
      const { details, props } = await open(req, res, true);
      const { identifier, password, kind } = bodyOf(loginBody, req);
      const ctx = oidc.ctxOf(req);
      const result = await deps.gate.signIn({ identifier, secret: password, kind, ...ctx });
      if (result.ok)
        return await oidc.completeFirstFactor(
          provider,
          req,
          res,
          { accountId: result.accountId, amr: result.amr },
          details,
        );
      const error = answerFirstFactorFailure(res, result, kind, deps.federation.displayName);
      res.send(passwordPage({ ...props, identifier, accessPass: kind === 'temporaryAccessPass', error }));
    } catch (err) {
      next(err);
    }
  });

  return router;
}
