// The MFA step's pages, below `<basePath>/:uid/mfa`: the code prompt, first-method enrollment
// (QR code, then recovery codes) and cancel. Every request is matched to the browser's
// interaction cookie by oidc-provider, and every form carries this interaction's own token.
import express, { type NextFunction, type Request, type Response } from 'express';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Mfa } from '../engine/create-mfa.ts';
import { MfaError } from '../errors.ts';
import { enrollConfirmBody, parseBody, verifyBody } from '../web/bodies.ts';
import type { FailureAnswer } from '../web/failures.ts';
import { STYLE_CSS } from '../web/html.ts';
import { setPageHeaders } from '../web/page-headers.ts';
import * as pages from '../web/pages.ts';
import { createPendingFlow } from '../web/pending-flow.ts';
import type { InteractionRecord } from './interaction-records.ts';
import { sameToken } from './interaction-records.ts';
import type { InteractionView, OidcMfa } from './oidc-mfa.ts';

const RESTART_AT_APP = 'Your sign-in has expired. Start again from the application.';

export function createMfaInteractionRouter(oidc: OidcMfa, mfa: Mfa, provider: Provider) {
  const router = express.Router({ mergeParams: true });
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });
  const pageOf = (uid: string, record: InteractionRecord): pages.PageContext => ({
    basePath: `${oidc.basePath}/${uid}/mfa`,
    csrfToken: record.csrf,
    issuer: mfa.settings.issuer,
  });

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
    if (post && (!record || !sameToken(record.csrf, (req.body as { _csrf?: unknown })._csrf)))
      throw new MfaError('csrf_invalid', 'This form has expired. Reload the page and try again.', 403);
    return { details, record };
  }

  const pending = createPendingFlow(mfa);
  /** The shared answer; an expired sign-in restarts at the application, not at a login page here. */
  const restartAtApp = (answer: FailureAnswer) =>
    answer.error === 'pending_expired' ? { ...answer, message: RESTART_AT_APP } : answer;

  const expired = (res: Response, uid: string, record: InteractionRecord) =>
    res.status(401).send(pages.messagePage(pageOf(uid, record), 'Sign-in expired', RESTART_AT_APP));

  /** The prompt, or the enrollment page when the account has no method yet. */
  async function show(
    res: Response,
    details: InteractionView,
    record: InteractionRecord,
    error?: { status: number; message: string },
  ) {
    const pending = await mfa.getPending(record.pendingId);
    if (!pending) return expired(res, details.uid, record);
    const ctx = pageOf(details.uid, record);
    if (pending.mustEnroll) {
      // The method the user is setting up (the first the options enable for users, for now).
      const kind = record.draftKind ?? mfa.enrollment.available()[0]?.kind;
      if (kind === undefined)
        throw new MfaError('unknown_method', 'No sign-in method can be set up here.', 404);
      const draft = await mfa.beginPendingEnrollment(
        pending.id,
        kind,
        await oidc.displayName(pending.userId),
        record.draftKind === kind ? record.draftId : undefined,
      );
      if (!draft) return expired(res, details.uid, record);
      await oidc.records.update(details.uid, { ...record, draftId: draft.draftId, draftKind: draft.kind });
      return res
        .status(error?.status ?? 200)
        .send(
          pages.enrollPage(ctx, { draft, firstMethod: true, ...(error ? { error: error.message } : {}) }),
        );
    }
    return res.status(error?.status ?? 200).send(
      pages.promptPage(ctx, {
        rememberDays: pending.rememberDays,
        returnTo: '',
        ...(pending.userMessage ? { notice: pending.userMessage } : {}),
        ...(error ? { error: error.message } : {}),
      }),
    );
  }

  const handle =
    (fn: (req: Request, res: Response) => Promise<unknown>) =>
    (req: Request, res: Response, next: NextFunction) =>
      fn(req, res).catch(next);

  // Only mfakit's own paths: the IdP's login page may share the base path.
  router.use('/:uid/mfa', (_req, res, next) => {
    setPageHeaders(res);
    next();
  });
  router.get('/:uid/mfa/assets/style.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(STYLE_CSS);
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
      if (result.kind === 'failed') return show(res, details, record, restartAtApp(result.answer));
      // The pending sign-in is consumed; the record goes with it (a replayed POST finds neither).
      await oidc.records.take(details.uid);
      await oidc.finish(
        provider,
        req,
        res,
        await oidc.loginResult(await oidc.raised(details, result.stamp), record.keepAuthTime),
      );
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
      // The result is stored now; the recovery codes are shown once before going back to the app.
      const continueTo = await provider.interactionResult(
        req,
        res,
        await oidc.loginResult(await oidc.raised(details, result.stamp), record.keepAuthTime),
        { mergeWithLastSubmission: false },
      );
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

  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(err instanceof MfaError)) return next(err);
    const status = err.status;
    const ctx = {
      basePath: `${oidc.basePath}/${encodeURIComponent(uidOf(req))}/mfa`,
      csrfToken: '',
      issuer: mfa.settings.issuer,
    };
    if (!req.accepts('html')) return res.status(status).json({ error: err.code, message: err.message });
    return res.status(status).send(pages.messagePage(ctx, 'Sign-in problem', err.message));
  });
  return router;
}

/** Mounts the MFA pages at the integration's `basePath` of an Express app. */
export function mountMfaInteractions(
  app: express.Express,
  oidc: OidcMfa,
  mfa: Mfa,
  provider: Provider,
): void {
  app.use(oidc.basePath, createMfaInteractionRouter(oidc, mfa, provider));
}
