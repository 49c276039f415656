// The server-rendered pages of the sign-in flow, shared by the Express routes and the oidc
// interaction routes: the second-factor prompt, method setup (from the method's draft), the
// recovery codes, step-up and a message page (the security-info settings: settings-page.ts). Plain, accessible
// (labelled inputs, one-time-code autocomplete, numeric keypad); the only script is the WebAuthn
// client, on pages with a passkey form (passkey-forms.ts); every form carries the CSRF token.
import type { CodeSender } from '../engine/code-sending.ts';
import type { PromptOffer } from '../engine/second-factor.ts';
import type { ChallengeOptions, EnrollmentDraft, EnrollmentField } from '../methods/method.ts';
import { approvalForm, fieldInputs, type PageApproval, senderForms } from './code-sends.ts';
import { html, type SafeHtml } from './html.ts';
import { ceremonyForm, webauthnScriptTags } from './passkey-forms.ts';

/** A challenge a method produced for this page (a passkey's options), with the button that answers it. */
export interface PageChallenge {
  kind: string;
  label: string;
  options: ChallengeOptions;
}

/** What every page needs: where the routes are mounted, the CSRF token, the issuer's name. */
export interface PageContext {
  basePath: string;
  csrfToken: string;
  issuer: string;
}

/** A page; `scripts`: it has a passkey form, so the WebAuthn client is loaded. */
export function layout(
  ctx: PageContext,
  title: string,
  body: SafeHtml,
  options: { scripts?: boolean } = {},
): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${ctx.issuer}</title><link rel="stylesheet" href="${ctx.basePath}/assets/style.css"></head>
<body><main>${body}</main>${options.scripts ? webauthnScriptTags(ctx.basePath) : ''}</body></html>`.value;
}

/** A form per challenge, posting the browser's answer to `action` (with the page's other hidden fields). */
const challengeForms = (
  ctx: PageContext,
  challenges: readonly PageChallenge[],
  action: string,
  hidden: SafeHtml,
) =>
  challenges.map((c) =>
    ceremonyForm({
      id: `mfakit-${c.kind}`,
      mode: 'authenticate',
      action,
      label: c.label,
      options: c.options,
      hidden: html`${csrf(ctx)}${hidden}`,
    }),
  );

export const csrf = (ctx: PageContext) => html`<input type="hidden" name="_csrf" value="${ctx.csrfToken}">`;
export const errorBox = (message?: string) =>
  message ? html`<p class="error" role="alert">${message}</p>` : '';

const codeInput = (label: string, hint: string) => html`
  <label for="code">${label}</label>
  <p class="hint" id="code-hint">${hint}</p>
  <input type="text" id="code" name="code" class="code" required autofocus
    autocomplete="one-time-code" inputmode="numeric" maxlength="12" aria-describedby="code-hint">`;

/**
 * Where the code comes from: the phone's code first when a button sends one (a text message, a
 * call that reads one out) — not for a notification or a keypad call, which send none. The
 * buttons are above the code field, or `below` it when the field leads (a typed default).
 */
const codeHint = (senders: readonly CodeSender[] | undefined, app: string, below: boolean) =>
  (senders ?? []).some((s) => !s.approval)
    ? `Send a code to your phone with a button ${below ? 'below' : 'above'} and enter it here, or ${app}.`
    : `Enter ${app}.`;

/** The buttons that send a code (a text message, a call), posting to `basePath/send`. */
const sendForms = (
  ctx: PageContext,
  senders: readonly CodeSender[] | undefined,
  hidden: SafeHtml,
  action = `${ctx.basePath}/send`,
) => senderForms({ csrf: csrf(ctx), action, hidden }, senders ?? []);

/** The user's default sign-in method, as a prompt offers it (`mfa.methods.setDefault`). */
export type PageDefault = NonNullable<PromptOffer['defaultMethod']>;

/** What marks the user's default method on a prompt: after its button's label, or the code field's. */
export const DEFAULT_MARK = ' (your default)';

/**
 * The ways to answer a prompt, the user's default first and marked: its send button (a text
 * message, a call, a notification), its passkey button, or — a typed method (an authenticator
 * app, a hardware token) — the code form (`codeForm(leads)`; null: none on this page). Without
 * a default: the passkey buttons, the send buttons, then the code form. Showing them sends nothing.
 */
function offeredForms(
  ctx: PageContext,
  p: {
    challenges: readonly PageChallenge[];
    senders: readonly CodeSender[] | undefined;
    defaultMethod: PageDefault | undefined;
    action: string;
    sendAction: string | undefined;
    hidden: SafeHtml;
    codeForm: ((leads: boolean) => SafeHtml) | null;
  },
): (SafeHtml | '')[] {
  const chosen = p.defaultMethod;
  const mark = <T extends { label: string }>(item: T, isDefault: boolean): T =>
    isDefault ? { ...item, label: `${item.label}${DEFAULT_MARK}` } : item;
  const passkeyLeads = chosen?.sends === false && p.challenges.some((c) => c.kind === chosen.kind);
  const codeLeads = chosen?.sends === false && !passkeyLeads && p.codeForm !== null;
  const challenges = challengeForms(
    ctx,
    p.challenges.map((c) => mark(c, passkeyLeads && c.kind === chosen?.kind)),
    p.action,
    p.hidden,
  );
  const senders = sendForms(
    ctx,
    (p.senders ?? []).map((s) => mark(s, s.methodId === chosen?.methodId)),
    p.hidden,
    p.sendAction,
  );
  const code = p.codeForm?.(codeLeads) ?? '';
  if (chosen?.sends) return [...senders, ...challenges, code];
  if (codeLeads) return [code, ...challenges, ...senders];
  return [...challenges, ...senders, code];
}

/**
 * The code prompt. By default its forms post to the router (`basePath/prompt`, `basePath/cancel`);
 * `action` posts the code elsewhere (e.g. a Passport route), `cancelAction: null` drops the cancel form.
 */
export function promptPage(
  ctx: PageContext,
  p: {
    error?: string;
    notice?: string;
    rememberDays: number | null;
    returnTo?: string;
    action?: string;
    cancelAction?: string | null;
    /** Methods that answer a challenge (a passkey): a button each. */
    challenges?: readonly PageChallenge[];
    /** Methods that send a code on demand (a text message, a call): a button each, posting to `sendAction`. */
    senders?: readonly CodeSender[];
    /** Where the send buttons post `methodId`; default the router's `basePath/send`. */
    sendAction?: string;
    /** false: no code form (every method allowed here answers a challenge). Default true. */
    codeForm?: boolean;
    /** A notification sent, waiting for the user's approval (push): its number and Continue. */
    approval?: PageApproval;
    /** The user's default method: its button (or the code field, for a typed one) leads, marked. */
    defaultMethod?: PageDefault;
  },
): string {
  const cancelAction = p.cancelAction === undefined ? `${ctx.basePath}/cancel` : p.cancelAction;
  const action = p.action ?? `${ctx.basePath}/prompt`;
  const returnTo =
    p.returnTo === undefined ? html`` : html`<input type="hidden" name="returnTo" value="${p.returnTo}">`;
  const challenges = p.challenges ?? [];
  return layout(
    ctx,
    'Verify your identity',
    html`<h1>Verify your identity</h1>
    ${p.notice ? html`<p class="notice">${p.notice}</p>` : ''}
    ${errorBox(p.error)}
    ${approvalForm({ csrf: csrf(ctx), action, hidden: returnTo }, p.approval)}
    ${offeredForms(ctx, {
      challenges,
      senders: p.senders,
      defaultMethod: p.defaultMethod,
      action,
      sendAction: p.sendAction,
      hidden: returnTo,
      codeForm:
        p.codeForm === false
          ? null
          : (leads) => html`<form method="post" action="${action}">
      ${csrf(ctx)}
      ${returnTo}
      ${codeInput(`Verification code${leads ? DEFAULT_MARK : ''}`, codeHint(p.senders, 'the code from your authenticator app or hardware token, or one of your recovery codes', leads))}
      ${
        p.rememberDays !== null
          ? html`<label class="inline"><input type="checkbox" name="remember" value="1"> Don't ask again on this device for ${p.rememberDays} days</label>`
          : ''
      }
      <button type="submit">Verify</button>
    </form>`,
    })}
    ${cancelAction === null ? '' : html`<form method="post" action="${cancelAction}">${csrf(ctx)}<button type="submit" class="link">Cancel sign-in</button></form>`}`,
    { scripts: challenges.length > 0 },
  );
}

