// The router's HTML pages: forms with synchronizer CSRF tokens, over the session flow. A
// refusal becomes a redirect (to sign in, or to verify first) or a page with the reason.
import { csrfSync } from 'csrf-sync';
import express, { type Request, type Response } from 'express';
import type { Mfa } from '../engine/create-mfa.ts';
import type { PromptOffer } from '../engine/second-factor.ts';
import type { AuthStamp } from '../engine/stamp.ts';
import { MfaError } from '../errors.ts';
import {
  BODY_LIMIT,
  enrollConfirmBody,
  idParam,
  methodKindParam,
  parseBody,
  stepUpBody,
  verifyBody,
} from '../web/bodies.ts';
import { beginRefusal, enrollmentFieldsOf, pageWordsOf, sendBody } from '../web/code-sends.ts';
import { CODE_FAILED, FAILURE_MESSAGES } from '../web/failures.ts';
import * as pages from '../web/pages.ts';
import { safeReturnTo } from '../web/session.ts';
import { settingsPage } from '../web/settings-page.ts';
import { addAppPasswordHtmlRoutes } from './app-password-html.ts';
import type { MfaExpress } from './create-mfa-express.ts';
import type { SessionFlow, StampAccess } from './session-flow.ts';

/** A prompt for a sign-in that is gone: no passkey challenge, no phone to send to. */
const NOTHING_OFFERED: PromptOffer = { challenges: [], senders: [] };

const NOTICES: Record<string, string> = {
  enrolled: 'Your new sign-in method is set up.',
  removed: 'The method was removed.',
  default_changed: 'Your default sign-in method is changed: sign-in offers it first.',
  default_cleared: 'You have no default sign-in method now: sign-in offers your methods in their order.',
  revoked: 'The device will be asked for verification again.',
  app_password_deleted: 'The app password was deleted: apps using it can no longer sign in with it.',
  app_password_form_used:
    'That form was already used: nothing new was created. Create another below if you need one.',
};

