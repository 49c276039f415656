// The second step's page, for `app.get('/login/mfa', mfaPage(mfa))` beside
// `app.post('/login/mfa', passport.authenticate('mfa', …))`: its forms post back to its own
// URL, where the 'mfa' strategy checks them. It shows what the session's sign-in needs next —
// the prompt (a code, a button per passkey challenge, a send button per phone, and the number
// of a notification waiting for approval with its Continue), the registration of a first method
// by a user without one (a chooser at `?method=` when several kinds may be registered: an
// authenticator app, a passkey), or the recovery codes of a registration just done (once) —
// with the message Passport's `failureMessage` left. A visitor with no sign-in in progress is
// sent to the first step. Its stylesheet and WebAuthn scripts are mfakit/express's router's
// assets (`basePath/assets/…`).
import type { NextFunction, Request, Response } from 'express';
import type { Mfa } from '../engine/mfa.ts';
import { MfaError } from '../errors.ts';
import { beginOrAsk } from '../web/code-sends.ts';
import { answerOutage } from '../web/outage.ts';
import { setPageHeaders } from '../web/page-headers.ts';
import * as pages from '../web/pages.ts';
import { saveSession } from '../web/session.ts';
import {
  completedStamp,
  forgetPending,
  NO_SESSION,
  pagePathOf,
  requestContextOf,
  takeMessage,
} from './passport-session.ts';

export interface MfaPageOptions {
  /** Your first step's page: a visitor with no sign-in in progress is sent there. Default '/login'. */
  loginPath?: string;
  /**
   * Where mfakit/express's router is mounted: the page loads its assets from there (the
   * stylesheet, and on passkey pages the WebAuthn scripts). Default '/mfa'.
   */
  basePath?: string;
  /** The account name shown in authenticator apps for a user id. Default: the id. */
  displayName?: (userId: string) => string | Promise<string>;
  /** The CSRF token your POST routes check, sent in each form as `_csrf` (e.g. from csrf-sync). */
  csrfToken?: (req: Request) => string;
  /** A route that cancels the sign-in (e.g. your logout route, running `logoutMfa()`): the prompt offers it. */
  cancelPath?: string;
}

export function mfaPage(
  mfa: Mfa,
  options: MfaPageOptions = {},
): (req: Request, res: Response, next: NextFunction) => void {
  const loginPath = options.loginPath ?? '/login';
  const basePath = (options.basePath ?? '/mfa').replace(/\/$/, '');
  const displayName = options.displayName ?? ((userId: string) => userId);

  async function render(req: Request, res: Response): Promise<void> {
    if (!req.session) throw new Error(NO_SESSION);
    const state = req.session.mfakit;
    const ctx: pages.PageContext = {
      basePath,
      csrfToken: options.csrfToken?.(req) ?? '',
      issuer: mfa.settings.issuer,
    };
    const action = pagePathOf(req);
    setPageHeaders(res);

    if (state && (await completedStamp(mfa, state))) {
      const codes = state.completed?.recoveryCodes;
      delete state.completed?.recoveryCodes;
      delete req.session.messages;
      await saveSession(req);
      res.send(
        codes
          ? pages.recoveryCodesPage(ctx, { codes, continueTo: { action } })
          : pages.recoveryCodesShownPage(ctx, { continueTo: { action } }),
      );
      return;
    }
    const pending = state?.pendingId ? await mfa.getPending(state.pendingId) : null;
    if (!state || !pending) {
      if (state) forgetPending(state);
      // Passport's messages stay for your sign-in page.
      return res.redirect(303, loginPath);
    }
    const error = takeMessage(req);
    if (pending.mustEnroll) {
      // What this sign-in may register: any kind for a first method, the stronger one in interrupt mode.
      const choices = await mfa.pendingEnrollmentKinds(pending.id);
      const chosen = choiceOf(req, choices);
      if (chosen === undefined && state.draftKind === undefined && choices.length > 1) {
        // Several kinds users may register (an authenticator app, a passkey): the user chooses.
        await saveSession(req);
        res.send(pages.enrollChooserPage(ctx, { methods: choices, firstMethod: true, action }));
        return;
      }
      // The method to set up: the one chosen, else the one begun, else the only one offered.
      const kind = chosen ?? state.draftKind ?? choices[0]?.kind ?? 'totp';
      const method = choices.find((m) => m.kind === kind);
      // `new=1` (the setup page's "send a new one"): not the draft begun, the method's form again.
      const resumeId = state.draftKind === kind && req.query.new !== '1' ? state.draftId : undefined;
      // A method that asks for something first (a phone number): its form, posting here.
      const askFor = async () => {
        await saveSession(req);
        res.send(
          pages.enrollFieldsPage(ctx, {
            method: method ?? { kind, title: kind, fields: [] },
            firstMethod: true,
            action,
            ...(error ? { error } : {}),
          }),
        );
      };
      const draft = await beginOrAsk(async () =>
        mfa.beginPendingEnrollment(pending.id, kind, await displayName(pending.userId), resumeId),
      ).catch((err: unknown) => {
        if (err instanceof MfaError) return err;
        throw err;
      });
      if (draft === 'ask') return askFor();
      if (draft instanceof MfaError) {
        // The registration rule refused (the first factor grew too old, a policy): say why, never loop.
        forgetPending(state);
        await saveSession(req);
        res.status(draft.status).send(
          pages.messagePage(ctx, 'Sign-in refused', draft.message, {
            href: loginPath,
            text: 'Sign in again',
          }),
        );
        return;
      }
      if (draft) {
        state.draftId = draft.draftId;
        state.draftKind = draft.kind;
        await saveSession(req);
        res.send(
          pages.enrollPage(ctx, {
            draft,
            firstMethod: true,
            action,
            sendAgain: `${action}?method=${draft.kind}&new=1`,
            ...(error ? { error } : {}),
          }),
        );
        return;
      }
    }
    // A notification waiting for the app's answer comes with it (`approval`): its number and
    // Continue, until it is answered or lapses.
    const { challenges, senders, approval, defaultMethod } = await mfa.pendingPrompt(pending);
    // "We sent a code to …": said once, after the send (the strategy's redirect here).
    const notice = state.notice ?? pending.userMessage;
    delete state.notice;
    await saveSession(req);
    res.send(
      pages.promptPage(ctx, {
        challenges,
        senders,
        sendAction: action,
        rememberDays: pending.rememberDays,
        action,
        cancelAction: options.cancelPath ?? null,
        ...(notice ? { notice } : {}),
        ...(error ? { error } : {}),
        ...(approval ? { approval } : {}),
        ...(defaultMethod ? { defaultMethod } : {}),
      }),
    );
  }

  return (req, res, next) => {
    render(req, res).catch((err: unknown) => {
      // A store that fails: 503, nothing shown that it could not check, the outage audited.
      if (res.headersSent || !mfa.reportOutage(err, requestContextOf(mfa, req))) return next(err);
      const page = { basePath, csrfToken: '', issuer: mfa.settings.issuer };
      answerOutage(res, { html: true, page, link: { href: loginPath, text: 'Back to sign-in' } });
    });
  };
}

/** The method kind the chooser's link asked for (`?method=`), if users may register it. */
function choiceOf(req: Request, choices: readonly { kind: string }[]): string | undefined {
  const requested = req.query.method;
  return choices.find((c) => c.kind === requested)?.kind;
}
