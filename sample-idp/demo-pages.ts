import { html, passkeySignInForm, type SafeHtml, trusted } from 'mfakit/express';

const layout = (title: string, body: SafeHtml) =>
  html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · mfakit demo</title><link rel="stylesheet" href="/mfa/assets/style.css"></head><body><main>${body}</main></body></html>`
    .value;
const csrfField = (token: string) => html`<input type="hidden" name="_csrf" value="${token}">`;

/** The demo app's own pages: a sign-in form and a protected home page. */
export function loginPage(p: {
  csrfToken: string;
  error?: string;
  returnTo: string;
  accounts: Array<{ id: string; password: string }>;
  /** Offer passkey sign-in: autofill on the user name field, and a button. */
  passkeys?: boolean;
}): string {
  return layout(
    'Sign in',
    html`<h1>Sign in to the mfakit demo</h1>
    ${p.error ? html`<p class="error" role="alert">${p.error}</p>` : ''}
    <form method="post" action="/login">
      ${csrfField(p.csrfToken)}
      <input type="hidden" name="returnTo" value="${p.returnTo}">
      <label for="username">User name</label>
      <input type="text" id="username" name="username" autocomplete="${p.passkeys ? 'username webauthn' : 'username'}" required autofocus>
      <label for="password">Password</label>
      <input type="password" id="password" name="password" autocomplete="current-password" required>
      <button type="submit">Sign in</button>
    </form>
    ${p.passkeys ? trusted(passkeySignInForm('/mfa', { returnTo: p.returnTo })) : ''}
    <h2>Demo accounts</h2>
    <ul>${p.accounts.map((a) => html`<li><code>${a.id}</code> / <code>${a.password}</code></li>`)}</ul>`,
  );
}

export function homePage(p: {
  csrfToken: string;
  name: string;
  amr: string[];
  acr: string;
  authTime: number;
  skippedBy?: string | undefined;
}): string {
  const rows: Array<[string, string]> = [
    ['Signed in as', p.name],
    ['Methods used (amr)', p.amr.join(', ')],
    ['Assurance (acr)', p.acr],
    ['Signed in at', new Date(p.authTime).toISOString()],
    ['Second factor skipped because', p.skippedBy ?? '—'],
  ];
  const body: SafeHtml = html`<h1>Protected page</h1>
    <p>You passed every sign-in step this account requires.</p>
    <table>${rows.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</table>
    <p><a href="/mfa/settings">Security info</a> (methods, recovery codes, remembered devices)</p>
    <form method="post" action="/logout">${csrfField(p.csrfToken)}<button type="submit">Sign out</button></form>`;
  return layout('Home', body);
}
