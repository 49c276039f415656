import { html, type SafeHtml, trusted } from 'mfakit/express';

/**
 * The federation server's own pages (sign-in, home-realm discovery, logout, errors, the
 * security-info portal's sign-in): server-rendered, every value escaped by the `html`
 * template, styled like mfakit's pages; the only script is mfakit's WebAuthn client, on the
 * sign-in page's passkey form.
 */
export const STYLE_PATH = '/assets/style.css';

export interface ProviderChoice {
  id: string;
  displayName: string;
}

const layout = (service: string, title: string, body: SafeHtml) =>
  html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${service}</title><link rel="stylesheet" href="${STYLE_PATH}"></head>
<body><main><p class="muted">${service}</p>${body}</main></body></html>`.value;

const csrfField = (token: string) => html`<input type="hidden" name="_csrf" value="${token}">`;
const errorBox = (error?: string) => (error ? html`<p class="error" role="alert">${error}</p>` : '');

export interface SignInPageProps {
  service: string;
  uid: string;
  csrf: string;
  /** The relying party the user is signing in to. */
  clientName: string;
  providers: ProviderChoice[];
  identifier?: string;
  error?: string;
}

/**
 * Step 1: who are you? An address in a partner's domain goes there; otherwise the password. With
 * `passkeyForm` (mfakit/oidc's passwordless form and its scripts), the browser also offers the
 * user's passkeys as they focus the field (autofill), and a button asks for one.
 */
export function identifierPage(p: SignInPageProps & { passkeyForm?: string }): string {
  const partners =
    p.providers.length === 0
      ? ''
      : html`<h2>Or sign in with</h2>${p.providers.map(
          (cp) =>
            html`<form method="post" action="/interaction/${p.uid}/federate/${cp.id}">${csrfField(p.csrf)}<button type="submit" class="link">Sign in with ${cp.displayName}</button></form>`,
        )}`;
  return layout(
    p.service,
    'Sign in',
    html`<h1>Sign in</h1><p>to continue to <strong>${p.clientName}</strong></p>${errorBox(p.error)}
<form method="post" action="/interaction/${p.uid}/identify">${csrfField(p.csrf)}
<label for="identifier">E-mail address or user name</label>
<input type="text" id="identifier" name="identifier" value="${p.identifier ?? ''}" autocomplete="${p.passkeyForm ? 'username webauthn' : 'username'}" autofocus required maxlength="256">
<button type="submit">Next</button></form>${p.passkeyForm ? trusted(p.passkeyForm) : ''}${partners}`,
  );
}

/**
 * Step 2 for a local account: the password, or a Temporary Access Pass (a link-styled button
 * switches between the two by posting the identifier again).
 */
export function passwordPage(p: SignInPageProps & { identifier: string; accessPass?: boolean }): string {
  const secret = p.accessPass ? 'Temporary Access Pass' : 'Password';
  const other = p.accessPass ? 'password' : 'temporaryAccessPass';
  return layout(
    p.service,
    p.accessPass ? 'Enter Temporary Access Pass' : 'Enter password',
    html`<h1>Enter ${p.accessPass ? 'Temporary Access Pass' : 'password'}</h1><p>for <strong>${p.identifier}</strong>, to continue to <strong>${p.clientName}</strong></p>${errorBox(p.error)}
<form method="post" action="/interaction/${p.uid}/login">${csrfField(p.csrf)}
<input type="hidden" name="identifier" value="${p.identifier}">
<input type="hidden" name="kind" value="${p.accessPass ? 'temporaryAccessPass' : 'password'}">
<label for="password">${secret}</label>
<input type="password" id="password" name="password" autocomplete="${p.accessPass ? 'one-time-code' : 'current-password'}" autofocus required maxlength="256">
<button type="submit">Sign in</button></form>
<form method="post" action="/interaction/${p.uid}/identify">${csrfField(p.csrf)}
<input type="hidden" name="identifier" value="${p.identifier}"><input type="hidden" name="kind" value="${other}">
<button type="submit" class="link">${p.accessPass ? 'Use your password instead' : 'Use a Temporary Access Pass'}</button></form>
<p><a href="/interaction/${p.uid}">Use another account</a></p>`,
  );
}

export function messagePage(
  service: string,
  title: string,
  message: string,
  link?: { href: string; label: string },
): string {
  return layout(
    service,
    title,
    html`<h1>${title}</h1><p>${message}</p>${link ? html`<p><a href="${link.href}">${link.label}</a></p>` : ''}`,
  );
}

/** oidc-provider's logout confirmation; `form` is its own (action + xsrf token), trusted markup. */
export function logoutPage(service: string, form: string, clientName?: string): string {
  return layout(
    service,
    'Sign out',
    html`<h1>Sign out${clientName ? html` of ${clientName}` : ''}?</h1>