export function enrollPage(
  ctx: PageContext,
  /**
   * `action`: where the form posts; default the router's `basePath/enroll`. `chooseAnother`: a
   * link back to the choice of method (when users may register several kinds). `sendAgain`:
   * for a draft that sent a code (a phone), a link back to its form for a new code or number.
   */
  p: {
    draft: EnrollmentDraft;
    error?: string;
    firstMethod: boolean;
    action?: string;
    chooseAnother?: string;
    sendAgain?: string;
  },
): string {
  const { page } = p.draft;
  const action = p.action ?? `${ctx.basePath}/enroll`;
  const label = html`<label for="label">Name for this method (optional)</label>
      <input type="text" id="label" name="label" maxlength="64" placeholder="${page.defaultLabel}">`;
  const options = p.draft.fields.options;
  const confirm =
    page.proof === 'credential' && typeof options === 'object' && options !== null && !Array.isArray(options)
      ? ceremonyForm({
          id: 'mfakit-register',
          mode: 'register',
          action,
          label: page.codeLabel,
          options,
          hidden: html`${csrf(ctx)}<input type="hidden" name="draftId" value="${p.draft.draftId}">${label}`,
        })
      : html`<form method="post" action="${action}">
      ${csrf(ctx)}
      <input type="hidden" name="draftId" value="${p.draft.draftId}">
      ${codeInput(page.codeLabel, page.codeHint)}
      ${label}
      <button type="submit">Activate</button>
    </form>`;
  return layout(
    ctx,
    page.title,
    html`<h1>${page.title}</h1>
    ${p.firstMethod ? html`<p class="notice">Your organisation requires a second sign-in step. Set it up now.</p>` : ''}
    ${errorBox(p.error)}
    ${page.instructions}
    ${confirm}
    ${p.draft.sent && p.sendAgain ? html`<p><a href="${p.sendAgain}">No code? Send a new one, or use another number</a></p>` : ''}
    ${p.chooseAnother ? html`<p><a href="${p.chooseAnother}">Choose another method</a></p>` : ''}`,
    { scripts: page.proof === 'credential' },
  );
}

