// The router's JSON API under /api: the same operations as the pages, JSON bodies only (which a
// cross-site form cannot send), over the session flow. A refusal is a status with
// `{ error, message }`.
import express, { type Request, type Response } from 'express';
import type { Mfa } from '../engine/create-mfa.ts';
import { parseStamp } from '../engine/parse-stamp.ts';
import { REGISTRATION_MESSAGES } from '../engine/registration-rule.ts';
import { MfaError } from '../errors.ts';
import { requireAppPasswordsOn } from '../web/app-password-pages.ts';
import {
  appPasswordBody,
  BODY_LIMIT,
  enrollConfirmBody,
  idParam,
  methodKindParam,
  parseBody,
  stepUpBody,
  verifyBody,
} from '../web/bodies.ts';
import { enrollmentFieldsOf, sendBody } from '../web/code-sends.ts';
import { failureJson } from '../web/failures.ts';
import type { MfaExpress } from './create-mfa-express.ts';
import type { SessionFlow, StampAccess } from './session-flow.ts';

export function createApiRoutes(mfa: Mfa, web: MfaExpress, flow: SessionFlow) {
  /** The stamp, or the JSON answer to its absence. */
  const accessOr = (res: Response, access: StampAccess) => {
    if (access.ok) return access.stamp;
    if (access.reason === 'registration_blocked') {
      res.status(403).json({ error: 'registration_blocked', message: access.message });
      return null;
    }
    const reverify = access.reason === 'reverify_required';
    const messages: Record<string, string> = {
      reverify_required: 'Confirm your identity with a second factor first (POST /api/step-up).',
      signin_too_old: REGISTRATION_MESSAGES.signin_too_old,
    };
    res.status(reverify ? 403 : 401).json({
      error: reverify ? 'reverify_required' : 'mfa_required',
      reason: access.reason,
      message: messages[access.reason] ?? 'Sign in first.',
    });
    return null;
  };
  /** A verification's or a send's refusal; a notification still waiting (202) carries its approval. */
  const failed = (res: Response, answer: Parameters<typeof failureJson>[0] & { status: number }) =>
    res.status(answer.status).json(failureJson(answer));

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

  api.post('/verify', async (req: Request, res: Response) => {
    const result = await flow.verify(req, res, parseBody(verifyBody, req.body));
    switch (result.kind) {
      case 'no_pending':
        return res.status(401).json({
          error: 'no_pending_signin',
          message: 'There is no sign-in waiting for a code. Sign in first.',
        });
      case 'must_enroll':
        return res.status(409).json({ error: 'must_enroll', message: 'Set up a sign-in method first.' });
      case 'complete':
        return res.json({
          status: 'complete',
          amr: result.stamp.amr,
          acr: result.stamp.acr,
          next: result.returnTo,
        });
      case 'failed':
        return failed(res, result.answer);
    }
  });

  // The challenges of methods that produce one (a passkey's request options): for the pending
  // sign-in, or for a step-up of the signed-in session. Answer one with POST /verify or /step-up { credential }.
  api.post('/challenges', async (req, res) => {
    const state = req.session?.mfakit;
    if (state?.pendingId && !state.stamp) {
      const pending = await mfa.getPending(state.pendingId);
      if (!pending)
        return res
          .status(401)
          .json({ error: 'pending_expired', message: 'Your sign-in has expired. Sign in again.' });
      return res.json(await mfa.pendingPrompt(pending));
    }
    const stamp = accessOr(res, await flow.signedIn(req, true));
    if (!stamp) return;
    // `approval`: a notification sent for it that still waits (or was approved), with its number.
    res.json(await flow.stepUpPrompt(req, stamp));
  });

  // A code by text message or call (a `senders` entry of POST /challenges), for the pending
  // sign-in or a step-up of the session; answer it with POST /verify or /step-up { code }.
  api.post('/send', async (req, res) => {
    const sent = await flow.sendCode(req, res, parseBody(sendBody, req.body).methodId);
    if (!('kind' in sent)) return accessOr(res, sent);
    if (sent.kind === 'no_pending')
      return res.status(401).json({ error: 'no_pending_signin', message: 'Sign in first.' });
    const { answer } = sent;
    if (!answer.ok) return failed(res, answer);
    res.json({ status: 'sent', message: answer.notice, ...answer.sent });
  });

  api.post('/step-up', async (req, res) => {
    const stamp = accessOr(res, await flow.signedIn(req, true));
    if (!stamp) return;
    const result = await flow.stepUp(req, res, stamp, parseBody(stepUpBody, req.body));
    if (result.kind === 'failed') return failed(res, result.answer);
    res.json({ status: 'verified', amr: result.stamp.amr, acr: result.stamp.acr });
  });

  api.post('/enroll/:kind', async (req, res) => {
    const kind = parseBody(methodKindParam, req.params.kind);
    const asked = mfa.enrollment.available().find((m) => m.kind === kind)?.fields ?? [];
    const started = await flow.beginEnroll(req, false, kind, enrollmentFieldsOf(req.body, asked));
    if (started.kind === 'no_enrollment')
      throw new MfaError(
        'enrollment_not_allowed',
        'This account already has a sign-in method; verify with it first.',
        403,
      );
    if (started.kind === 'refused') return accessOr(res, started.access);
    if (started.kind === 'needs_fields') {
      // Names what is missing (`pin is required`); `fields`: everything the method asks for.
      const given = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<
        string,
        unknown
      >;
      const missing = started.method.fields.filter((f) => given[f.name] === undefined).map((f) => f.name);
      const named = missing.length > 0 ? missing : started.method.fields.map((f) => f.name);
      return res.status(400).json({
        error: 'fields_required',
        message: `${named.join(' and ')} ${named.length === 1 ? 'is' : 'are'} required`,
        fields: started.method.fields.map((f) => f.name),
      });
    }
    const { draft } = started;
    res
      .status(201)
      .json({ ...draft.fields, kind: draft.kind, draftId: draft.draftId, expiresAt: draft.expiresAt });
  });
  api.post('/enroll/:kind/confirm', async (req, res) => {
    const kind = parseBody(methodKindParam, req.params.kind);
    if (req.session?.mfakit?.draftKind !== kind)
      throw new MfaError('draft_unknown', 'This setup has expired. Start again.', 400);
    const result = await flow.confirmEnroll(req, res, parseBody(enrollConfirmBody, req.body));
    switch (result.kind) {
      case 'signed_in':
        return res.json({
          status: 'complete',
          amr: result.stamp.amr,
          acr: result.stamp.acr,
          recoveryCodes: result.recoveryCodes,
          next: result.returnTo,
        });
      case 'enrolled':
        return res.status(201).json({
          status: 'enrolled',
          method: { id: result.method.id, kind: result.method.kind, label: result.method.label },
        });
      case 'refused':
        return accessOr(res, result.access);
      case 'failed':
        return failed(res, result.answer);
    }
  });

  api.get('/methods', async (req, res) => {
    const stamp = accessOr(res, await flow.signedIn(req));
    if (!stamp) return;
    res.json({
      methods: await mfa.methods.list(stamp.userId),
      recoveryCodesRemaining: await mfa.recoveryCodes.remaining(stamp.userId),
    });
  });
  api.delete('/methods/:id', async (req, res) => {
    const stamp = accessOr(res, await flow.mayChangeSecurityInfo(req));
    if (!stamp) return;
    const removed = await mfa.methods.remove(stamp.userId, parseBody(idParam, req.params.id), web.ctxOf(req));
    if (!removed) throw new MfaError('not_found', 'No such method.', 404);
    res.status(204).end();
  });
  // The default sign-in method (offered first by prompts, sent to at once over RADIUS): a
  // signed-in session suffices, as on the settings page — it only chooses among the user's own
  // methods what comes first, which anyone with the password could ask for anyway. PUT chooses
  // one of the user's methods; DELETE chooses none.
  api.put('/methods/:id/default', async (req, res) => {
    const stamp = accessOr(res, await flow.signedIn(req));
    if (!stamp) return;
    const methodId = parseBody(idParam, req.params.id);
    if (!(await mfa.methods.setDefault(stamp.userId, methodId, web.ctxOf(req))))
      throw new MfaError('unknown_method', 'No such sign-in method.', 404);
    res.status(204).end();
  });
  api.delete('/default-method', async (req, res) => {
    const stamp = accessOr(res, await flow.signedIn(req));
    if (!stamp) return;
    await mfa.methods.setDefault(stamp.userId, null, web.ctxOf(req));
    res.status(204).end();
  });
  api.post('/recovery-codes', async (req, res) => {
    const stamp = accessOr(res, await flow.mayChangeSecurityInfo(req));
    if (!stamp) return;
    res.status(201).json({ recoveryCodes: await mfa.recoveryCodes.regenerate(stamp.userId, web.ctxOf(req)) });
  });
  api.get('/devices', async (req, res) => {
    const stamp = accessOr(res, await flow.signedIn(req));
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
    const stamp = accessOr(res, await flow.signedIn(req));
    if (!stamp) return;
    const ok = await mfa.devices.revoke(stamp.userId, parseBody(idParam, req.params.id), web.ctxOf(req));
    if (!ok) throw new MfaError('not_found', 'No such remembered device.', 404);
    res.status(204).end();
  });
  api.delete('/devices', async (req, res) => {
    const stamp = accessOr(res, await flow.signedIn(req));
    if (!stamp) return;
    res.json({ revoked: await mfa.devices.revokeAll(stamp.userId, web.ctxOf(req)) });
  });

  // App passwords for legacy clients: none of these routes exist while they are off.
  const appPasswordsOn = (_req: Request, _res: Response, next: express.NextFunction) => {
    requireAppPasswordsOn(mfa.appPasswords);
    next();
  };
  api.get('/app-passwords', appPasswordsOn, async (req, res) => {
    const stamp = accessOr(res, await flow.signedIn(req));
    if (!stamp) return;
    const [allowed, appPasswords] = await Promise.all([
      mfa.appPasswords.allowed(stamp.userId),
      mfa.appPasswords.list(stamp.userId),
    ]);
    res.json({ allowed, apps: mfa.appPasswords.apps, appPasswords });
  });
  api.post('/app-passwords', appPasswordsOn, async (req, res) => {
    const stamp = accessOr(res, await flow.mayChangeSecurityInfo(req));
    if (!stamp) return;
    const { name, apps } = parseBody(appPasswordBody, req.body);
    res
      .status(201)
      .json({ appPassword: await mfa.appPasswords.create(stamp, { name, apps }, web.ctxOf(req)) });
  });
  api.delete('/app-passwords/:id', appPasswordsOn, async (req, res) => {
    const stamp = accessOr(res, await flow.signedIn(req));
    if (!stamp) return;
    const id = parseBody(idParam, req.params.id);
    if (!(await mfa.appPasswords.revoke(stamp.userId, id, web.ctxOf(req))))
      throw new MfaError('not_found', 'No such app password.', 404);
    res.status(204).end();
  });
  api.use((_req, _res, next) => next(new MfaError('not_found', 'No such API endpoint.', 404)));
  return api;
}
