import { csrfSync } from 'csrf-sync';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { Mfa, VerifyFailure } from '../engine/create-mfa.ts';
import { parseStamp } from '../engine/parse-stamp.ts';
import { REGISTRATION_MESSAGES } from '../engine/registration-rule.ts';
import { MfaError } from '../errors.ts';
import type { GuardReason, MfaExpress } from './create-mfa-express.ts';
import { STYLE_CSS } from './html.ts';
import { setPageHeaders } from './page-headers.ts';
import * as pages from './pages.ts';
import { issueRememberCookie } from './remember-cookie.ts';
import {
  regenerateSession,
  regenerateSessionKeeping,
  safeReturnTo,
  saveSession,
  sessionState,
} from './session.ts';
import { enrollConfirmBody, firstIssue, idParam, stepUpBody, verifyBody } from './validation.ts';

/**
 * The mountable router. HTML pages (forms with CSRF tokens) at the top level, the same
 * operations as JSON under /api (JSON bodies only, which a cross-site form cannot send).
 */
const BODY_LIMIT = '8kb';
const GENERIC_FAILURE = "That code didn't work. Check it and try again.";

type Mode = 'html' | 'api';

export function createMfaRouter(mfa: Mfa, web: MfaExpress) {
  const router = express.Router();
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
  const noStore = (_req: Request, res: Response, next: NextFunction) => {
    setPageHeaders(res);
    next();
  };

  const parse = <T extends z.ZodType>(schema: T, value: unknown): z.infer<T> => {
    const result = schema.safeParse(value ?? {});
    if (!result.success) throw new MfaError('invalid_request', firstIssue(result.error), 400);
    return result.data;
  };

  const failure = (f: VerifyFailure, res: Response): { status: number; error: string; message: string } => {
    switch (f.error) {
      case 'invalid_code':
        return { status: 401, error: 'invalid_code', message: GENERIC_FAILURE };
      case 'locked':
        res.set('Retry-After', String(f.retryAfterSeconds));
        return { status: 429, error: 'locked', message: 'Too many attempts. Try again later.' };
      case 'slow_down':
        res.set('Retry-After', String(f.retryAfterSeconds));
        return {
          status: 429,
          error: 'slow_down',
          message: `Too many attempts. Wait ${f.retryAfterSeconds} seconds and try again.`,
        };
      case 'must_enroll':
        return { status: 409, error: 'must_enroll', message: 'Set up a sign-in method first.' };
      case 'strength_unavailable':
        return { status: 403, error: 'strength_unavailable', message: f.message };
      default:
        return { status: 401, error: 'pending_expired', message: 'Your sign-in has expired. Sign in again.' };
    }
  };

  /**
   * The signed-in, unrevoked stamp, or an error response. `forStepUp`: a stamp that only needs
   * re-verification is accepted (the step-up routes themselves).
   */
  const requireStamp = async (
    req: Request,
    res: Response,
    mode: Mode,
    check: { fresh?: boolean; forStepUp?: boolean } = {},
  ) => {
    const result = await web.currentStamp(req, check.fresh === true, check.forStepUp === true);
    if ('stamp' in result) return result.stamp;
    refuseStamp(req, res, mode, result.reason);
    return null;
  };

  const refuseStamp = (req: Request, res: Response, mode: Mode, reason: GuardReason | 'signin_too_old') => {
    const reverify = reason === 'reverify_required';
    if (mode === 'html') {
      const back = encodeURIComponent(safeReturnTo(req.originalUrl, `${basePath}/settings`));
      res.redirect(303, reverify ? `${basePath}/verify?returnTo=${back}` : `${loginPath}?returnTo=${back}`);
      return;
    }
    const messages = {
      reverify_required: 'Confirm your identity with a second factor first (POST /api/step-up).',
      signin_too_old: REGISTRATION_MESSAGES.signin_too_old,
    } as Record<string, string>;
    res.status(reverify ? 403 : 401).json({
      error: reverify ? 'reverify_required' : 'mfa_required',
      reason,
      message: messages[reason] ?? 'Sign in first.',
    });
  };

  /**
   * Adding or removing a method or regenerating recovery codes: the engine's registration rule
   * (a recent first factor for the first method, a recent second factor for another, and the
   * registration policies). A policy refusal is a 403 with the reason; nothing is changed.
   */
  const requireFreshIfEnrolled = async (req: Request, res: Response, mode: Mode) => {
    const stamp = await requireStamp(req, res, mode);
    if (!stamp) return null;
    const verdict = await mfa.mayRegister(stamp, web.ctxOf(req));
    if (verdict.allowed) return stamp;
    if (verdict.reason !== 'registration_blocked') {
      refuseStamp(req, res, mode, verdict.reason);
      return null;
    }
    if (mode === 'api') res.status(403).json({ error: 'registration_blocked', message: verdict.message });
    else
      res.status(403).send(
        pages.messagePage(page(req), 'Not allowed here', verdict.message, {
          href: defaultReturnTo,
          text: 'Back',
        }),
      );
    return null;
  };

  const rememberCookie = (req: Request, res: Response, userId: string, days: number) =>
    issueRememberCookie(mfa, res, { userId, userAgent: req.get('user-agent') ?? '', days }, web.ctxOf(req));

  const completeSignIn = async (req: Request, stamp: import('../engine/stamp.ts').AuthStamp) => {
    const returnTo = safeReturnTo(sessionState(req).returnTo, defaultReturnTo);
    await regenerateSession(req);
    sessionState(req).stamp = stamp;
    if (web.options.onSignInComplete) await web.options.onSignInComplete(req, stamp);
    await saveSession(req);
    return returnTo;
  };

  router.use(noStore);
  router.get('/assets/style.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(STYLE_CSS);
  });

  // ---------- shared handlers (mode decides the shape of the answer) ----------

  const verify = (mode: Mode) => async (req: Request, res: Response) => {
    const pendingId = req.session?.mfakit?.pendingId;
    if (!pendingId) {
      const message = 'There is no sign-in waiting for a code. Sign in first.';
      return mode === 'api'
        ? res.status(401).json({ error: 'no_pending_signin', message })
        : res.redirect(303, loginPath);
    }
    const body = parse(verifyBody, req.body);
    const outcome = await mfa.verifyPending(
      pendingId,
      { code: body.code, methodId: body.methodId },
      web.ctxOf(req),
    );
    if (outcome.ok) {
      const returnTo = await completeSignIn(req, outcome.stamp);
      // Only where the policies allow it, and never for longer than they allow.
      if (body.remember && outcome.rememberDays !== null)
        await rememberCookie(req, res, outcome.stamp.userId, outcome.rememberDays);
      if (mode === 'api')
        return res.json({
          status: 'complete',
          amr: outcome.stamp.amr,
          acr: outcome.stamp.acr,
          next: returnTo,
        });
      return res.redirect(303, returnTo);
    }
    if (outcome.error === 'pending_expired') delete sessionState(req).pendingId;
    if (outcome.error === 'must_enroll' && mode === 'html') return res.redirect(303, `${basePath}/enroll`);
    const f = failure(outcome, res);
    if (mode === 'api') return res.status(f.status).json({ error: f.error, message: f.message });
    if (f.error === 'pending_expired')
      return res.status(f.status).send(
        pages.messagePage(page(req), 'Sign-in expired', f.message, {
          href: loginPath,
          text: 'Sign in again',
        }),
      );
    const pending = await mfa.getPending(pendingId);
    return res
      .status(f.status)
      .send(pages.promptPage(page(req), { error: f.message, ...promptFacts(pending), returnTo: '' }));
  };

  /** What the prompt shows of the pending sign-in: the policy's reason, and the remember-device offer. */
  const promptFacts = (pending: Awaited<ReturnType<Mfa['getPending']>>) => ({
    rememberDays: pending?.rememberDays ?? null,
    ...(pending?.userMessage ? { notice: pending.userMessage } : {}),
  });

  const stepUp = (mode: Mode) => async (req: Request, res: Response) => {
    const stamp = await requireStamp(req, res, mode, { forStepUp: true });
    if (!stamp) return;
    const body = parse(stepUpBody, req.body);
    const ctx = web.ctxOf(req);
    // The guard said what to step up for (an app's policies); then only a method that satisfies them counts.
    const wanted = sessionState(req).stepUp;
    const target = wanted
      ? {
          app: wanted.app,
          ip: ctx.ip,
          ...(wanted.authenticationContexts ? { authenticationContexts: wanted.authenticationContexts } : {}),
        }
      : undefined;
    const outcome = await mfa.stepUp(stamp, { code: body.code, methodId: body.methodId }, ctx, target);
    const returnTo = safeReturnTo(body.returnTo, `${basePath}/settings`);
    if (outcome.ok) {
      // A privilege change: new session id, same contents (e.g. Passport's user) with the raised stamp.
      await regenerateSessionKeeping(req);
      sessionState(req).stamp = outcome.stamp;
      delete sessionState(req).stepUp;
      await saveSession(req);
      return mode === 'api'
        ? res.json({ status: 'verified', amr: outcome.stamp.amr, acr: outcome.stamp.acr })
        : res.redirect(303, returnTo);
    }
    const f = failure(outcome, res);
    if (mode === 'api') return res.status(f.status).json({ error: f.error, message: f.message });
    return res.status(f.status).send(
      pages.verifyPage(page(req), {
        error: f.message,
        returnTo,
        reason: wanted?.message ?? 'Enter a code to continue.',
      }),
    );
  };

  /**
   * Starts an authenticator-app draft for the pending sign-in (first method) or the signed-in
   * user. The setup page (a GET, which any link can trigger) shows the session's draft again
   * while it lasts rather than replacing a secret the user may have scanned; the API's POST
   * starts a new one.
   */
  const beginEnroll = async (req: Request, res: Response, mode: Mode) => {
    const state = req.session?.mfakit;
    const resumeId = mode === 'html' ? state?.draftId : undefined;
    if (state?.pendingId && !state.stamp) {
      const pending = await mfa.getPending(state.pendingId);
      if (!pending) throw new MfaError('pending_expired', 'Your sign-in has expired. Sign in again.', 401);
      const draft = await mfa.beginPendingEnrollment(
        pending.id,
        await web.options.displayName(pending.userId),
        resumeId,
      );
      if (!draft) {
        if (mode === 'html') {
          res.redirect(303, `${basePath}/prompt`);
          return null;
        }
        throw new MfaError(
          'enrollment_not_allowed',
          'This account already has a sign-in method; verify with it first.',
          403,
        );
      }
      sessionState(req).draftId = draft.draftId;
      await saveSession(req);
      return { draft, firstMethod: true };
    }
    const stamp = await requireFreshIfEnrolled(req, res, mode);
    if (!stamp) return null;
    const name = await web.options.displayName(stamp.userId);
    const draft =
      (resumeId ? await mfa.enrollment.resumeTotp(stamp.userId, resumeId, name) : null) ??
      (await mfa.enrollment.beginTotp(stamp.userId, name));
    sessionState(req).draftId = draft.draftId;
    await saveSession(req);
    return { draft, firstMethod: false };
  };

  const confirmEnroll = async (req: Request, res: Response, mode: Mode) => {
    const body = parse(enrollConfirmBody, req.body);
    const state = sessionState(req);
    if (state.draftId !== body.draftId)
      throw new MfaError('draft_unknown', 'This setup has expired. Start again.', 400);
    const ctx = web.ctxOf(req);
    if (state.pendingId && !state.stamp) {
      const result = await mfa.confirmPendingEnrollment(
        state.pendingId,
        body.draftId,
        body.code,
        body.label ?? '',
        ctx,
      );
      if (!result.ok) {
        const f = failure(result, res);
        if (mode === 'api') return res.status(f.status).json({ error: f.error, message: f.message });
        if (f.error === 'pending_expired')
          return res.status(401).send(
            pages.messagePage(page(req), 'Sign-in expired', f.message, {
              href: loginPath,
              text: 'Sign in again',
            }),
          );
        return res.redirect(303, `${basePath}/enroll?error=1`);
      }
      const returnTo = await completeSignIn(req, result.stamp);
      if (mode === 'api')
        return res.json({
          status: 'complete',
          amr: result.stamp.amr,
          acr: result.stamp.acr,
          recoveryCodes: result.recoveryCodes,
          next: returnTo,
        });
      return res.send(
        pages.recoveryCodesPage(page(req), { codes: result.recoveryCodes, continueTo: returnTo }),
      );
    }
    const stamp = await requireFreshIfEnrolled(req, res, mode);
    if (!stamp) return;
    const result = await mfa.enrollment.confirmTotp(
      stamp.userId,
      body.draftId,
      body.code,
      body.label ?? '',
      ctx,
    );
    if (!result.ok) {
      if (mode === 'api') return res.status(401).json({ error: 'invalid_code', message: GENERIC_FAILURE });
      return res.redirect(303, `${basePath}/enroll?error=1`);
    }
    delete state.draftId;
    await saveSession(req);
    if (mode === 'api')
      return res.status(201).json({
        status: 'enrolled',
        method: { id: result.method.id, kind: result.method.kind, label: result.method.label },
      });
    return res.redirect(303, `${basePath}/settings?notice=enrolled`);
  };

  // ---------- HTML ----------

  const form = express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 20 });
  const html = express.Router();
  html.use(form, csrfSynchronisedProtection);

  html.get('/prompt', async (req, res) => {
    const pendingId = req.session?.mfakit?.pendingId;
    const pending = pendingId ? await mfa.getPending(pendingId) : null;
    if (!pending) return res.redirect(303, loginPath);
    if (pending.mustEnroll) return res.redirect(303, `${basePath}/enroll`);
    res.send(pages.promptPage(page(req), { ...promptFacts(pending), returnTo: '' }));
  });
  html.post('/prompt', verify('html'));
  html.post('/cancel', async (req, res) => {
    await web.logout(req);
    res.redirect(303, loginPath);
  });

  html.get('/enroll', async (req, res) => {
    const started = await beginEnroll(req, res, 'html');
    if (!started) return;
    res.send(
      pages.enrollPage(page(req), { ...started, ...(req.query.error ? { error: GENERIC_FAILURE } : {}) }),
    );
  });
  html.post('/enroll', (req, res) => confirmEnroll(req, res, 'html'));

  html.get('/verify', async (req, res) => {
    if (!(await requireStamp(req, res, 'html', { forStepUp: true }))) return;
    const returnTo = safeReturnTo(req.query.returnTo, `${basePath}/settings`);
    res.send(
      pages.verifyPage(page(req), {
        returnTo,
        reason:
          req.session?.mfakit?.stepUp?.message ?? 'For your security, enter a code before you continue.',
      }),
    );
  });
  html.post('/verify', stepUp('html'));

  const notices: Record<string, string> = {
    enrolled: 'Your authenticator app is set up.',
    removed: 'The method was removed.',
    revoked: 'The device will be asked for verification again.',
  };
  html.get('/settings', async (req, res) => {
    const stamp = await requireStamp(req, res, 'html');
    if (!stamp) return;
    const [methods, recoveryRemaining, devices, userLabel] = await Promise.all([
      mfa.methods.list(stamp.userId),
      mfa.recoveryCodes.remaining(stamp.userId),
      mfa.devices.list(stamp.userId),
      web.options.displayName(stamp.userId),
    ]);
    const notice = typeof req.query.notice === 'string' ? notices[req.query.notice] : undefined;
    res.send(
      pages.settingsPage(page(req), {
        userLabel,
        methods,
        recoveryRemaining,
        devices,
        now: mfa.clock.now(),
        ...(notice ? { notice } : {}),
      }),
    );
  });
  html.post('/methods/:id/remove', async (req, res) => {
    const stamp = await requireFreshIfEnrolled(req, res, 'html');
    if (!stamp) return;
    const removed = await mfa.methods.remove(stamp.userId, parse(idParam, req.params.id), web.ctxOf(req));
    if (!removed) throw new MfaError('not_found', 'No such method.', 404);
    res.redirect(303, `${basePath}/settings?notice=removed`);
  });
  html.post('/recovery-codes', async (req, res) => {
    const stamp = await requireFreshIfEnrolled(req, res, 'html');
    if (!stamp) return;
    const codes = await mfa.recoveryCodes.regenerate(stamp.userId, web.ctxOf(req));
    res.send(pages.recoveryCodesPage(page(req), { codes, continueTo: `${basePath}/settings` }));
  });
  html.post('/devices/:id/revoke', async (req, res) => {
    const stamp = await requireStamp(req, res, 'html');
    if (!stamp) return;
    const ok = await mfa.devices.revoke(stamp.userId, parse(idParam, req.params.id), web.ctxOf(req));
    if (!ok) throw new MfaError('not_found', 'No such remembered device.', 404);
    res.redirect(303, `${basePath}/settings?notice=revoked`);
  });
  html.post('/devices/revoke-all', async (req, res) => {
    const stamp = await requireStamp(req, res, 'html');
    if (!stamp) return;
    await mfa.devices.revokeAll(stamp.userId, web.ctxOf(req));
    res.redirect(303, `${basePath}/settings?notice=revoked`);
  });

  // ---------- JSON API ----------

  const api = express.Router();
  api.use((req, _res, next) => {
    if (['POST', 'PUT', 'PATCH'].includes(req.method) && !req.is('application/json')) {
      return next(
        new MfaError('unsupported_media_type', 'Send a JSON body with Content-Type: application/json.', 415),
      );
    }
    next();
  });
  api.use(express.json({ limit: BODY_LIMIT, strict: true }));

  api.get('/status', async (req, res) => {
    const state = req.session?.mfakit;
    const s = parseStamp(state?.stamp);
    if (s) {
      return res.json({
        status: 'complete',
        userId: s.userId,
        amr: s.amr,
        acr: s.acr,
        authTime: s.authTime,
        mfaAt: s.mfaAt,
        skippedBy: s.skippedBy ?? null,
      });
    }
    const pending = state?.pendingId ? await mfa.getPending(state.pendingId) : null;
    if (pending)
      return res.json({
        status: pending.mustEnroll ? 'enroll_required' : 'mfa_required',
        expiresAt: pending.expiresAt,
      });
    res.json({ status: 'none' });
  });
  api.post('/verify', verify('api'));
  api.post('/step-up', stepUp('api'));
  api.post('/enroll/totp', async (req, res) => {
    const started = await beginEnroll(req, res, 'api');
    if (!started) return;
    const { draft } = started;
    res.status(201).json({
      draftId: draft.draftId,
      secret: draft.secret,
      uri: draft.uri,
      qrSvg: draft.qrSvg,
      expiresAt: draft.expiresAt,
    });
  });
  api.post('/enroll/totp/confirm', (req, res) => confirmEnroll(req, res, 'api'));
  api.get('/methods', async (req, res) => {
    const stamp = await requireStamp(req, res, 'api');
    if (!stamp) return;
    res.json({
      methods: await mfa.methods.list(stamp.userId),
      recoveryCodesRemaining: await mfa.recoveryCodes.remaining(stamp.userId),
    });
  });
  api.delete('/methods/:id', async (req, res) => {
    const stamp = await requireFreshIfEnrolled(req, res, 'api');
    if (!stamp) return;
    const removed = await mfa.methods.remove(stamp.userId, parse(idParam, req.params.id), web.ctxOf(req));
    if (!removed) throw new MfaError('not_found', 'No such method.', 404);
    res.status(204).end();
  });
  api.post('/recovery-codes', async (req, res) => {
    const stamp = await requireFreshIfEnrolled(req, res, 'api');
    if (!stamp) return;
    res.status(201).json({ recoveryCodes: await mfa.recoveryCodes.regenerate(stamp.userId, web.ctxOf(req)) });
  });
  api.get('/devices', async (req, res) => {
    const stamp = await requireStamp(req, res, 'api');
    if (!stamp) return;
    const devices = await mfa.devices.list(stamp.userId);
    res.json({
      devices: devices.map(({ secretHash: _hidden, ...d }) => ({
        ...d,
        active: d.revokedAt === null && d.expiresAt > mfa.clock.now(),
      })),
    });
  });
  api.delete('/devices/:id', async (req, res) => {
    const stamp = await requireStamp(req, res, 'api');
    if (!stamp) return;
    const ok = await mfa.devices.revoke(stamp.userId, parse(idParam, req.params.id), web.ctxOf(req));
    if (!ok) throw new MfaError('not_found', 'No such remembered device.', 404);
    res.status(204).end();
  });
  api.delete('/devices', async (req, res) => {
    const stamp = await requireStamp(req, res, 'api');
    if (!stamp) return;
    res.json({ revoked: await mfa.devices.revokeAll(stamp.userId, web.ctxOf(req)) });
  });
  api.use((_req, _res, next) => next(new MfaError('not_found', 'No such API endpoint.', 404)));

  router.use('/api', api);
  router.use(html);

  // Errors: bad input → 4xx with a clear message; store trouble → 503, fail closed.
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; statusCode?: number; type?: string; code?: string; message?: string };
    let status = 500;
    let code = 'internal_error';
    let message = 'Verification is unavailable right now. Try again in a moment.';
    if (err instanceof MfaError) {
      ({ status, code, message } = err);
      if (status >= 500) message = 'Verification is unavailable right now. Try again in a moment.';
    } else if (e.type === 'entity.too.large') {
      [status, code, message] = [413, 'body_too_large', `The request body is larger than ${BODY_LIMIT}.`];
    } else if (e.type === 'entity.parse.failed') {
      [status, code, message] = [400, 'malformed_json', 'The request body is not valid JSON.'];
    } else if (e.code === 'csrf_invalid' || e.code === 'EBADCSRFTOKEN') {
      [status, code, message] = [
        403,
        'csrf_invalid',
        'This form has expired. Reload the page and try again.',
      ];
    } else if (typeof (e.status ?? e.statusCode) === 'number' && (e.status ?? e.statusCode ?? 500) < 500) {
      [status, code, message] = [
        e.status ?? e.statusCode ?? 400,
        e.type ?? 'bad_request',
        'The request could not be understood.',
      ];
    }
    if (status >= 500) {
      status = 503;
      process.emitWarning(`mfakit: ${(err as Error)?.stack ?? String(err)}`);
    }
    const isApi = req.originalUrl.startsWith(`${basePath}/api`) || !web.wantsHtml(req);
    if (isApi) return res.status(status).json({ error: code, message });
    res
      .status(status)
      .type('html')
      .send(
        pages.messagePage(
          { basePath, csrfToken: '', issuer: mfa.settings.issuer },
          'Something went wrong',
          message,
          { href: loginPath, text: 'Back to sign-in' },
        ),
      );
  });

  return router;
}