/**
 * What a registration needs before it begins (a phone number to send the code to), posting
 * `method` and the fields to `action` (default the router's `basePath/enroll/start`).
 */
export function enrollFieldsPage(
  ctx: PageContext,
  p: {
    method: { kind: string; title: string; fields: readonly EnrollmentField[] };
    firstMethod: boolean;
    error?: string;
    action?: string;
    chooseAnother?: string;
  },
): string {
  const action = p.action ?? `${ctx.basePath}/enroll/start`;
  return layout(
    ctx,
    `Set up: ${p.method.title}`,
    html`<h1>Set up: ${p.method.title}</h1>
    ${p.firstMethod ? html`<p class="notice">Your organisation requires a second sign-in step. Set it up now.</p>` : ''}
    ${errorBox(p.error)}
    <form method="post" action="${action}">
      ${csrf(ctx)}
      <input type="hidden" name="method" value="${p.method.kind}">
      ${fieldInputs(p.method.fields)}
      <button type="submit">Send the code</button>
    </form>
    ${p.chooseAnother ? html`<p><a href="${p.chooseAnother}">Choose another method</a></p>` : ''}`,
  );
}

/** Which method to set up, when users may register more than one kind. */
export function enrollChooserPage(
  ctx: PageContext,
  p: { methods: readonly { kind: string; title: string }[]; firstMethod: boolean; action?: string },
): string {
  const action = p.action ?? `${ctx.basePath}/enroll`;
  return layout(
    ctx,
    'Choose a sign-in method',
    html`<h1>Choose a sign-in method</h1>
    ${p.firstMethod ? html`<p class="notice">Your organisation requires a second sign-in step. Set it up now.</p>` : ''}
    <ul class="choices">${p.methods.map((m) => html`<li><a href="${action}?method=${m.kind}">${m.title}</a></li>`)}</ul>`,
  );
}

