// Passwordless sign-in in the Express router: `GET passkey/options` hands the browser a
// challenge (kept in the session, so only this browser can use it: no login CSRF), and
// `POST passkey` (form or JSON) checks the answer and starts the sign-in with the passkey as the
// first factor — `beginSignIn`, as after a password, so policies still apply. Your login page
// adds the form from `passkeySignInForm()` and `autocomplete="username webauthn"` on its user
// name field (conditional UI: the browser offers passkeys as the user types).
import express, { type Request, type Response } from 'express';
import type { Mfa } from '../engine/create-mfa.ts';
import { MfaError } from '../errors.ts';
import { BODY_LIMIT, parseBody, passkeySignInBody } from '../web/bodies.ts';
import { answerPasskeyRefusal } from '../web/first-factor-failure.ts';
import { html } from '../web/html.ts';
import * as pages from '../web/pages.ts';
import { ceremonyForm, webauthnScriptTags } from '../web/passkey-forms.ts';
import { saveSession, sessionState } from '../web/session.ts';
import type { MfaExpress } from './create-mfa-express.ts';

const REFUSED = 'That passkey was not accepted. Try again, or sign in with your password.';

export function createPasskeyRoutes(mfa: Mfa, web: MfaExpress) {
  const { basePath, loginPath } = web.options;
  const routes = express.Router();
  routes.get('/passkey/options', async (req: Request, res: Response) => {
    if (mfa.passwordless.available().length === 0)
      throw new MfaError('unknown_method', 'No sign-in method here signs in without a password.', 404);
    const started = await mfa.passwordless.begin(undefined, web.ctxOf(req));
    sessionState(req).passkeyChallengeId = started.challengeId;
    await saveSession(req);
    res.json({ challengeId: started.challengeId, options: started.options });
  });
  routes.post(
    '/passkey',
    express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 10 }),
    express.json({ limit: BODY_LIMIT, strict: true }),
    async (req: Request, res: Response) => {
      const body = parseBody(passkeySignInBody, req.body);
      const state = req.session?.mfakit;
      const expected = state?.passkeyChallengeId;
      if (state) delete state.passkeyChallengeId;
      if (expected === undefined || expected !== body.challengeId)
        throw new MfaError('challenge_unknown', 'This passkey sign-in has expired. Try again.', 400);
      const result = await mfa.passwordless.verify(
        body.challengeId,
        { credential: body.credential },
        web.ctxOf(req),
        web.options.passkeySignIn ? { accept: web.options.passkeySignIn } : {},
      );
      if (!result.ok) {
        await saveSession(req);
        const message = answerPasskeyRefusal(res, result, REFUSED);
        if (!web.wantsHtml(req)) return res.json({ error: result.error, message });
        return res.send(
          pages.messagePage(
            { basePath, csrfToken: '', issuer: mfa.settings.issuer },
            'Passkey not accepted',
            message,
            {
              href: loginPath,
              text: 'Back to sign-in',
            },
          ),
        );
      }
      await web.beginSignIn(req, res, {
        userId: result.userId,
        amr: result.amr,
        returnTo: body.returnTo,
        firstFactorMethodId: result.methodId,
      });
    },
  );
  return routes;
}

/**
 * The passkey part of your login page (HTML): a form the WebAuthn client starts with conditional
 * UI (autofill) as soon as the page loads, and as a button; plus its scripts. Put it after your
 * password form, whose user name input has `autocomplete="username webauthn"`. `action`: where
 * the answer is posted (default the router's `basePath/passkey`; with Passport, your route
 * running mfakit/passport's 'passkey' strategy).
 */
export function passkeySignInForm(
  basePath: string,
  options: { returnTo?: string; action?: string } = {},
): string {
  return html`${ceremonyForm({
    id: 'mfakit-passkey-sign-in',
    mode: 'autofill',
    action: options.action ?? `${basePath}/passkey`,
    label: 'Sign in with a passkey',
    optionsUrl: `${basePath}/passkey/options`,
    hidden: options.returnTo
      ? html`<input type="hidden" name="returnTo" value="${options.returnTo}">`
      : html``,
  })}${webauthnScriptTags(basePath)}`.value;
}
