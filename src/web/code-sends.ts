// Codes sent on demand over HTTP (a text message, a phone call), written once for every
// integration: the body of a send (`methodId`), the answer to its outcome (the status, a stable
// error, the user's sentence, Retry-After when throttled), the notice a page shows after a send,
// the buttons of the prompt (a form each, carrying the page's CSRF token), and the form that asks
// for what a registration needs before it begins (a phone number).
import { z } from 'zod';
import type { CodeSender, SendOutcome } from '../engine/code-sending.ts';
import { DeliveryError, MfaError, SlowDownError } from '../errors.ts';
import type { AwaitedApproval, EnrollmentField, EnrollmentFields } from '../methods/method.ts';
import { approvalLabel, approvalSent } from './approval-words.ts';
import { FAILURE_MESSAGES, type FailureAnswer } from './failures.ts';
import { html, type SafeHtml } from './html.ts';

export const sendBody = z.object({
  methodId: z
    .string({ error: 'methodId is required' })
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'methodId is malformed'),
  returnTo: z.string().max(512).optional(),
  _csrf: z.string().optional(),
});

export type SendAnswer =
  | { ok: true; status: 200; notice: string; sent: Omit<Extract<SendOutcome, { ok: true }>, 'ok'> }
  | {
      ok: false;
      status: number;
      error: Exclude<SendOutcome, { ok: true }>['error'];
      message: string;
      retryAfterSeconds?: number;
    };

const UNKNOWN_METHOD = 'That sign-in method is not available here.';

/** What to answer a send with; sets Retry-After on `res` when throttled. */
export function answerSend(
  res: { set(name: string, value: string): unknown },
  outcome: SendOutcome,
): SendAnswer {
  if (outcome.ok) {
    const { ok: _ok, ...sent } = outcome;
    return {
      ok: true,
      status: 200,
      sent,
      notice:
        outcome.number !== undefined
          ? approvalSent({ ...outcome, number: outcome.number })
          : outcome.channel === 'voice'
            ? `We are calling ${outcome.to} with your code.`
            : `We sent a code to ${outcome.to}.`,
    };
  }
  switch (outcome.error) {
    case 'slow_down':
      res.set('Retry-After', String(outcome.retryAfterSeconds));
      return {
        ok: false,
        status: 429,
        error: 'slow_down',
        message: outcome.message,
        retryAfterSeconds: outcome.retryAfterSeconds,
      };
    case 'unknown_method':
      return { ok: false, status: 404, error: outcome.error, message: UNKNOWN_METHOD };
    case 'delivery_failed':
      return { ok: false, status: 503, error: outcome.error, message: new DeliveryError().message };
    case 'send_blocked':
      return { ok: false, status: 403, error: outcome.error, message: outcome.message };
    case 'pending_expired':
      return { ok: false, status: 401, error: outcome.error, message: FAILURE_MESSAGES.expired };
  }
}

/** A notification or keypad call waiting for the user's answer, as a page shows it: where, the number, Continue. */
export interface PageApproval {
  methodId: string;
  channel: AwaitedApproval['channel'];
  to: string;
  number: string;
}

/**
 * What a page says after a send or a verification: a notice (a code sent; a notification to
 * approve, with its number — the page's Continue comes from the prompt's `approval`), or the
 * error. Spread into the page's options.
 */
export function pageWordsOf(answer: SendAnswer | FailureAnswer): { notice?: string; error?: string } {
  if ('ok' in answer) return answer.ok ? { notice: answer.notice } : { error: answer.message };
  return answer.approval === undefined ? { error: answer.message } : { notice: answer.message };
}

/** A button per method that sends a code, each its own form posting `methodId` to `action`. */
export function senderForms(
  p: { csrf: SafeHtml; action: string; hidden?: SafeHtml },
  senders: readonly CodeSender[],
): SafeHtml[] {
  return senders.map(
    (s) => html`<form method="post" action="${p.action}" class="send">
      ${p.csrf}${p.hidden ?? ''}<input type="hidden" name="methodId" value="${s.methodId}">
      <button type="submit" class="secondary">${s.label}</button>
    </form>`,
  );
}

/**
 * A notification or keypad call waiting for approval: the number to type into the app or on the
 * phone's keypad, large, and the Continue form that asks whether it was approved (`push=1` for
 * that method, whichever kind), posting to `action`.
 */
export function approvalForm(
  p: { csrf: SafeHtml; action: string; hidden: SafeHtml },
  approval: PageApproval | undefined,
): SafeHtml | '' {
  if (approval === undefined) return '';
  return html`<section class="approval" aria-labelledby="match-number-label">
      <p id="match-number-label">${approvalLabel(approval)}</p>
      <p class="match-number" id="match-number">${approval.number}</p>
      <form method="post" action="${p.action}">
        ${p.csrf}${p.hidden}
        <input type="hidden" name="push" value="1">
        <input type="hidden" name="methodId" value="${approval.methodId}">
        <button type="submit">Continue</button>
      </form>
    </section>`;
}

/** The values a registration's `fields` were given in a body: strings within their length, or a 400. */
export function enrollmentFieldsOf(
  body: unknown,
  fields: readonly EnrollmentField[],
): EnrollmentFields | undefined {
  if (fields.length === 0) return undefined;
  const given = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (const field of fields) {
    const value = given[field.name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      throw new MfaError('invalid_request', `${field.name} must be a string`, 400);
    if (value.length > field.maxLength)
      throw new MfaError('invalid_request', `${field.name} is at most ${field.maxLength} characters`, 400);
    values[field.name] = value;
  }
  return values;
}

/** The inputs asking for a registration's fields (a labelled phone-number input). */
export function fieldInputs(fields: readonly EnrollmentField[]): SafeHtml[] {
  return fields.map(
    (f, i) => html`<label for="${f.name}">${f.label}</label>
    <p class="hint" id="${f.name}-hint">${f.hint}</p>
    <input type="${f.inputType}" id="${f.name}" name="${f.name}" required ${i === 0 ? html`autofocus` : ''}
      ${f.inputMode ? html`inputmode="${f.inputMode}"` : ''}
      autocomplete="${f.autocomplete}" maxlength="${f.maxLength}" aria-describedby="${f.name}-hint">`,
  );
}

/** The draft, or 'ask' when the method needs fields not given (a lapsed draft that was to resume). */
export async function beginOrAsk<T>(begin: () => Promise<T>): Promise<T | 'ask'> {
  try {
    return await begin();
  } catch (err) {
    if (err instanceof MfaError && err.code === 'fields_required') return 'ask';
    throw err;
  }
}

/**
 * Why a registration that sends a code could not begin, to show on its form again: the fields
 * refused (400), too many codes (429, with Retry-After set on `res`), the provider down (503).
 * Null for anything else (a store outage, an expired sign-in): the caller throws it on.
 */
export function beginRefusal(
  res: { set(name: string, value: string): unknown },
  err: unknown,
): { status: number; message: string } | null {
  if (err instanceof SlowDownError) {
    res.set('Retry-After', String(err.retryAfterSeconds));
    return { status: err.status, message: err.message };
  }
  if (err instanceof DeliveryError || (err instanceof MfaError && err.status === 400))
    return { status: err.status, message: err.message };
  return null;
}
