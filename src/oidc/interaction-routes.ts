// The MFA step's pages, below `<basePath>/:uid/mfa`: the prompt (a code, or a passkey's answer),
// enrollment (a chooser when several kinds may be registered, then the QR code or the passkey
// ceremony, then recovery codes), cancel, the pages' assets (the stylesheet and the WebAuthn
// client), and passwordless sign-in from the login page (passkey-sign-in.ts). Every request is
// matched to the browser's interaction cookie by oidc-provider, and every form carries this
// interaction's own token. A store that fails stops the step with 503 (nothing is finished) and
// is audited (mfa.reportOutage).
import express, { type NextFunction, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Mfa } from '../engine/create-mfa.ts';
import { MfaError } from '../errors.ts';
import { BODY_LIMIT, enrollConfirmBody, methodKindParam, parseBody, verifyBody } from '../web/bodies.ts';
import { answerSend, beginRefusal, enrollmentFieldsOf, sendBody } from '../web/code-sends.ts';
import type { FailureAnswer } from '../web/failures.ts';
import { STYLE_CSS } from '../web/html.ts';
import { answerOutage } from '../web/outage.ts';
import { setPageHeaders } from '../web/page-headers.ts';
import * as pages from '../web/pages.ts';
import { createPendingFlow } from '../web/pending-flow.ts';
import { webauthnScripts } from '../web/webauthn-assets.ts';
import { sameToken } from './interaction-records.ts';
import type { OidcMfa } from './oidc-mfa.ts';
import { createPasskeySignInRoutes } from './passkey-sign-in.ts';
import { createStepPages, RESTART_AT_APP, saidOf } from './step-pages.ts';

