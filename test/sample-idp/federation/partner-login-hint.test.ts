// When the federation server asks a claims provider for a new login of a user it already knows
// (prompt=login or max_age in this browser's session, chosen with the "Sign in with …" button),
// it sends the user's identifier there as `login_hint`, and the partner's form shows it filled
// in. Only an address in that provider's own e-mail domains is sent: a local user's address
// never reaches a partner. The partner escapes the hint it shows (markup typed as an identifier
// ends as text in the form). The retry after a stale partner sign-in is in
// stale-partner-enrollment.test.ts.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Browser as B, Browser, inputValue } from '../../helpers/browser.ts';
import { codeFlowRequest } from '../../helpers/code-flow-rp.ts';
import {
  atRp,
  type FederationStack,
  redeem,
  signInWithPassword,
  toPartner,
  uidOf,
} from '../../helpers/federation-stack.ts';
import { atPartnerForm, lastPartnerLogin, PARTNER_FORM, partnerSignIn, startStack } from './fixtures.ts';

const CAROL = 'carol@partner.test';

/** A new RP request (with `extra` parameters), then the "Sign in with Partner partner" button; where that leads. */
async function partnerButton(b: B, s: FederationStack, extra: Record<string, string>) {
  const request = codeFlowRequest(s.fedUrl, 'rp', 'openid profile email', extra);
  const login = await b.go(request.url, { stopAt: atRp });
  assert.match(login.text, /Sign in with Partner partner/, login.text.slice(0, 300));
  const page = await b.go(`${s.fedUrl}/interaction/${uidOf(login)}/federate/partner`, {
    form: { _csrf: inputValue(login.text, '_csrf') },
    stopAt: atRp,
  });
  return { request, page };
}

/** Carol signed in through the partner (with its MFA), the RP's code redeemed: her browser. */
async function carolSignedIn(s: FederationStack) {
  const b = new Browser();
  const { request, partnerPage } = await toPartner(b, s, CAROL);
  await redeem(s, await partnerSignIn(b, partnerPage, CAROL, true), request);
  return b;
}

describe('sample-idp federation: login_hint on a new login asked of the partner', function () {
  this.timeout(60_000);
  let s: FederationStack;
  afterEach(async () => {
    await s.close();
  });

  it("prompt=login in Carol's session: the partner gets her address as login_hint, its form shows it", async () => {
    s = await startStack();
    const b = await carolSignedIn(s);
    const { request, page } = await partnerButton(b, s, { prompt: 'login' });
    atPartnerForm(page);
    assert.equal(lastPartnerLogin(s).prompt, 'login');
    assert.equal(lastPartnerLogin(s).login_hint, CAROL);
    assert.equal(inputValue(page.text, 'username'), CAROL);
    // And she signs in there as usual.
    const { claims } = await redeem(s, await partnerSignIn(b, page, CAROL, true), request);
    assert.deepEqual(claims.amr, ['fed', 'mfa']);
  });

  it("max_age past in Carol's session: the partner gets the max_age and her address, its form shows it", async () => {
    s = await startStack();
    const b = await carolSignedIn(s);
    await sleep(2100);
    const { page } = await partnerButton(b, s, { max_age: '1' });
    atPartnerForm(page);
    assert.equal(String(lastPartnerLogin(s).max_age), '1');
    assert.equal(lastPartnerLogin(s).login_hint, CAROL);
    assert.equal(inputValue(page.text, 'username'), CAROL);
  });

  it('no new login asked: no login_hint (the button alone says nothing of who)', async () => {
    s = await startStack();
    const b = new Browser();
    const { page } = await partnerButton(b, s, {});
    atPartnerForm(page);
    assert.equal(lastPartnerLogin(s).login_hint, undefined);
    assert.match(page.text, /name="username" value=""/);
  });

  it("attack: a local user's session asking the partner for a new login sends no address of hers", async () => {
    s = await startStack();
    const b = new Browser();
    // Dana, a local user (dana@contoso.test, no MFA asked), signs in here with her password.
    const { page: signedIn } = await signInWithPassword(b, s, 'dana', 'dana password');
    assert.ok(atRp(new URL(signedIn.url)), signedIn.url);
    const { page } = await partnerButton(b, s, { prompt: 'login' });
    atPartnerForm(page);
    assert.equal(lastPartnerLogin(s).prompt, 'login');
    assert.equal(lastPartnerLogin(s).login_hint, undefined, 'a local address never reaches a partner');
    assert.doesNotMatch(page.text, /contoso/);
  });

  it('attack: markup typed as the identifier reaches the partner as login_hint and is shown as text', async () => {
    s = await startStack();
    const b = new Browser();
    const typed = '"><script>alert(1)</script><b x="@partner.test';
    const { partnerPage } = await toPartner(b, s, typed);
    assert.match(partnerPage.text, PARTNER_FORM, partnerPage.text.slice(0, 300));
    assert.equal(lastPartnerLogin(s).login_hint, typed);
    assert.doesNotMatch(partnerPage.text, /<script>alert/);
    assert.doesNotMatch(partnerPage.text, /<b x=/);
    assert.ok(
      partnerPage.text.includes(
        'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;b x=&quot;@partner.test"',
      ),
      'the hint is in the form, escaped',
    );
  });
});
