// A sign-in page waiting for an approval given elsewhere (in a push app, on a phone's keypad
// during a call), read as a user does: the number it shows to enter (`id="match-number"`) and its
// Continue form (push=1 and the method's id), checked as rendered or pressed in a Browser (the
// oidc IdP, the sample IdP).
import assert from 'node:assert/strict';
import { type Browser, formAction, inputValue, type Page } from './browser.ts';
import { atRp } from './code-flow-rp.ts';

/** The number a page shows to enter in the app or on the keypad; undefined when it shows none. */
export function matchNumberOf(html: string): string | undefined {
  return /id="match-number">(\d+)</.exec(html)?.[1];
}

/** The page's Continue form for its approval (the form posting push=1). */
export function approvalFormOf(html: string): string {
  const form = [...html.matchAll(/<form[^>]*>[\s\S]*?<\/form>/g)]
    .map((m) => m[0])
    .find((f) => f.includes('name="push" value="1"'));
  assert.ok(form, `no Continue on the page:\n${html.slice(0, 1200)}`);
  return form;
}

/**
 * Asserts the page shows `number` and a Continue form posting to `action` with push=1 for
 * `methodId`, its button last.
 */
export function assertContinueForm(html: string, number: string, methodId: string, action: string) {
  assert.equal(matchNumberOf(html), number);
  assert.match(html, /<p class="match-number" id="match-number">/);
  const form = new RegExp(
    `<form method="post" action="${action}">[\\s\\S]*?name="push" value="1">\\s*<input type="hidden" name="methodId" value="${methodId}">\\s*<button type="submit">Continue</button>`,
  );
  assert.match(html, form);
}

/**
 * Presses the page's Continue in a browser (push=1 for the method its form names), the form's
 * action taken relative to `base` (the IdP's URL): the page it ends on, or the client's redirect.
 */
export function pressApprovalContinue(b: Browser, base: string, page: Page) {
  const form = approvalFormOf(page.text);
  return b.go(new URL(formAction(form, '/mfa/prompt'), base).href, {
    form: { _csrf: inputValue(form, '_csrf'), push: '1', methodId: inputValue(form, 'methodId') },
    stopAt: atRp,
  });
}