/** Where a page goes on: a link, or a form posting to `action` (e.g. the step that completes a sign-in). */
export type Continuation = string | { action: string };

const continueControl = (ctx: PageContext, to: Continuation, text: string) =>
  typeof to === 'string'
    ? html`<p><a href="${to}">${text}</a></p>`
    : html`<form method="post" action="${to.action}">${csrf(ctx)}<button type="submit">${text}</button></form>`;

export function recoveryCodesPage(
  ctx: PageContext,
  p: { codes: string[]; continueTo: Continuation },
): string {
  // A stronger method registered in interrupt mode: the user keeps the recovery codes they have.
  if (p.codes.length === 0)
    return layout(
      ctx,
      'Your sign-in method is set up',
      html`<h1>Your sign-in method is set up</h1>
    ${continueControl(ctx, p.continueTo, 'Continue')}`,
    );
  return layout(
    ctx,
    'Your recovery codes',
    html`<h1>Save your recovery codes</h1>
    <p>Each code works once, if you lose your authenticator. They are shown only now: print them or keep them in a password manager.</p>
    <ul class="codes" aria-label="Recovery codes">${p.codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
    ${continueControl(ctx, p.continueTo, 'I have saved them, continue')}`,
  );
}

/** The recovery codes page reloaded: they were shown once; the sign-in goes on from here. */
export function recoveryCodesShownPage(ctx: PageContext, p: { continueTo: Continuation }): string {
  return layout(
    ctx,
    'Your sign-in method is set up',
    html`<h1>Your sign-in method is set up</h1>
    <p>Your recovery codes were shown once. If you did not save them, generate new ones in your security info after signing in.</p>
    ${continueControl(ctx, p.continueTo, 'Continue')}`,
  );
}

export function verifyPage(
  ctx: PageContext,
  p: {
    error?: string;
    notice?: string;
    returnTo: string;
    reason: string;
    challenges?: readonly PageChallenge[];
    senders?: readonly CodeSender[];
    /** A notification sent, waiting for the user's approval (push): its number and Continue. */
    approval?: PageApproval;
    /** The user's default method: its button (or the code field, for a typed one) leads, marked. */
    defaultMethod?: PageDefault;
  },
): string {
  const challenges = p.challenges ?? [];
  const returnTo = html`<input type="hidden" name="returnTo" value="${p.returnTo}">`;
  return layout(
    ctx,
    'Confirm it is you',
    html`<h1>Confirm it's you</h1>
    <p>${p.reason}</p>
    ${p.notice ? html`<p class="notice" role="status">${p.notice}</p>` : ''}
    ${errorBox(p.error)}
    ${approvalForm({ csrf: csrf(ctx), action: `${ctx.basePath}/verify`, hidden: returnTo }, p.approval)}
    ${offeredForms(ctx, {
      challenges,
      senders: p.senders,
      defaultMethod: p.defaultMethod,
      action: `${ctx.basePath}/verify`,
      sendAction: undefined,
      hidden: returnTo,
      codeForm: (leads) => html`<form method="post" action="${ctx.basePath}/verify">
      ${csrf(ctx)}
      ${returnTo}
      ${codeInput(`Verification code${leads ? DEFAULT_MARK : ''}`, codeHint(p.senders, 'a code from your authenticator app or hardware token, or a recovery code', leads))}
      <button type="submit">Confirm</button>
    </form>`,
    })}`,
    { scripts: challenges.length > 0 },
  );
}

/** A time as pages show it: UTC to the minute, or "never". */
export const when = (ms: number | null) =>
  ms === null ? 'never' : `${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC`;

export function messagePage(
  ctx: PageContext,
  title: string,
  message: string,
  link?: { href: string; text: string },
): string {
  return layout(
    ctx,
    title,
    html`<h1>${title}</h1><p>${message}</p>${link ? html`<p><a href="${link.href}">${link.text}</a></p>` : ''}`,
  );
}