export function createMfaInteractionRouter(oidc: OidcMfa, mfa: Mfa, provider: Provider) {
  const router = express.Router({ mergeParams: true });
  // A passkey's answer is a few kB (BODY_LIMIT); everything else is a code and the form token.
  const form = express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 20 });
  const { pageOf, show } = createStepPages(oidc, mfa);

  const uidOf = (req: Request) => String(req.params.uid ?? '');
  // A session ended by RP-initiated logout takes its stamp with it (else it would expire on its own).
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    const session = ctx.oidc.session as
      | (KoaContextWithOIDC['oidc']['session'] & { destroyed?: boolean })
      | undefined;
    if (session?.destroyed && session.uid) oidc.stamps.forget(session.uid).catch(() => {});
  });

  /** The interaction (cookie-bound), and mfakit's record of it; a POST must carry the record's token. */
  async function open(req: Request, res: Response, post: boolean) {
    const details = await oidc.interactionFor(provider, req, res, uidOf(req));
    // The forms here end, through /auth/:uid, at this client's redirect URI (code or error).
    const redirectUri = details.params.redirect_uri;
    setPageHeaders(res, { formTargets: typeof redirectUri === 'string' ? [redirectUri] : [] });
    const record = await oidc.records.get(details.uid);
    // No form body (another content type) carries no token: refused like a wrong one, not a 500.
    const token = (req.body as { _csrf?: unknown } | undefined)?._csrf;
    if (post && (!record || !sameToken(record.csrf, token)))
      throw new MfaError('csrf_invalid', 'This form has expired. Reload the page and try again.', 403);
    return { details, record };
  }

  const pending = createPendingFlow(mfa);
  /** The shared answer; an expired sign-in restarts at the application, not at a login page here. */
  const restartAtApp = (answer: FailureAnswer) =>
    answer.error === 'pending_expired' ? { ...answer, message: RESTART_AT_APP } : answer;

  const handle =
    (fn: (req: Request, res: Response) => Promise<unknown>) =>
    (req: Request, res: Response, next: NextFunction) =>
      fn(req, res).catch(next);

  // Only mfakit's own paths: the IdP's login page may share the base path.
  router.use('/:uid/mfa', (_req, res, next) => {
    setPageHeaders(res);
    next();
  });
  // The pages' stylesheet and, for the passkey forms, the WebAuthn client (served from this package).
  const assets: Record<string, [type: string, body: () => string]> = {
    'style.css': ['text/css', () => STYLE_CSS],
    'webauthn-browser.js': ['text/javascript', () => webauthnScripts().browser],
    'webauthn-client.js': ['text/javascript', () => webauthnScripts().client],
  };
  for (const [name, [type, body]] of Object.entries(assets))
    router.get(`/:uid/mfa/assets/${name}`, (_req, res) => {
      res.type(type).set('Cache-Control', 'public, max-age=3600').send(body());
    });

  router.get(
    '/:uid/mfa',
    handle(async (req, res) => {
      const { details, record } = await open(req, res, false);
      if (record) return show(res, details, record);
      if (details.prompt.name !== 'mfa')
        throw new MfaError('no_pending_signin', 'There is no sign-in waiting for a code here.', 400);
      const started = await oidc.beginStepUp(provider, req, res, details);
      if (started) return show(res, details, started);
    }),
  );

  router.post(
    '/:uid/mfa/prompt',
    form,
    handle(async (req, res) => {
      const { details, record } = await open(req, res, true);
      if (!record)
        throw new MfaError('no_pending_signin', 'There is no sign-in waiting for a code here.', 400);
      const result = await pending.verifyCode(
        req,
        res,
        record.pendingId,
        parseBody(verifyBody, req.body),
        oidc.ctxOf(req),
      );
      if (result.kind === 'must_enroll') return show(res, details, record);
      // A notification not answered yet (202) is the prompt again with its number and Continue.
      if (result.kind === 'failed') return show(res, details, record, saidOf(restartAtApp(result.answer)));
      // The pending sign-in is consumed; the record goes with it (a replayed POST finds neither),
      // taken while the result is made (both before the interaction is finished).
      const [, outcome] = await Promise.all([
        oidc.records.take(details.uid),
        oidc.resultFor(details, result.stamp, record.keepAuthTime),
      ]);
      await oidc.finish(provider, req, res, outcome);
    }),
  );

  // A code by text message or call, or a notification, on demand (the prompt's buttons): the
  // prompt again, saying so (for a notification, its number and Continue).
  router.post(
    '/:uid/mfa/send',
    form,
    handle(async (req, res) => {
      const { details, record } = await open(req, res, true);
      if (!record)
        throw new MfaError('no_pending_signin', 'There is no sign-in waiting for a code here.', 400);
      const { methodId } = parseBody(sendBody, req.body);
      const answer = answerSend(res, await mfa.sendPendingCode(record.pendingId, methodId, oidc.ctxOf(req)));
      if (answer.ok) return show(res, details, record, saidOf(answer));
      const message = answer.error === 'pending_expired' ? RESTART_AT_APP : answer.message;
      return show(res, details, record, { status: answer.status, message });
    }),
  );

  // What a first method asks for before it begins (a phone number): then its setup page.
  router.post(
    '/:uid/mfa/enroll/start',
    form,
    handle(async (req, res) => {
      const { details, record } = await open(req, res, true);
      if (!record) throw new MfaError('no_pending_signin', 'There is no sign-in waiting here.', 400);
      const kind = parseBody(methodKindParam, (req.body as { method?: unknown }).method);
      const method = (await mfa.pendingEnrollmentKinds(record.pendingId)).find((m) => m.kind === kind);
      if (!method) throw new MfaError('unknown_method', 'That sign-in method cannot be set up here.', 404);
      const { draftId: _draft, ...chosen } = { ...record, draftKind: kind };
      const pendingSignIn = await mfa.getPending(record.pendingId);
      if (!pendingSignIn) return show(res, details, record);
      try {
        const draft = await mfa.beginPendingEnrollment(
          record.pendingId,
          kind,
          await oidc.displayName(pendingSignIn.userId),
          undefined,
          enrollmentFieldsOf(req.body, method.fields) ?? {},
        );
        if (!draft) return show(res, details, record);
        const started = { ...chosen, draftId: draft.draftId };
        await oidc.records.update(details.uid, started);
        return show(res, details, started);
      } catch (err) {
        // The number refused, too many codes, a provider down: the same form again, saying why.
        const refusal = beginRefusal(res, err);
        if (!refusal) throw err;
        await oidc.records.update(details.uid, chosen);
        return show(res, details, chosen, refusal);
      }
    }),
  );

  // The choice of a first method (the chooser's links): kept on the record, then the setup page.
  // Without `method`, back to the chooser. A GET, as it only selects what the next page shows.
  router.get(
    '/:uid/mfa/enroll',
    handle(async (req, res) => {
      const { details, record } = await open(req, res, false);
      if (!record) throw new MfaError('no_pending_signin', 'There is no sign-in waiting here.', 400);
      const requested = req.query.method;
      const kind = requested === undefined ? undefined : parseBody(methodKindParam, requested);
      const kinds = await mfa.pendingEnrollmentKinds(record.pendingId);
      if (kind !== undefined && !kinds.some((m) => m.kind === kind))
        throw new MfaError('unknown_method', 'That sign-in method cannot be set up here.', 404);
      const { draftId: _draft, draftKind: _kind, ...rest } = record;
      await oidc.records.update(details.uid, kind === undefined ? rest : { ...rest, draftKind: kind });
      res.redirect(303, `${oidc.basePath}/${details.uid}/mfa`);
    }),
  );

  router.post(
    '/:uid/mfa/enroll',
    form,
    handle(async (req, res) => {
      const { details, record } = await open(req, res, true);
      if (!record) throw new MfaError('no_pending_signin', 'There is no sign-in waiting here.', 400);
      const body = parseBody(enrollConfirmBody, req.body);
      if (record.draftId !== body.draftId || record.draftKind === undefined)
        throw new MfaError('draft_unknown', 'This setup has expired. Start again.', 400);
      const result = await pending.confirmFirstMethod(
        res,
        record.pendingId,
        record.draftKind,
        body,
        oidc.ctxOf(req),
      );
      if (result.kind === 'failed') return show(res, details, record, restartAtApp(result.answer));
      await oidc.records.take(details.uid);
      // The result is stored now; the recovery codes are shown once before going back to the app
      // (a stronger method registered in interrupt mode comes with none: straight back).
      const continueTo = await provider.interactionResult(
        req,
        res,
        await oidc.resultFor(details, result.stamp, record.keepAuthTime),
        { mergeWithLastSubmission: false },
      );
      if (result.recoveryCodes.length === 0) return res.redirect(303, continueTo);
      return res.send(
        pages.recoveryCodesPage(pageOf(details.uid, record), { codes: result.recoveryCodes, continueTo }),
      );
    }),
  );

  router.post(
    '/:uid/mfa/cancel',
    form,
    handle(async (req, res) => {
      const { details, record } = await open(req, res, true);
      if (record) {
        await mfa.cancelPending(record.pendingId);
        await oidc.records.take(details.uid);
      }
      await oidc.finish(provider, req, res, {
        error: 'access_denied',
        error_description: 'The sign-in was cancelled.',
      });
    }),
  );

  // Passwordless sign-in from the IdP's login page (its form: oidc.passkeySignInForm(uid)).
  router.use(
    createPasskeySignInRoutes({
      oidc,
      mfa,
      provider,
      allowed: oidc.passkeySignInAllowed,
      complete: (req, res, first, details) => oidc.completeFirstFactor(provider, req, res, first, details),
    }),
  );

  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const ctx = {
      basePath: `${oidc.basePath}/${encodeURIComponent(uidOf(req))}/mfa`,
      csrfToken: '',
      issuer: mfa.settings.issuer,
    };
    if (!res.headersSent && mfa.reportOutage(err, oidc.ctxOf(req)))
      return answerOutage(res, { html: req.accepts('html') !== false, page: ctx });
    if (!(err instanceof MfaError)) return next(err);
    const status = err.status;
    if (!req.accepts('html')) return res.status(status).json({ error: err.code, message: err.message });
    return res.status(status).send(pages.messagePage(ctx, 'Sign-in problem', err.message));
  });
  return router;
}