export function createHtmlRoutes(mfa: Mfa, web: MfaExpress, flow: SessionFlow) {
  const { basePath, loginPath, defaultReturnTo } = web.options;
  const { generateToken, csrfSynchronisedProtection } = csrfSync({
    getTokenFromRequest: (req) => (req.body as { _csrf?: string } | undefined)?._csrf,
    errorConfig: {
      statusCode: 403,
      message: 'This form has expired. Reload the page and try again.',
      code: 'csrf_invalid',
    },
  });
  const page = (req: Request): pages.PageContext => ({
    basePath,
    csrfToken: generateToken(req),
    issuer: mfa.settings.issuer,
  });
  const expiredPage = (req: Request, res: Response, status: number, message: string) =>
    res
      .status(status)
      .send(
        pages.messagePage(page(req), 'Sign-in expired', message, { href: loginPath, text: 'Sign in again' }),
      );

  /** The stamp, or the answer to its absence: sign in (again), verify first, or the policy's reason. */
  const accessOr = (req: Request, res: Response, access: StampAccess) => {
    if (access.ok) return access.stamp;
    if (access.reason === 'registration_blocked') {
      res.status(403).send(
        pages.messagePage(page(req), 'Not allowed here', access.message, {
          href: defaultReturnTo,
          text: 'Back',
        }),
      );
      return null;
    }
    const back = encodeURIComponent(safeReturnTo(req.originalUrl, `${basePath}/settings`));
    res.redirect(
      303,
      access.reason === 'reverify_required'
        ? `${basePath}/verify?returnTo=${back}`
        : `${loginPath}?returnTo=${back}`,
    );
    return null;
  };

  /** A phone's setup page links here for a new code or number: the method's form again. */
  const sendAgainOf = (kind: string) => `${basePath}/enroll?method=${kind}&new=1`;

  /** What the prompt shows of the pending sign-in: the policy's reason, and the remember-device offer. */
  const promptFacts = (pending: Awaited<ReturnType<Mfa['getPending']>>) => ({
    rememberDays: pending?.rememberDays ?? null,
    ...(pending?.userMessage ? { notice: pending.userMessage } : {}),
  });

  const html = express.Router();
  html.use(
    express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 20 }),
    csrfSynchronisedProtection,
  );
  const appPasswordSettings = addAppPasswordHtmlRoutes(html, mfa, web, flow, { page, accessOr });

  html.get('/prompt', async (req, res) => {
    const pendingId = req.session?.mfakit?.pendingId;
    const pending = pendingId ? await mfa.getPending(pendingId) : null;
    if (!pending) return res.redirect(303, loginPath);
    if (pending.mustEnroll) return res.redirect(303, `${basePath}/enroll`);
    res.send(
      pages.promptPage(page(req), {
        ...promptFacts(pending),
        returnTo: '',
        ...(await mfa.pendingPrompt(pending)),
      }),
    );
  });
  html.post('/prompt', async (req, res) => {
    const result = await flow.verify(req, res, parseBody(verifyBody, req.body));
    switch (result.kind) {
      case 'no_pending':
        return res.redirect(303, loginPath);
      case 'must_enroll':
        return res.redirect(303, `${basePath}/enroll`);
      case 'complete':
        return res.redirect(303, result.returnTo);
      case 'failed':
        if (result.answer.error === 'pending_expired')
          return expiredPage(req, res, result.answer.status, result.answer.message);
        // A notification not yet approved (202): the same number and Continue, not an error.
        return res.status(result.answer.status).send(
          pages.promptPage(page(req), {
            ...promptFacts(result.pending),
            ...pageWordsOf(result.answer),
            returnTo: '',
            ...(result.pending ? await mfa.pendingPrompt(result.pending) : NOTHING_OFFERED),
          }),
        );
    }
  });
  /**
   * The page a send answers with, saying `said` (a code sent; a notification's number and
   * Continue; why not): the prompt of the pending sign-in, or the verify page of the session's
   * step-up (`stamp`).
   */
  const sendPage = async (
    req: Request,
    res: Response,
    stamp: AuthStamp | null,
    returnTo: string | undefined,
    status: number,
    said: ReturnType<typeof pageWordsOf>,
  ) => {
    if (stamp === null) {
      const pendingId = req.session?.mfakit?.pendingId;
      const pending = pendingId ? await mfa.getPending(pendingId) : null;
      return res.status(status).send(
        pages.promptPage(page(req), {
          ...promptFacts(pending),
          ...said,
          returnTo: '',
          ...(pending ? await mfa.pendingPrompt(pending) : NOTHING_OFFERED),
        }),
      );
    }
    res.status(status).send(
      pages.verifyPage(page(req), {
        ...said,
        returnTo: safeReturnTo(returnTo, `${basePath}/settings`),
        ...(await flow.stepUpPrompt(req, stamp)),
        reason:
          req.session?.mfakit?.stepUp?.message ?? 'For your security, enter a code before you continue.',
      }),
    );
  };

  // A code by text message or call, or a notification, on demand: for the pending sign-in, or a step-up of the session.
  html.post('/send', async (req, res) => {
    const body = parseBody(sendBody, req.body);
    // Refused sends come back as answers too (notifications paused after a fraud report: 403),
    // shown on the same page with the other methods.
    const sent = await flow.sendCode(req, res, body.methodId);
    if (!('kind' in sent)) return accessOr(req, res, sent);
    if (sent.kind === 'no_pending') return res.redirect(303, loginPath);
    const { answer } = sent;
    if (!answer.ok && answer.error === 'pending_expired')
      return expiredPage(req, res, answer.status, answer.message);
    // A code sent, or a notification to approve: its number and Continue (or why not).
    const stamp = sent.kind === 'prompt' ? null : sent.stamp;
    return sendPage(req, res, stamp, body.returnTo, answer.status, pageWordsOf(answer));
  });
  html.post('/cancel', async (req, res) => {
    await web.logout(req);
    res.redirect(303, loginPath);
  });

  html.get('/enroll', async (req, res) => {
    const requested = typeof req.query.method === 'string' ? req.query.method : undefined;
    const state = req.session?.mfakit;
    const atSignIn = state?.pendingId && !state.stamp ? state.pendingId : undefined;
    const choices = atSignIn ? await mfa.pendingEnrollmentKinds(atSignIn) : mfa.enrollment.available();
    if (requested === undefined && !state?.draftKind && choices.length > 1) {
      // Several kinds the user may register (an authenticator app, a passkey): the user chooses.
      if (atSignIn) {
        const pending = await mfa.getPending(atSignIn);
        if (!pending) return expiredPage(req, res, 401, FAILURE_MESSAGES.expired);
        if (!pending.mustEnroll) return res.redirect(303, `${basePath}/prompt`);
      } else if (!accessOr(req, res, await flow.mayChangeSecurityInfo(req))) return;
      return res.send(
        pages.enrollChooserPage(page(req), { methods: choices, firstMethod: Boolean(atSignIn) }),
      );
    }
    // `new=1`: a new draft rather than the session's (a phone's code that never came: ask again).
    const started = await flow.beginEnroll(
      req,
      req.query.new !== '1',
      requested === undefined ? undefined : parseBody(methodKindParam, requested),
    );
    if (started.kind === 'no_enrollment') return res.redirect(303, `${basePath}/prompt`);
    if (started.kind === 'refused') return accessOr(req, res, started.access);
    if (started.kind === 'needs_fields') return res.send(pages.enrollFieldsPage(page(req), started));
    res.send(
      pages.enrollPage(page(req), {
        draft: started.draft,
        sendAgain: sendAgainOf(started.draft.kind),
        firstMethod: started.firstMethod,
        ...(req.query.error ? { error: CODE_FAILED } : {}),
      }),
    );
  });
  // What a method asks for before it begins (a phone number): then the draft (a code sent to it).
  html.post('/enroll/start', async (req, res) => {
    const kind = parseBody(methodKindParam, (req.body as { method?: unknown }).method);
    const method = mfa.enrollment.available().find((m) => m.kind === kind);
    if (!method) throw new MfaError('unknown_method', 'No such sign-in method can be set up here.', 404);
    const fieldsPage = (status: number, error: string) =>
      res.status(status).send(
        pages.enrollFieldsPage(page(req), {
          method,
          firstMethod: Boolean(req.session?.mfakit?.pendingId && !req.session.mfakit.stamp),
          error,
        }),
      );
    let started: Awaited<ReturnType<SessionFlow['beginEnroll']>>;
    try {
      started = await flow.beginEnroll(req, false, kind, enrollmentFieldsOf(req.body, method.fields) ?? {});
    } catch (err) {
      // The number refused, too many codes, a provider down: the same form again, saying why.
      const refusal = beginRefusal(res, err);
      if (!refusal) throw err;
      return fieldsPage(refusal.status, refusal.message);
    }
    if (started.kind === 'no_enrollment') return res.redirect(303, `${basePath}/prompt`);
    if (started.kind === 'refused') return accessOr(req, res, started.access);
    if (started.kind === 'needs_fields') return fieldsPage(400, 'Fill in every field.');
    res.send(
      pages.enrollPage(page(req), {
        draft: started.draft,
        firstMethod: started.firstMethod,
        sendAgain: sendAgainOf(started.draft.kind),
      }),
    );
  });
  html.post('/enroll', async (req, res) => {
    const result = await flow.confirmEnroll(req, res, parseBody(enrollConfirmBody, req.body));
    switch (result.kind) {
      case 'signed_in':
        // A stronger method registered in interrupt mode: the user has their recovery codes already.
        if (result.recoveryCodes.length === 0) return res.redirect(303, result.returnTo);
        return res.send(
          pages.recoveryCodesPage(page(req), { codes: result.recoveryCodes, continueTo: result.returnTo }),
        );
      case 'enrolled':
        return res.redirect(303, `${basePath}/settings?notice=enrolled`);
      case 'refused':
        return accessOr(req, res, result.access);
      case 'failed':
        if (result.answer.error === 'pending_expired')
          return expiredPage(req, res, 401, result.answer.message);
        return res.redirect(303, `${basePath}/enroll?error=1`);
    }
  });

  html.get('/verify', async (req, res) => {
    const stamp = accessOr(req, res, await flow.signedIn(req, true));
    if (!stamp) return;
    const returnTo = safeReturnTo(req.query.returnTo, `${basePath}/settings`);
    res.send(
      pages.verifyPage(page(req), {
        returnTo,
        ...(await flow.stepUpPrompt(req, stamp)),
        reason:
          req.session?.mfakit?.stepUp?.message ?? 'For your security, enter a code before you continue.',
      }),
    );
  });
  html.post('/verify', async (req, res) => {
    const stamp = accessOr(req, res, await flow.signedIn(req, true));
    if (!stamp) return;
    const body = parseBody(stepUpBody, req.body);
    const returnTo = safeReturnTo(body.returnTo, `${basePath}/settings`);
    const result = await flow.stepUp(req, res, stamp, body);
    if (result.kind === 'verified') return res.redirect(303, returnTo);
    res.status(result.answer.status).send(
      pages.verifyPage(page(req), {
        ...pageWordsOf(result.answer),
        returnTo,
        ...(await flow.stepUpPrompt(req, stamp)),
        reason: result.reason ?? 'Enter a code to continue.',
      }),
    );
  });

  html.get('/settings', async (req, res) => {
    const stamp = accessOr(req, res, await flow.signedIn(req));
    if (!stamp) return;
    const [methods, recoveryRemaining, devices, userLabel, appPasswords] = await Promise.all([
      mfa.methods.list(stamp.userId),
      mfa.recoveryCodes.remaining(stamp.userId),
      mfa.devices.list(stamp.userId),
      web.options.displayName(stamp.userId),
      appPasswordSettings(req, stamp.userId),
    ]);
    const notice = typeof req.query.notice === 'string' ? NOTICES[req.query.notice] : undefined;
    res.send(
      settingsPage(page(req), {
        userLabel,
        methods,
        enrollable: mfa.enrollment.available(),
        recoveryRemaining,
        devices,
        now: mfa.clock.now(),
        ...(notice ? { notice } : {}),
        ...(appPasswords ? { appPasswords } : {}),
      }),
    );
  });
  html.post('/methods/:id/remove', async (req, res) => {
    const stamp = accessOr(req, res, await flow.mayChangeSecurityInfo(req));
    if (!stamp) return;
    const removed = await mfa.methods.remove(stamp.userId, parseBody(idParam, req.params.id), web.ctxOf(req));
    if (!removed) throw new MfaError('not_found', 'No such method.', 404);
    res.redirect(303, `${basePath}/settings?notice=removed`);
  });
  // Which of the user's own methods a prompt offers first (and RADIUS sends to at once): a
  // signed-in session may choose (each method still proves itself, and anyone with the password
  // could ask for any of them), unlike adding or removing one, which needs a fresh second factor.
  html.post('/methods/:id/default', async (req, res) => {
    const stamp = accessOr(req, res, await flow.signedIn(req));
    if (!stamp) return;
    const methodId = parseBody(idParam, req.params.id);
    if (!(await mfa.methods.setDefault(stamp.userId, methodId, web.ctxOf(req))))
      throw new MfaError('unknown_method', 'No such sign-in method.', 404);
    res.redirect(303, `${basePath}/settings?notice=default_changed`);
  });
  html.post('/default-method/clear', async (req, res) => {
    const stamp = accessOr(req, res, await flow.signedIn(req));
    if (!stamp) return;
    await mfa.methods.setDefault(stamp.userId, null, web.ctxOf(req));
    res.redirect(303, `${basePath}/settings?notice=default_cleared`);
  });
  html.post('/recovery-codes', async (req, res) => {
    const stamp = accessOr(req, res, await flow.mayChangeSecurityInfo(req));
    if (!stamp) return;
    const codes = await mfa.recoveryCodes.regenerate(stamp.userId, web.ctxOf(req));
    res.send(pages.recoveryCodesPage(page(req), { codes, continueTo: `${basePath}/settings` }));
  });
  html.post('/devices/:id/revoke', async (req, res) => {
    const stamp = accessOr(req, res, await flow.signedIn(req));
    if (!stamp) return;
    const ok = await mfa.devices.revoke(stamp.userId, parseBody(idParam, req.params.id), web.ctxOf(req));
    if (!ok) throw new MfaError('not_found', 'No such remembered device.', 404);
    res.redirect(303, `${basePath}/settings?notice=revoked`);
  });
  html.post('/devices/revoke-all', async (req, res) => {
    const stamp = accessOr(req, res, await flow.signedIn(req));
    if (!stamp) return;
    await mfa.devices.revokeAll(stamp.userId, web.ctxOf(req));
    res.redirect(303, `${basePath}/settings?notice=revoked`);
  });
  return html;
}
