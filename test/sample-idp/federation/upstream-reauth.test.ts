// A new sign-in asked of the federation server must be a new sign-in at the claims provider:
// prompt=login, max_age and a policy's sign-in frequency reach the partner (prompt=login,
// max_age), and the partner's own auth_time is the sign-in time — so the partner's SSO session,
// and the MFA it reported an hour ago, never pass for a new authentication. Without a request
// for one, the partner's SSO still signs the user in (no over-blocking).

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { PARTNER_DEMO_USERS } from '../../../sample-idp/partner-idp/server.ts';
import { type Browser as B, Browser, inputValue } from '../../helpers/browser.ts';
import { codeFlowRequest } from '../../helpers/code-flow-rp.ts';
import {
  atRp,
  type FederationStack,
  redeem,
  startFederationStack,
  toPartner,
  uidOf,
} from '../../helpers/federation-stack.ts';
import { HOURLY_MFA_FOR_RP } from '../../helpers/policies.ts';
import {
  atPartnerForm,
  LINKED_USERS,
  lastPartnerLogin,
  PROVIDERS,
  partnerSignIn,
  startStack,
  USERS,
} from './fixtures.ts';

const CAROL = 'carol@partner.test';

/** An RP request at the federation server (with `extra` parameters), Carol's address typed in; where that leads. */
async function identifyAgain(b: B, s: FederationStack, extra: Record<string, string> = {}) {
  const request = codeFlowRequest(s.fedUrl, 'rp', 'openid profile email', extra);
  const login = await b.go(request.url, { stopAt: atRp });
  const page = await b.go(`${s.fedUrl}/interaction/${uidOf(login)}/identify`, {
    form: { identifier: CAROL, _csrf: inputValue(login.text, '_csrf') },
    stopAt: atRp,
  });
  return { request, page };
}

describe('sample-idp federation: a new sign-in is a new sign-in at the claims provider', function () {
  this.timeout(60_000);
  let s: FederationStack;
  afterEach(async () => {
    await s.close();
  });

  it('prompt=login&max_age=0 on an unlocked browser: the partner asks for the password again, its old MFA does not count', async () => {
    s = await startStack();
    const b = new Browser();
    const { request, partnerPage } = await toPartner(b, s, CAROL);
    await redeem(s, await partnerSignIn(b, partnerPage, CAROL, true), request);
    s.clock.advance(50 * 60_000);

    // The attacker: an RP link asking for a fresh MFA sign-in, and only Carol's address typed.
    const { request: again, page } = await identifyAgain(b, s, {
      prompt: 'login',
      max_age: '0',
      acr_values: 'urn:mfakit:acr:mfa',
    });
    atPartnerForm(page);
    assert.equal(lastPartnerLogin(s).prompt, 'login');

    // Carol herself signs in there again: the sign-in time is now.
    const back = await partnerSignIn(b, page, CAROL, true);
    const { claims } = await redeem(s, back, again);
    assert.equal(claims.auth_time, Math.floor(s.clock.now() / 1000));
    assert.deepEqual(claims.amr, ['fed', 'mfa']);
  });

  it('max_age past: the partner is given the max_age, and its older sign-in asks for the password', async () => {
    s = await startStack();
    const b = new Browser();
    const { request, partnerPage } = await toPartner(b, s, CAROL);
    await redeem(s, await partnerSignIn(b, partnerPage, CAROL, true), request);
    await sleep(2100);
    const { page } = await identifyAgain(b, s, { max_age: '1' });
    atPartnerForm(page);
    assert.equal(String(lastPartnerLogin(s).max_age), '1');
  });

  it('a partner that ignores prompt=login and answers from its session is refused, with a clear page', async () => {
    s = await startStack();
    const b = new Browser();
    const { request, partnerPage } = await toPartner(b, s, CAROL);
    await redeem(s, await partnerSignIn(b, partnerPage, CAROL, true), request);
    await sleep(3100);
    s.partner.settings.honourLoginPrompt = false;
    const { page } = await identifyAgain(b, s, { prompt: 'login' });
    assert.ok(!atRp(new URL(page.url)), `a code was issued on the partner's old sign-in: ${page.url}`);
    assert.equal(page.status, 401);
    assert.match(page.text, /answered from an earlier sign-in/);
  });

  it("without prompt or max_age the partner's SSO still signs in, with the partner's own auth_time", async () => {
    s = await startStack();
    const b = new Browser();
    const { request, partnerPage } = await toPartner(b, s, CAROL);
    const before = Math.floor(Date.now() / 1000);
    const first = await partnerSignIn(b, partnerPage, CAROL, true);
    const after = Math.floor(Date.now() / 1000);
    await redeem(s, first, request);

    // A new session here (its cookies gone), the partner's still open; seconds later.
    await sleep(2100);
    const fedHost = new URL(s.fedUrl).host;
    b.cookies = b.cookies.filter((c) => c.host !== fedHost);
    s.clock.set(Date.now());
    const shown = s.partner.logins.length;
    const { request: again, page } = await identifyAgain(b, s);
    assert.ok(atRp(new URL(page.url)), `expected the partner's SSO to answer: ${page.url}`);
    assert.equal(s.partner.logins.length, shown, 'the partner asked for a password');
    const { claims } = await redeem(s, page, again);
    assert.deepEqual(claims.amr, ['fed', 'mfa']);
    // When Carol signed in at the partner, not now.
    assert.ok(
      claims.auth_time !== undefined && claims.auth_time >= before - 1 && claims.auth_time <= after + 1,
      `auth_time ${claims.auth_time}, partner sign-in in [${before}, ${after}]`,
    );
  });

  it("sign-in frequency: past it, a federated user's next sign-in asks the partner to authenticate again", async () => {
    s = await startFederationStack({
      users: USERS,
      claimsProviders: PROVIDERS,
      partnerUsers: [...PARTNER_DEMO_USERS, ...LINKED_USERS],
      policies: { policies: [HOURLY_MFA_FOR_RP] },
    });
    const b = new Browser();
    const { request, partnerPage } = await toPartner(b, s, CAROL);
    const first = (await redeem(s, await partnerSignIn(b, partnerPage, CAROL, true), request)).claims;
    assert.deepEqual(first.amr, ['fed', 'mfa']);

    s.clock.advance(2 * 3_600_000);
    const { request: again, page } = await identifyAgain(b, s);
    atPartnerForm(page);
    assert.equal(lastPartnerLogin(s).prompt, 'login');
    const back = await partnerSignIn(b, page, CAROL, true);
    const { claims } = await redeem(s, back, again);
    assert.equal(claims.auth_time, Math.floor(s.clock.now() / 1000));
  });
});
