import { html, type SafeHtml } from 'mfakit/express';
import type { SignedInClaims } from './session.ts';

/**
 * The demo RP's pages: plain server-rendered HTML, no script; every value goes through the
 * escaping `html` template.
 */
export const RP_STYLE_CSS = `
:root { color-scheme: light dark; --accent: #0f7b6c; --muted: #666; --danger: #b3261e; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: Canvas; color: CanvasText; }
header { background: var(--accent); color: #fff; padding: .6rem 1rem; font-weight: 600; }
main { max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
a { color: var(--accent); }
table { width: 100%; border-collapse: collapse; margin: 1rem 0; }
td, th { text-align: left; padding: .4rem .3rem; border-bottom: 1px solid #ccc; vertical-align: top; }
td { font-family: ui-monospace, monospace; word-break: break-all; }
button { padding: .5rem 1rem; font-size: 1rem; border: 0; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
.error { border-left: 4px solid var(--danger); padding: .5rem .75rem; background: color-mix(in srgb, var(--danger) 10%, Canvas); }
.muted { color: var(--muted); }
ul.links { padding-left: 1.2rem; }
`;

export const STYLE_PATH = '/assets/rp.css';

const layout = (title: string, body: SafeHtml) =>
  html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Demo SaaS app</title><link rel="stylesheet" href="${STYLE_PATH}"></head>
<body><header>Demo SaaS app</header><main>${body}</main></body></html>`.value;

const csrfField = (token: string) => html`<input type="hidden" name="_csrf" value="${token}">`;

export const isoTime = (seconds: number) => new Date(seconds * 1000).toISOString();

function claimsTable(c: SignedInClaims): SafeHtml {
  const rows: Array<[string, string | undefined]> = [
    ['sub', c.sub],
    ['name', c.name],
    ['email', c.email],
    ['amr', c.amr?.join(', ')],
    ['acr', c.acr],
    ['auth_time', c.authTime === undefined ? undefined : isoTime(c.authTime)],
    ['iss', c.iss],
  ];
  return html`<table>${rows
    .filter((r): r is [string, string] => r[1] !== undefined)
    .map(([k, v]) => html`<tr><th scope="row">${k}</th><td data-claim="${k}">${v}</td></tr>`)}</table>`;
}

export function homePage(p: {
  claims?: SignedInClaims;
  csrfToken?: string;
  acrForSensitive: string;
  acrForPayments: string;
}): string {
  if (!p.claims) {
    return layout(
      'Welcome',
      html`<h1>Welcome</h1>
      <p>You are not signed in.</p>
      <p><a href="/login">Sign in</a></p>`,
    );
  }
  return layout(
    'Home',
    html`<h1>Signed in${p.claims.name ? html` as ${p.claims.name}` : ''}</h1>
    <p>The ID token the sign-in service issued says:</p>
    ${claimsTable(p.claims)}
    <ul class="links">
      <li><a href="/sensitive">Sensitive action</a> <span class="muted">(needs ${p.acrForSensitive})</span></li>
      <li><a href="/payments">Approve payments</a> <span class="muted">(needs ${p.acrForPayments}: a passkey or security key)</span></li>
      <li><a href="/login?prompt=login">Sign in again</a></li>
    </ul>
    <form method="post" action="/logout">${csrfField(p.csrfToken ?? '')}<button type="submit">Sign out</button></form>`,
  );
}

export function sensitivePage(p: { claims: SignedInClaims }): string {
  return layout(
    'Sensitive action',
    html`<h1>Sensitive action</h1>
    <p>Your sign-in is strong enough for this page.</p>
    ${claimsTable(p.claims)}
    <p><a href="/">Back</a></p>`,
  );
}

export function paymentsPage(p: { claims: SignedInClaims }): string {
  return layout(
    'Approve payments',
    html`<h1>Approve payments</h1>
    <p>You signed in with a phishing-resistant method (a passkey or security key): you may approve payments.</p>
    ${claimsTable(p.claims)}
    <p><a href="/">Back</a></p>`,
  );
}

export function stepUpRefusedPage(p: { wanted: string; got?: string | undefined; retry?: string }): string {
  return layout(
    'Stronger sign-in needed',
    html`<h1>This action needs a stronger sign-in</h1>
    <p class="error" role="alert">The sign-in service signed you in at level <code>${p.got ?? 'none'}</code>;
    this action needs at least <code>${p.wanted}</code>.</p>
    <p><a href="${p.retry ?? '/sensitive'}">Try again</a> · <a href="/">Back</a></p>`,
  );
}

export function errorPage(p: {
  title: string;
  message: string;
  error?: string;
  errorDescription?: string;
}): string {
  return layout(
    p.title,
    html`<h1>${p.title}</h1>
    <p class="error" role="alert">${p.message}</p>
    ${
      p.error === undefined
        ? ''
        : html`<table>
      <tr><th scope="row">error</th><td data-field="error">${p.error}</td></tr>
      ${
        p.errorDescription === undefined
          ? ''
          : html`<tr><th scope="row">error_description</th><td data-field="error_description">${p.errorDescription}</td></tr>`
      }
    </table>`
    }
    <p><a href="/login">Sign in again</a> · <a href="/">Home</a></p>`,
  );
}

export function signedOutPage(): string {
  return layout(
    'Signed out',
    html`<h1>You are signed out</h1>
    <p><a href="/login">Sign in</a></p>`,
  );
}
