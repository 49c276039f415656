// A federated user with no second-factor method here registers one only within
// reauthMaxAgeSeconds of their first factor, and the partner's auth_time is that first factor.
// When the partner's session is older, mfakit refuses the registration (rightly: someone at an
// unlocked browser must not register their own method on a stale partner session) — and the way
// out is a new sign-in at the partner: the federation server sends the browser back there with
// prompt=login and her identifier there as login_hint, once, for the same interaction.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { PARTNER_DEMO_USERS } from '../../../sample-idp/partner-idp/server.ts';
import { type Browser as B, Browser, inputValue } from '../../helpers/browser.ts';
import { codeFlowRequest } from '../../helpers/code-flow-rp.ts';
import {
  atRp,
  type FederationStack,
  loginAtPartnerPage,
  startFederationStack,
  toPartner,
  uidOf,
} from '../../helpers/federation-stack.ts';
import { FIRST_METHOD } from '../../helpers/first-method.ts';
import { LINKED_USERS, PARTNER_FORM, PROVIDERS, partnerSignIn, USERS } from './fixtures.ts';

// Legacy: the partner's MFA does not count here, so Erin must register a method of her own.
const ERIN = 'erin@legacy.partner.test';
// A first method's registration: the chooser (app, text message, call) or a method's setup.
const ENROLLMENT = FIRST_METHOD;
const REAUTH_MAX_AGE_S = 30;

/** A new RP request at the federation server, Erin's address typed in; where that leads (stopping at the RP). */
async function identify(b: B, s: FederationStack) {
  const request = codeFlowRequest(s.fedUrl, 'rp', 'openid profile email');
  const login = await b.go(request.url, { stopAt: atRp });
  return b.go(`${s.fedUrl}/interaction/${uidOf(login)}/identify`, {
    form: { identifier: ERIN, _csrf: inputValue(login.text, '_csrf') },
    stopAt: atRp,
  });
}

describe('sample-idp federation: a first method after a stale partner sign-in', function () {
  this.timeout(120_000);
  let s: FederationStack;
  afterEach(async () => {
    await s.close();
  });
  const stack = () =>
    startFederationStack({
      users: USERS,
      claimsProviders: PROVIDERS,
      partnerUsers: [...PARTNER_DEMO_USERS, ...LINKED_USERS],
      reauthMaxAgeSeconds: REAUTH_MAX_AGE_S,
    });

  it('the partner is asked for a new sign-in (once): its password leads to enrollment, its old session to nothing', async () => {
    s = await stack();
    const b = new Browser();
    // Erin signs in at the partner, reaches the enrollment page here, and leaves it.
    const first = await toPartner(b, s, ERIN);
    const enrollment = await partnerSignIn(b, first.partnerPage, ERIN, false);
    assert.match(enrollment.text, ENROLLMENT);

    // Later than reauthMaxAgeSeconds, the partner's session still open: someone at her browser.
    await sleep((REAUTH_MAX_AGE_S + 2) * 1000);
    s.clock.set(Date.now());
    const shown = s.partner.logins.length;
    const partnerPage = await identify(b, s);
    assert.ok(!atRp(new URL(partnerPage.url)), `the sign-in ended at the RP: ${partnerPage.url}`);
    assert.doesNotMatch(partnerPage.text, ENROLLMENT, 'enrollment on the partner session alone');
    assert.match(partnerPage.text, PARTNER_FORM, `${partnerPage.url}\n${partnerPage.text.slice(0, 300)}`);
    // The partner's SSO answered first; the new login was asked for after mfakit refused.
    assert.equal(s.partner.logins.length, shown + 1);
    assert.equal(s.partner.logins.at(-1)?.prompt, 'login');
    // …with her identifier there, so the partner's form is filled in for her.
    assert.equal(s.partner.logins.at(-1)?.login_hint, ERIN);
    assert.equal(inputValue(partnerPage.text, 'username'), ERIN);

    // Whoever cannot type Erin's partner password stays there. Erin can: then she enrolls.
    const guess = await loginAtPartnerPage(b, partnerPage, { username: ERIN, password: 'a guess' }, false);
    assert.equal(guess.status, 401);
    assert.doesNotMatch(guess.text, ENROLLMENT);
    assert.match(guess.text, PARTNER_FORM);
    const back = await partnerSignIn(b, guess, ERIN, false);
    assert.match(back.text, ENROLLMENT, `${back.url}\n${back.text.slice(0, 300)}`);
  });

  it('a partner that answers the new login from its old session again gets the refusal, not a loop', async () => {
    s = await stack();
    const b = new Browser();
    const first = await toPartner(b, s, ERIN);
    assert.match((await partnerSignIn(b, first.partnerPage, ERIN, false)).text, ENROLLMENT);
    await sleep((REAUTH_MAX_AGE_S + 2) * 1000);
    s.clock.set(Date.now());
    s.partner.settings.honourLoginPrompt = false;
    const shown = s.partner.logins.length;
    // Its SSO answers, mfakit refuses, the retry with prompt=login is answered from the same
    // session: the callback's page (only a request asking for a new login gets it), no third try.
    const page = await identify(b, s);
    assert.ok(!atRp(new URL(page.url)), `the sign-in ended at the RP: ${page.url}`);
    assert.doesNotMatch(page.text, ENROLLMENT);
    assert.equal(page.status, 401, `${page.url}\n${page.text.slice(0, 300)}`);
    assert.match(page.text, /answered from an earlier sign-in/);
    assert.equal(s.partner.logins.length, shown, 'the partner showed a form it was told to skip');
  });
});
