// A first sign-in's registration at the sample federation server, through its pages: mfakit's
// first-method chooser (the sample offers an authenticator app, text message and phone call, and
// passkeys where enabled), a phone's number form and setup with the code sent to it, and the
// prompt's send button at a later sign-in.
import assert from 'node:assert/strict';
import { type Browser, formAction, inputValue, type Page } from './browser.ts';
import { atRp } from './code-flow-rp.ts';

/** mfakit's notice on every page of a first method's registration (the chooser, a method's setup). */
export const FIRST_METHOD = /Your organisation requires a second sign-in step\. Set it up now\./;

const CHOOSER = /<h1>Choose a sign-in method<\/h1>/;

export type FirstMethodKind = 'totp' | 'sms' | 'voice' | 'webauthn' | 'push';

export const isFirstMethodChooser = (page: Page) => CHOOSER.test(page.text) && FIRST_METHOD.test(page.text);

/** On the first-method chooser, follows the link of `kind`: that method's setup (a phone's: its number form). */
export async function chooseFirstMethod(b: Browser, base: string, page: Page, kind: FirstMethodKind) {
  assert.ok(
    isFirstMethodChooser(page),
    `expected the first-method chooser, got ${page.url} (${page.status})\n${page.text.slice(0, 800)}`,
  );
  const href = new RegExp(`<a href="([^"]*/enroll\\?method=${kind})">`).exec(page.text)?.[1];
  assert.ok(href, `the chooser offers no ${kind}:\n${page.text.slice(0, 1500)}`);
  return b.go(new URL(href.replace(/&amp;/g, '&'), base).href, { stopAt: atRp });
}

/** The chooser → the authenticator app's setup page (the QR code and its secret). */
export async function chooseAuthenticatorApp(b: Browser, base: string, page: Page) {
  const setup = await chooseFirstMethod(b, base, page, 'totp');
  assert.match(setup.text, /Set up your authenticator app/);
  assert.match(setup.text, FIRST_METHOD);
  return setup;
}

/**
 * The chooser → a phone of `kind`: the number, then the code sent to it (`codeSent`: read from
 * the outbox, or the console); the recovery codes page's continue link followed (to the RP,
 * where the sign-in completes).
 */
export async function registerPhoneAtFirstSignIn(
  b: Browser,
  base: string,
  chooser: Page,
  kind: 'sms' | 'voice',
  phoneNumber: string,
  codeSent: () => Promise<string>,
  /** More fields of the setup form (e.g. `{ pin }` for keypad calls in PIN mode). */
  fields: Record<string, string> = {},
) {
  const ask = await chooseFirstMethod(b, base, chooser, kind);
  assert.match(ask.text, /<input type="tel" id="phoneNumber" name="phoneNumber"/);
  const setup = await b.go(new URL(formAction(ask.text, '/enroll/start'), base).href, {
    form: { _csrf: inputValue(ask.text, '_csrf'), method: kind, phoneNumber, ...fields },
    stopAt: atRp,
  });
  assert.equal(setup.status, 200, setup.text.slice(0, 800));
  assert.match(setup.text, FIRST_METHOD);
  const saved = await b.go(new URL(formAction(setup.text, '/enroll'), base).href, {
    form: {
      _csrf: inputValue(setup.text, '_csrf'),
      draftId: inputValue(setup.text, 'draftId'),
      code: await codeSent(),
    },
    stopAt: atRp,
  });
  assert.match(saved.text, /Save your recovery codes/, saved.text.slice(0, 800));
  const link = /<a href="([^"]+)">I have saved them/.exec(saved.text)?.[1]?.replace(/&amp;/g, '&');
  assert.ok(link);
  return { setup, next: await b.go(new URL(link, base).href, { stopAt: atRp }) };
}

/** Presses the prompt's send button labelled `button` (e.g. `Text a code to +•• ••• ••67`): the prompt again. */
export async function sendCodeFromPrompt(b: Browser, base: string, prompt: Page, button: string) {
  const form = [...prompt.text.matchAll(/<form[^>]*>[\s\S]*?<\/form>/g)]
    .map((m) => m[0])
    .find((f) => f.includes(button));
  assert.ok(form, `no "${button}" button on the prompt:\n${prompt.text.slice(0, 1500)}`);
  return b.go(new URL(formAction(form, '/mfa/send'), base).href, {
    form: { _csrf: inputValue(form, '_csrf'), methodId: inputValue(form, 'methodId') },
    stopAt: atRp,
  });
}