<p>You will be signed out of ${service} on this browser.</p>
${trusted(form)}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="link">No, stay signed in</button>`,
  );
}

export function signedOutPage(service: string, clientName?: string): string {
  return layout(
    service,
    'Signed out',
    html`<h1>You are signed out</h1><p>${clientName ? html`Your sign-out from ${clientName} was successful. ` : ''}You can close this window.</p>`,
  );
}

export function portalSignInPage(p: {
  service: string;
  csrf: string;
  error?: string;
  identifier?: string;
  accessPass?: boolean;
}): string {
  const secret = p.accessPass ? 'Temporary Access Pass' : 'Password';
  return layout(
    p.service,
    'Security info',
    html`<h1>Security info</h1><p>Sign in to manage your sign-in methods, recovery codes and remembered devices.</p>${errorBox(p.error)}
<form method="post" action="/account/login">${csrfField(p.csrf)}
<input type="hidden" name="kind" value="${p.accessPass ? 'temporaryAccessPass' : 'password'}">
<label for="identifier">E-mail address or user name</label>
<input type="text" id="identifier" name="identifier" value="${p.identifier ?? ''}" autocomplete="username" required maxlength="256">
<label for="password">${secret}</label>
<input type="password" id="password" name="password" autocomplete="${p.accessPass ? 'one-time-code' : 'current-password'}" required maxlength="256">
<button type="submit">Sign in</button></form>
<p><a href="/account${p.accessPass ? '' : '?method=tap'}">${p.accessPass ? 'Use your password instead' : 'Use a Temporary Access Pass'}</a></p>`,
  );
}

export function portalSignedInPage(p: { service: string; csrf: string; name: string }): string {
  return layout(
    p.service,
    'Security info',
    html`<h1>Security info</h1><p>Signed in as <strong>${p.name}</strong>.</p>
<p><a href="/account/mfa/settings">Manage your sign-in methods</a></p>
<form method="post" action="/account/logout">${csrfField(p.csrf)}<button type="submit">Sign out</button></form>`,
  );
}

/** A keypad call the development phone shows (the number masked as mfakit's pages show it). */
export interface RingingCall {
  callId: string;
  maskedTo: string;
  /** What the call says: its greeting and prompt. */
  says: string;
  secondsLeft: number;
}

/** The development phone (dev-phone.ts): the ringing keypad calls, a keypad form each. */
export function devPhonePage(p: {
  service: string;
  csrf: string;
  calls: readonly RingingCall[];
  /** What the last call answered said before hanging up. */
  said?: string;
  error?: string;
}): string {
  const calls =
    p.calls.length === 0
      ? html`<p>No call is ringing. Press <strong>Call</strong> on the sign-in page, then <a href="/dev/phone">look again</a>.</p>`
      : p.calls.map(
          (c, i) => html`<section class="call"><h2>Call to ${c.maskedTo}</h2><p>“${c.says}”</p>
<p class="muted">It can be answered for ${c.secondsLeft} more seconds.</p>
<form method="post" action="/dev/phone/answer">${csrfField(p.csrf)}<input type="hidden" name="callId" value="${c.callId}">
<label for="keys-${i}">Keys to press</label>
<input type="text" id="keys-${i}" name="keys" inputmode="numeric" autocomplete="off" required maxlength="17" pattern="[0-9*]{1,16}#?">
<button type="submit">Press the keys</button></form></section>`,
        );
  return layout(
    p.service,
    'Development phone',
    html`<h1>Development phone</h1>
<p>Keypad calls placed through the development outbox: nothing reached a real phone. Type on this keypad what the call asks for.</p>
${p.said ? html`<p class="notice" role="status">The call said: “${p.said}”</p>` : ''}${errorBox(p.error)}${calls}`,
  );
}
