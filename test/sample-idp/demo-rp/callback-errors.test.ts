/** The demo relying party against oidc-provider: stale, forged and replayed callbacks, and errors from the OP. */

import assert from 'node:assert/strict';
import { ACR_PASSWORD } from '../../../sample-idp/demo-rp/acr.ts';
import {
  Browser,
  callbackUrl,
  claimCell,
  opState,
  rp,
  sessionCookie,
  signIn,
  useDemoRpWorld,
} from './fixtures.ts';

describe('the demo relying party (openid-client) against oidc-provider', function () {
  this.timeout(60_000);
  useDemoRpWorld();

  it('an ID token whose auth_time is older than the max_age sent is rejected (400)', async () => {
    opState.answer = {
      accountId: 'alice',
      acr: ACR_PASSWORD,
      amr: ['pwd'],
      ts: Math.floor(Date.now() / 1000) - 3600,
    };
    const { res, url } = await signIn(new Browser(), '/login?max_age=300');
    assert.ok(url.startsWith(`${rp.url}/callback?`), url);
    assert.equal(res.status, 400);
    assert.match(res.text, /failed a security check/);
    assert.match(res.text, /too much time has elapsed since the last End-User authentication/);
  });

  it('a callback whose state does not match is rejected with 400 and says so; the sign-in it spoiled cannot be finished', async () => {
    const browser = new Browser();
    const cb = await callbackUrl(browser);
    const forged = new URL(cb);
    forged.searchParams.set('state', 'not-the-state-this-browser-sent');
    const res = await browser.get(forged.href);
    assert.equal(res.status, 400);
    assert.match(res.text, /state mismatch/);
    assert.equal(sessionCookie(res)?.includes('Max-Age=0') ?? false, false);
    const late = await browser.get(cb.href);
    assert.equal(late.status, 400);
    assert.match(late.text, /No sign-in in progress/);
    const home = await browser.get(`${rp.url}/`);
    assert.equal(claimCell(home.text, 'sub'), undefined);
  });

  it('a replayed callback is rejected with 400 and a clear message, and does not sign anyone in', async () => {
    const browser = new Browser();
    const cb = await callbackUrl(browser);
    const ok = await browser.get(cb.href);
    assert.equal(ok.status, 303);
    const replay = await browser.get(cb.href);
    assert.equal(replay.status, 400);
    assert.match(replay.text, /No sign-in in progress/);
    const stranger = new Browser();
    const elsewhere = await stranger.get(cb.href);
    assert.equal(elsewhere.status, 400);
    assert.match(elsewhere.text, /No sign-in in progress/);
    assert.equal(claimCell((await stranger.get(`${rp.url}/`)).text, 'sub'), undefined);
  });

  it("a code from another browser's sign-in, under this browser's state, fails the PKCE check at the OP (400, not signed in)", async () => {
    const victim = new Browser();
    const started = await victim.get(`${rp.url}/login`);
    const victimState = new URL(started.headers.location ?? '').searchParams.get('state') ?? '';
    const attacker = new Browser();
    const attackerCb = await callbackUrl(attacker);
    const injected = new URL(attackerCb);
    injected.searchParams.set('state', victimState);
    const res = await victim.get(injected.href);
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /did not accept this sign-in response/);
    assert.match(res.text, /invalid_grant/);
    assert.equal(claimCell((await victim.get(`${rp.url}/`)).text, 'sub'), undefined);
  });

  it('an error from the OP shows a page with error and error_description, escaped, not a 5xx', async () => {
    opState.answer = { error: 'access_denied', error_description: 'The user <b>cancelled</b> & left' };
    const { res, url } = await signIn();
    assert.ok(url.startsWith(`${rp.url}/callback?`), url);
    assert.equal(res.status, 400);
    assert.match(res.text, /data-field="error">access_denied</);
    assert.match(
      res.text,
      /data-field="error_description">The user &lt;b&gt;cancelled&lt;\/b&gt; &amp; left</,
    );
    assert.doesNotMatch(res.text, /<b>cancelled/);
  });

  it('prompt=none without an OP session comes back as login_required, shown as a page', async () => {
    const { res, url } = await signIn(new Browser(), '/login?prompt=none');
    assert.ok(url.startsWith(`${rp.url}/callback?`), url);
    assert.equal(res.status, 400);
    assert.match(res.text, /data-field="error">login_required</);
    assert.equal(opState.logins.length, 0);
  });

  it('an OP error with a state that is not ours is not echoed', async () => {
    const browser = new Browser();
    await browser.get(`${rp.url}/login`);
    const res = await browser.get(
      `${rp.url}/callback?error=access_denied&error_description=${encodeURIComponent('Call +1 555 0100')}&state=x`,
    );
    assert.equal(res.status, 400);
    assert.doesNotMatch(res.text, /555/);
    assert.match(res.text, /state mismatch/);
  });
});
