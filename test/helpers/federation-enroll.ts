// Registering an authenticator app through the federation server's pages, as a user would: the
// secret the setup page shows, the code typed, the recovery codes page followed on.
import assert from 'node:assert/strict';
import { type Browser, formAction, inputValue, type Page } from './browser.ts';
import { atRp } from './code-flow-rp.ts';
import { chooseAuthenticatorApp, isFirstMethodChooser } from './first-method.ts';
import { totpNow } from './totp-now.ts';

/** The authenticator secret shown on mfakit's enrollment page. */
export const secretOnPage = (html: string) => {
  const m = /id="secret">([A-Z2-7]+)</.exec(html);
  assert.ok(m?.[1], `no enrollment secret on the page:\n${html.slice(0, 1500)}`);
  return m[1];
};

/**
 * Completes mfakit's authenticator-app setup page — from the first-method chooser, choosing the
 * app first — (code from `codeOf(secret)`, by default for the current real time) and follows the
 * recovery codes page's continue link.
 */
export async function enroll(
  b: Browser,
  base: string,
  shown: Page,
  stopAt = atRp,
  codeOf: (secret: string) => string = totpNow,
) {
  const page = isFirstMethodChooser(shown) ? await chooseAuthenticatorApp(b, base, shown) : shown;
  const secret = secretOnPage(page.text);
  const saved = await b.go(new URL(formAction(page.text, '/enroll'), base).href, {
    form: {
      _csrf: inputValue(page.text, '_csrf'),
      draftId: inputValue(page.text, 'draftId'),
      code: codeOf(secret),
    },
    stopAt,
  });
  assert.match(saved.text, /recovery codes/i);
  const link = /<a href="([^"]+)">I have saved them/.exec(saved.text)?.[1]?.replace(/&amp;/g, '&');
  assert.ok(link);
  return { secret, next: await b.go(new URL(link, base).href, { stopAt }) };
}
