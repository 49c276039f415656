// What the MFA step shows for an interaction's pending sign-in: the prompt (a passkey button per
// challenge its methods produced, the code form when a code may answer), the chooser when the
// sign-in may register several kinds of method (a first method; in interrupt mode, after the
// user proved a method of theirs, only kinds strong enough), or the setup page of the chosen kind
// (kept on the interaction record as `draftKind`, with its draft, so a reload shows the same
// secret). The routes (interaction-routes.ts) decide when; this file renders.
import type { Response } from 'express';
import type { Mfa } from '../engine/create-mfa.ts';
import type { PendingPrincipal } from '../engine/pending.ts';
import { MfaError } from '../errors.ts';
import { beginOrAsk, pageWordsOf, type SendAnswer } from '../web/code-sends.ts';
import type { FailureAnswer } from '../web/failures.ts';
import * as pages from '../web/pages.ts';
import type { InteractionRecord } from './interaction-records.ts';
import type { InteractionView, OidcMfa } from './oidc-mfa.ts';

export const RESTART_AT_APP = 'Your sign-in has expired. Start again from the application.';

export interface PageError {
  status: number;
  message: string;
}

/**
 * What a page says after an action: an error (with its status), or a notice (a code was sent, a
 * notification sent or still waiting for the app: 202 while it waits; its number and Continue
 * come from the prompt's `approval`).
 */
export type PageSaid = PageError | { notice: string; status?: number };

const errorOf = (said: PageSaid | undefined): PageError | undefined =>
  said && 'message' in said ? said : undefined;

/** What the prompt says after a send or a verification (code-sends.ts's pageWordsOf), with its status. */
export function saidOf(answer: SendAnswer | FailureAnswer): PageSaid {
  const words = pageWordsOf(answer);
  if (words.notice !== undefined) return { notice: words.notice, status: answer.status };
  return { status: answer.status, message: words.error ?? '' };
}

export function createStepPages(oidc: OidcMfa, mfa: Mfa) {
  const pageOf = (uid: string, record: Pick<InteractionRecord, 'csrf'>): pages.PageContext => ({
    basePath: `${oidc.basePath}/${uid}/mfa`,
    csrfToken: record.csrf,
    issuer: mfa.settings.issuer,
  });

  const expired = (res: Response, uid: string, record: InteractionRecord) =>
    res.status(401).send(pages.messagePage(pageOf(uid, record), 'Sign-in expired', RESTART_AT_APP));

  /** The setup page of the record's chosen kind (or the only one), or the chooser. */
  async function enrollment(
    res: Response,
    details: InteractionView,
    record: InteractionRecord,
    pending: PendingPrincipal,
    error?: PageError,
  ) {
    const ctx = pageOf(details.uid, record);
    const chooseAnother = (many: boolean) => (many ? { chooseAnother: `${ctx.basePath}/enroll` } : {});
    // Any kind users register for a first method; in interrupt mode only those that meet the
    // sign-in's requirements (e.g. a passkey for …:phr).
    const available = await mfa.pendingEnrollmentKinds(pending.id);
    const chosen = available.some((m) => m.kind === record.draftKind) ? record.draftKind : undefined;
    const kind = chosen ?? (available.length === 1 ? available[0]?.kind : undefined);
    if (kind === undefined) {
      if (available.length === 0)
        throw new MfaError('unknown_method', 'No sign-in method can be set up here.', 404);
      return res
        .status(error?.status ?? 200)
        .send(pages.enrollChooserPage(ctx, { methods: available, firstMethod: true }));
    }
    const method = available.find((m) => m.kind === kind);
    const resumeId = record.draftKind === kind ? record.draftId : undefined;
    // A method that asks for something first (a phone number): its form, unless a draft resumes.
    const askFor = () =>
      res.status(error?.status ?? 200).send(
        pages.enrollFieldsPage(ctx, {
          method: method ?? { kind, title: kind, fields: [] },
          firstMethod: true,
          ...chooseAnother(available.length > 1),
          ...(error ? { error: error.message } : {}),
        }),
      );
    const draft = await beginOrAsk(async () =>
      mfa.beginPendingEnrollment(pending.id, kind, await oidc.displayName(pending.userId), resumeId),
    );
    if (draft === 'ask') return askFor();
    if (!draft) return expired(res, details.uid, record);
    await oidc.records.update(details.uid, { ...record, draftId: draft.draftId, draftKind: draft.kind });
    return res.status(error?.status ?? 200).send(
      pages.enrollPage(ctx, {
        draft,
        firstMethod: true,
        ...chooseAnother(available.length > 1),
        // The choice of the same kind again clears the draft: the number's form.
        sendAgain: `${ctx.basePath}/enroll?method=${kind}`,
        ...(error ? { error: error.message } : {}),
      }),
    );
  }

  /**
   * The prompt: a passkey form per challenge, and the code form unless every method allowed
   * here answers a challenge (e.g. only a passkey meets the phishing-resistant level asked for).
   */
  async function prompt(
    res: Response,
    details: InteractionView,
    record: InteractionRecord,
    pending: PendingPrincipal,
    said?: PageSaid,
  ) {
    const error = errorOf(said);
    const words = said && 'notice' in said ? said : undefined;
    // A notification sent for this sign-in (approved or unanswered) comes with it: a reload shows its number.
    const { challenges, senders, approval, defaultMethod } = await mfa.pendingPrompt(pending);
    const answered = new Set(challenges.map((c) => c.kind));
    const allowed = pending.allowedMethodIds ? new Set(pending.allowedMethodIds) : null;
    const methods = (await mfa.methods.list(pending.userId)).filter((m) => !allowed || allowed.has(m.id));
    const codeForm =
      challenges.length === 0 ||
      allowed === null ||
      pending.allowRecovery === true ||
      methods.some((m) => !answered.has(m.kind));
    return res.status(error?.status ?? words?.status ?? 200).send(
      pages.promptPage(pageOf(details.uid, record), {
        rememberDays: pending.rememberDays,
        returnTo: '',
        challenges,
        senders,
        codeForm,
        ...(pending.userMessage ? { notice: pending.userMessage } : {}),
        ...(words ? { notice: words.notice } : {}),
        ...(approval ? { approval } : {}),
        ...(defaultMethod ? { defaultMethod } : {}),
        ...(error ? { error: error.message } : {}),
      }),
    );
  }

  /** The prompt, or the first method's setup when the account has none yet. */
  async function show(res: Response, details: InteractionView, record: InteractionRecord, said?: PageSaid) {
    const pending = await mfa.getPending(record.pendingId);
    if (!pending) return expired(res, details.uid, record);
    if (pending.mustEnroll) return enrollment(res, details, record, pending, errorOf(said));
    return prompt(res, details, record, pending, said);
  }

  return { pageOf, expired, show };
}

export type StepPages = ReturnType<typeof createStepPages>;
