// Passwordless sign-in at an oidc-provider IdP's login prompt: a passkey as the first factor, with
// no user name and no password. The IdP's login page adds `passkeySignInForm(uid)` (and
// `autocomplete="username webauthn"` on its user name field: conditional UI, the browser offers
// passkeys as the user types); the WebAuthn client then fetches `<uid>/mfa/passkey/options` — a
// challenge kept with this interaction, so only the browser holding its cookie can use it (no
// login CSRF) — and posts the answer to `<uid>/mfa/passkey`, which verifies it once and continues
// exactly as after a password: `completeFirstFactor` with the passkey's `amr`, so decisions and
// policies still apply (a verified passkey is multi-factor and phishing-resistant: acr …:phr).
// Challenges are limited per client address (the engine's passwordless throttle: 429 beyond), and
// failed answers spend the address's first-factor budget with passwords (429, Retry-After beyond).
import express, { type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import type { Mfa } from '../engine/create-mfa.ts';
import { MfaError } from '../errors.ts';
import { BODY_LIMIT, parseBody, passkeySignInBody } from '../web/bodies.ts';
import { answerPasskeyRefusal } from '../web/first-factor-failure.ts';
import { html } from '../web/html.ts';
import * as pages from '../web/pages.ts';
import { ceremonyForm, webauthnScriptTags } from '../web/passkey-forms.ts';
import { sameToken } from './interaction-records.ts';
import type { FirstFactor, InteractionView, OidcMfa } from './oidc-mfa.ts';

const REFUSED = 'That passkey was not accepted. Try again, or sign in with your user name.';
const NOT_AT_LOGIN = 'This sign-in is not waiting for a user name or passkey.';

/** The login page's passkey form and the WebAuthn scripts (empty when no method signs in without a password). */
export function passkeySignInForm(mfa: Mfa, basePath: string, uid: string): string {
  if (mfa.passwordless.available().length === 0) return '';
  const base = `${basePath}/${encodeURIComponent(uid)}/mfa`;
  return html`${ceremonyForm({
    id: 'mfakit-passkey-sign-in',
    mode: 'autofill',
    action: `${base}/passkey`,
    label: 'Sign in with a passkey',
    optionsUrl: `${base}/passkey/options`,
    hidden: html``,
  })}${webauthnScriptTags(base)}`.value;
}

export interface PasskeySignInDeps {
  oidc: OidcMfa;
  mfa: Mfa;
  provider: Provider;
  /** Whether this account may sign in with a passkey alone (see OidcMfaOptions.passkeySignIn). */
  allowed: (accountId: string) => boolean | Promise<boolean>;
  /** Continues as after a password, in the interaction the route has read (`details`). */
  complete: (req: Request, res: Response, first: FirstFactor, details: InteractionView) => Promise<unknown>;
}

export function createPasskeySignInRoutes(deps: PasskeySignInDeps) {
  const { oidc, mfa, provider } = deps;
  const router = express.Router({ mergeParams: true });
  const uidOf = (req: Request) => String(req.params.uid ?? '');

  /** The interaction in the URL, this browser's, at its login prompt. */
  async function atLogin(req: Request, res: Response) {
    const details = await oidc.interactionFor(provider, req, res, uidOf(req));
    if (details.prompt.name !== 'login') throw new MfaError('interaction_state', NOT_AT_LOGIN, 400);
    if (mfa.passwordless.available().length === 0)
      throw new MfaError('unknown_method', 'No sign-in method here signs in without a password.', 404);
    return details;
  }

  router.get('/:uid/mfa/passkey/options', async (req, res, next) => {
    try {
      const details = await atLogin(req, res);
      const started = await mfa.passwordless.begin(undefined, oidc.ctxOf(req));
      await oidc.records.putPasskeyChallenge(details.uid, started.challengeId);
      res.json({ challengeId: started.challengeId, options: started.options });
    } catch (err) {
      next(err);
    }
  });

  router.post(
    '/:uid/mfa/passkey',
    express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 10 }),
    async (req, res, next) => {
      try {
        const details = await atLogin(req, res);
        const body = parseBody(passkeySignInBody, req.body);
        const expected = await oidc.records.takePasskeyChallenge(details.uid);
        if (expected === null || !sameToken(expected, body.challengeId))
          throw new MfaError('challenge_unknown', 'This passkey sign-in has expired. Try again.', 400);
        const result = await mfa.passwordless.verify(
          body.challengeId,
          { credential: body.credential },
          oidc.ctxOf(req),
          { accept: deps.allowed },
        );
        if (!result.ok) {
          const ctx = {
            basePath: `${oidc.basePath}/${details.uid}/mfa`,
            csrfToken: '',
            issuer: mfa.settings.issuer,
          };
          const message = answerPasskeyRefusal(res, result, REFUSED);
          return res.send(
            pages.messagePage(ctx, 'Passkey not accepted', message, {
              href: `${oidc.basePath}/${details.uid}`,
              text: 'Back to sign-in',
            }),
          );
        }
        await deps.complete(
          req,
          res,
          { accountId: result.userId, amr: result.amr, methodId: result.methodId },
          details,
        );
      } catch (err) {
        next(err);
      }
    },
  );
  return router;
}
