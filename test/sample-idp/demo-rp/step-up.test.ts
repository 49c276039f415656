/** The demo relying party against oidc-provider: step-up for /sensitive and /payments, and the acr ordering. */

import assert from 'node:assert/strict';
import {
  ACR_MFA,
  ACR_PASSWORD,
  ACR_PHISHING_RESISTANT,
  acrAtLeast,
  acrRank,
} from '../../../sample-idp/demo-rp/acr.ts';
import { claimCell, op, opState, rp, signIn, useDemoRpWorld } from './fixtures.ts';

describe('the demo relying party (openid-client) against oidc-provider', function () {
  this.timeout(60_000);
  useDemoRpWorld();

  it('/sensitive with a pwd session sends the browser to the OP with acr_values=urn:mfakit:acr:mfa', async () => {
    const { browser } = await signIn();
    const res = await browser.get(`${rp.url}/sensitive`);
    assert.equal(res.status, 303);
    const auth = new URL(res.headers.location ?? '');
    assert.equal(auth.origin + auth.pathname, `${op.url}/auth`);
    assert.equal(auth.searchParams.get('acr_values'), ACR_MFA);
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(auth.searchParams.get('state'));
    assert.ok(auth.searchParams.get('nonce'));
  });

  it('an OP that answers the step-up with acr pwd anyway gets 403 from /sensitive', async () => {
    const { browser } = await signIn();
    opState.answer = { accountId: 'alice', acr: ACR_PASSWORD, amr: ['pwd'] };
    const { res, url } = await browser.follow(`${rp.url}/sensitive`);
    assert.equal(opState.logins.length, 2, 'the OP was asked again');
    assert.equal(opState.logins[1]?.acr_values, ACR_MFA);
    assert.equal(url, `${rp.url}/sensitive`);
    assert.equal(res.status, 403);
    assert.match(res.text, /This action needs a stronger sign-in/);
    assert.doesNotMatch(res.text, /<h1>Sensitive action/);
    // Asking again goes back to the OP rather than looping or granting.
    const again = await browser.get(`${rp.url}/sensitive`);
    assert.equal(again.status, 303);
    assert.equal(new URL(again.headers.location ?? '').searchParams.get('acr_values'), ACR_MFA);
  });

  it('an OP that answers an unknown acr is treated as the lowest level (403)', async () => {
    const { browser } = await signIn();
    opState.answer = { accountId: 'alice', acr: 'urn:example:acr:gold', amr: ['pwd', 'otp'] };
    const { res } = await browser.follow(`${rp.url}/sensitive`);
    assert.equal(res.status, 403);
    assert.match(res.text, /urn:example:acr:gold/);
  });

  it('an OP that answers the step-up with acr mfa gets the sensitive page', async () => {
    const { browser } = await signIn();
    opState.answer = { accountId: 'alice', acr: ACR_MFA, amr: ['pwd', 'otp', 'mfa'] };
    const { res, url } = await browser.follow(`${rp.url}/sensitive`);
    assert.equal(url, `${rp.url}/sensitive`);
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /<h1>Sensitive action<\/h1>/);
    assert.equal(claimCell(res.text, 'acr'), ACR_MFA);
    assert.equal(claimCell(res.text, 'amr'), 'pwd, otp, mfa');
    // Now strong enough: no new trip to the OP.
    const again = await browser.get(`${rp.url}/sensitive`);
    assert.equal(again.status, 200);
    assert.equal(opState.logins.length, 2);
  });

  it('a phishing-resistant (phr) session is enough for /sensitive straight away', async () => {
    opState.answer = { accountId: 'alice', acr: ACR_PHISHING_RESISTANT, amr: ['hwk', 'mfa'] };
    const { browser } = await signIn();
    const res = await browser.get(`${rp.url}/sensitive`);
    assert.equal(res.status, 200);
    assert.equal(opState.logins.length, 1);
  });

  it('/payments needs …:phr: a session at …:mfa is sent to the OP with acr_values …:phr; a weaker answer is 403 there only', async () => {
    opState.answer = { accountId: 'alice', acr: ACR_MFA, amr: ['pwd', 'otp', 'mfa'] };
    const { browser, res: home } = await signIn();
    assert.match(home.text, /href="\/payments">Approve payments<\/a>/);
    const { res, url } = await browser.follow(`${rp.url}/payments`);
    assert.equal(opState.logins[1]?.acr_values, ACR_PHISHING_RESISTANT);
    assert.equal(url, `${rp.url}/payments`);
    assert.equal(res.status, 403);
    assert.match(res.text, /needs at least <code>urn:mfakit:acr:phr<\/code>/);
    assert.match(res.text, /<a href="\/payments">Try again<\/a>/);
    // The session at …:mfa still opens the sensitive page (the refusal belongs to /payments).
    opState.answer = { accountId: 'alice', acr: ACR_PHISHING_RESISTANT, amr: ['hwk', 'user', 'mfa'] };
    assert.equal((await browser.get(`${rp.url}/sensitive`)).status, 200);
    const approved = await browser.follow(`${rp.url}/payments`);
    assert.equal(approved.res.status, 200);
    assert.match(approved.res.text, /<h1>Approve payments<\/h1>/);
    assert.equal(claimCell(approved.res.text, 'acr'), ACR_PHISHING_RESISTANT);
  });
});

describe('demo RP acr ordering', () => {
  it('pwd < mfa < phr, and an unknown or missing acr is below all of them', () => {
    assert.ok(acrRank(ACR_PASSWORD) < acrRank(ACR_MFA));
    assert.ok(acrRank(ACR_MFA) < acrRank(ACR_PHISHING_RESISTANT));
    assert.ok(acrRank('urn:example:other') < acrRank(ACR_PASSWORD));
    assert.ok(acrRank(undefined) < acrRank(ACR_PASSWORD));
    assert.equal(acrAtLeast(ACR_MFA, ACR_MFA), true);
    assert.equal(acrAtLeast(ACR_PHISHING_RESISTANT, ACR_MFA), true);
    assert.equal(acrAtLeast(ACR_PASSWORD, ACR_MFA), false);
    assert.equal(acrAtLeast('urn:example:other', ACR_PASSWORD), false);
    assert.equal(acrAtLeast(undefined, ACR_PASSWORD), false);
  });
});
