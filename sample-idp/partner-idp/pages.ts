import { html } from 'mfakit/express';

/** The partner IdP's one page: server-rendered, no script, escaped. */
export const PARTNER_CSS = `
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f1ea; color: #222; }
header { background: #7a4b00; color: #fff; padding: .6rem 1rem; font-weight: 600; }
main { max-width: 30rem; margin: 2rem auto; padding: 0 1rem; }
label { display: block; margin: .8rem 0 .2rem; font-weight: 600; }
label.inline { display: flex; gap: .5rem; font-weight: 400; }
input[type=text], input[type=password] { width: 100%; padding: .5rem; font-size: 1rem; }
button { margin-top: 1rem; padding: .5rem 1rem; font-size: 1rem; background: #7a4b00; color: #fff; border: 0; border-radius: 4px; }
.error { border-left: 4px solid #b3261e; padding: .4rem .6rem; background: #fbe9e7; }
.notice { border-left: 4px solid #7a4b00; padding: .4rem .6rem; }
`;

export function partnerLoginPage(p: {
  uid: string;
  csrf: string;
  loginHint?: string;
  mfaRequired: boolean;
  error?: string;
  users: { id: string; email: string; password: string }[];
}): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner Co sign-in</title>
<link rel="stylesheet" href="/assets/partner.css"></head><body><header>Partner Co IdP</header><main>
<h1>Sign in to Partner Co</h1>
${p.mfaRequired ? html`<p class="notice" id="mfa-required">This sign-in requires your Partner Co MFA.</p>` : ''}
${p.error ? html`<p class="error" role="alert">${p.error}</p>` : ''}
<form method="post" action="/interaction/${p.uid}/login"><input type="hidden" name="_csrf" value="${p.csrf}">
<label for="username">E-mail address</label><input type="text" id="username" name="username" value="${p.loginHint ?? ''}" required>
<label for="password">Password</label><input type="password" id="password" name="password" required>
<label class="inline"><input type="checkbox" name="mfa" value="yes"> I used my partner MFA (demo: tick to sign in "with MFA")</label>
<button type="submit">Sign in</button></form>
<p>Demo accounts: ${p.users.map((u) => html`<code>${u.email}</code> / <code>${u.password}</code> `)}</p>
</main></body></html>`.value;
}
