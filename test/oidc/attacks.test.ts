/**
 * The MFA step as an attacker would try it: finish the login without the second factor, replay
 * or race an interaction, swap interaction cookies between two users, race one authorization
 * code, outlive an admin revocation, send malformed and oversized input.
 */
import assert from 'node:assert/strict';
import { codeFor } from '../helpers/app.ts';
import { Browser, formAction, inputValue } from '../helpers/browser.ts';
import { HOSTILE_REQUEST_IDS } from '../helpers/hostile-request-ids.ts';
import {
  absolute,
  atRp,
  enrolDirect,
  password,
  redeem,
  rememberedDeviceCookie,
  signIn,
  startAuthorization,
  startTestIdp,
  submitCode,
  type TestIdp,
  tokenRequest,
} from '../helpers/oidc-idp.ts';

const interactionUid = (url: string) => /\/interaction\/([\w-]+)/.exec(url)?.[1] ?? '';

describe('mfakit/oidc under attack', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  let secret: string;
  beforeEach(async () => {
    idp = await startTestIdp();
    secret = await enrolDirect(idp, 'alice');
  });
  afterEach(async () => idp.close());

  it('after the password alone, resuming the authorization by hand yields no code (login is never resolved before MFA)', async () => {
    const b = new Browser();
    const { page } = await startAuthorization(b, idp);
    const prompt = await password(b, idp, page, 'alice');
    assert.match(prompt.url, /\/mfa$/);
    const uid = interactionUid(prompt.url);
    const resumed = await b.go(`${idp.issuer}/auth/${uid}`, { stopAt: atRp });
    assert.ok(!atRp(new URL(resumed.url)) || new URL(resumed.url).searchParams.get('code') === null);
    assert.equal(new URL(resumed.url).searchParams.get('code'), null);
  });

  it('posting the password form twice does not skip the code; the login endpoint for a finished interaction is refused', async () => {
    const b = new Browser();
    const { page } = await startAuthorization(b, idp);
    const first = await password(b, idp, page, 'alice');
    const second = await password(b, idp, page, 'alice');
    assert.match(first.url, /\/mfa$/);
    assert.match(second.url, /\/mfa$/);
    const back = await submitCode(b, idp, second, codeFor(secret, idp.clock));
    assert.ok(new URL(back.url).searchParams.get('code'));
    const after = await password(b, idp, page, 'alice');
    assert.equal(after.status, 400);
  });

  it('the code form without its token is refused (403), and a wrong token too', async () => {
    const b = new Browser();
    const { page } = await startAuthorization(b, idp);
    const prompt = await password(b, idp, page, 'alice');
    const action = absolute(idp, formAction(prompt.text, '/mfa/prompt'));
    const none = await b.go(action, { form: { code: codeFor(secret, idp.clock) } });
    assert.equal(none.status, 403);
    const wrong = await b.go(action, { form: { _csrf: 'x'.repeat(32), code: codeFor(secret, idp.clock) } });
    assert.equal(wrong.status, 403);
    // The code was never checked, so it still works with the right token.
    const ok = await submitCode(b, idp, prompt, codeFor(secret, idp.clock));
    assert.ok(new URL(ok.url).searchParams.get('code'));
  });

  it('replaying the code form of a finished interaction gets a 4xx and no second code', async () => {
    const b = new Browser();
    const { page } = await startAuthorization(b, idp);
    const prompt = await password(b, idp, page, 'alice');
    const ok = await submitCode(b, idp, prompt, codeFor(secret, idp.clock));
    assert.ok(new URL(ok.url).searchParams.get('code'));
    const replay = await submitCode(b, idp, prompt, codeFor(secret, idp.clock, 1));
    assert.ok(replay.status >= 400 && replay.status < 500, `status ${replay.status}`);
    assert.equal(new URL(replay.url).searchParams.get('code'), null);
  });

  it('two racing submissions of one valid code on one interaction: exactly one reaches the client', async () => {
    const b = new Browser();
    const { page } = await startAuthorization(b, idp);
    const prompt = await password(b, idp, page, 'alice');
    const code = codeFor(secret, idp.clock);
    const results = await Promise.all([0, 1, 2, 3].map(() => submitCode(b, idp, prompt, code)));
    const withCode = results.filter((r) => new URL(r.url).searchParams.get('code'));
    assert.equal(withCode.length, 1);
    for (const r of results) assert.ok(r.status < 500, `no 5xx (got ${r.status})`);
  });

  it("swapping interaction cookies: Mallory's browser cannot use Alice's interaction, nor Alice's cookie on Mallory's page", async () => {
    const alice = new Browser();
    const mallory = new Browser();
    const a = await startAuthorization(alice, idp);
    const aPrompt = await password(alice, idp, a.page, 'alice');
    const bobSecret = await enrolDirect(idp, 'bob');
    const m = await startAuthorization(mallory, idp);
    const mPrompt = await password(mallory, idp, m.page, 'bob');

    // An attacker with curl sends any cookie to any path: every cookie here is sent everywhere.
    const host = new URL(idp.issuer).host;
    const everywhere = (cookies: Browser['cookies']) =>
      cookies.filter((c) => c.host === host).map((c) => ({ ...c, path: '/' }));
    const isInteraction = (c: { name: string }) => c.name.startsWith('_interaction');
    const aliceUid = interactionUid(aPrompt.url);
    const bobCode = codeFor(bobSecret, idp.clock);

    // 1. Mallory's own cookies and form token, her valid code, posted at Alice's interaction URL.
    const m1 = new Browser();
    m1.cookies = everywhere(mallory.cookies);
    const cross = await m1.go(`${idp.issuer}/interaction/${aliceUid}/mfa/prompt`, {
      form: { _csrf: inputValue(mPrompt.text, '_csrf'), code: bobCode },
      stopAt: atRp,
    });
    assert.equal(cross.status, 400);
    assert.match(cross.text, /does not belong to your current sign-in/);

    // 2. Alice's interaction cookie swapped into Mallory's browser, on Mallory's own page.
    const m2 = new Browser();
    m2.cookies = [
      ...everywhere(mallory.cookies).filter((c) => !isInteraction(c)),
      ...everywhere(alice.cookies).filter(isInteraction),
    ];
    const swapped = await m2.go(absolute(idp, formAction(mPrompt.text, '/mfa/prompt')), {
      form: { _csrf: inputValue(mPrompt.text, '_csrf'), code: bobCode },
      stopAt: atRp,
    });
    assert.equal(swapped.status, 400);

    // 3. Alice's whole browser state stolen: Bob's valid code is still a wrong code for Alice.
    const m3 = new Browser();
    m3.cookies = everywhere(alice.cookies);
    const theft = await m3.go(absolute(idp, formAction(aPrompt.text, '/mfa/prompt')), {
      form: { _csrf: inputValue(aPrompt.text, '_csrf'), code: bobCode },
      stopAt: atRp,
    });
    assert.equal(theft.status, 401);

    // Neither sign-in was harmed: each completes as its own user.
    const aBack = await submitCode(alice, idp, aPrompt, codeFor(secret, idp.clock));
    assert.equal((await redeem(idp, aBack.url, a.request)).claims.sub, 'alice');
    const mBack = await submitCode(mallory, idp, mPrompt, bobCode);
    assert.equal((await redeem(idp, mBack.url, m.request)).claims.sub, 'bob');
  });

  it('an authorization code redeemed twice in parallel issues tokens once, and the replay revokes them', async () => {
    const b = new Browser();
    const { request, page } = await startAuthorization(b, idp);
    const prompt = await password(b, idp, page, 'alice');
    const back = await submitCode(b, idp, prompt, codeFor(secret, idp.clock));
    const code = new URL(back.url).searchParams.get('code') ?? '';
    const exchange = () =>
      tokenRequest(idp, code, request).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { access_token?: string; error?: string },
      }));
    const outcomes = await Promise.all([exchange(), exchange()]);
    const won = outcomes.filter((o) => o.status === 200);
    assert.equal(won.length, 1, JSON.stringify(outcomes));
    assert.equal(outcomes.find((o) => o.status !== 200)?.body.error, 'invalid_grant');
    const userinfo = await fetch(new URL('/me', idp.issuer), {
      headers: { authorization: `Bearer ${won[0]?.body.access_token}` },
    });
    assert.equal(userinfo.status, 401, 'the replay revoked what the code issued');
  });

  it('after an admin revokes her sessions, the next authorization asks for the password again', async () => {
    const b = new Browser();
    await signIn(b, idp, 'alice', { secret });
    const sso = await startAuthorization(b, idp);
    assert.ok(atRp(new URL(sso.page.url)), 'SSO before the revocation');
    idp.clock.advance(1000);
    await idp.mfa.admin.revokeSessions('alice', { ip: '127.0.0.1' });
    // Past the revocation check's one-second in-process cache (on the engine's clock).
    idp.clock.advance(1500);
    const { page } = await startAuthorization(b, idp);
    assert.match(page.text, /name="password"/);
  });

  it('attack: a remembered device revoked from another session — the SSO session it admitted gets no token without signing in again', async () => {
    const rd = await rememberedDeviceCookie(idp, 'alice', secret); // from her phone
    const stolenLaptop = new Browser();
    stolenLaptop.cookies.push(rd);
    const skipped = await signIn(stolenLaptop, idp, 'alice');
    assert.deepEqual(skipped.claims.amr, ['pwd'], 'the device let the code be skipped');
    const sso = await startAuthorization(stolenLaptop, idp);
    assert.ok(atRp(new URL(sso.page.url)), 'SSO before the revocation');
    // Alice, from her phone's session, revokes the laptop ("restore MFA on remembered devices").
    const [device] = await idp.mfa.devices.list('alice');
    assert.ok(device);
    assert.equal(await idp.mfa.devices.revoke('alice', device.id, { ip: '127.0.0.1' }), true);
    const { page } = await startAuthorization(stolenLaptop, idp);
    assert.ok(!atRp(new URL(page.url)), 'no code for the client');
    assert.match(page.text, /name="password"/);
    const prompt = await password(stolenLaptop, idp, page, 'alice');
    assert.match(prompt.url, /\/mfa$/, 'and the password alone no longer does');
  });

  it('an oidc-provider session mfakit did not create (a login finished by other code) is asked to sign in', async () => {
    // An integrator bug: the login written into the interaction without mfakit.
    const b = new Browser();
    const { page } = await startAuthorization(b, idp);
    const uid = interactionUid(page.url);
    const interaction = await idp.provider.Interaction.find(uid);
    assert.ok(interaction);
    interaction.result = {
      login: { accountId: 'alice', amr: ['pwd', 'otp', 'mfa'], acr: 'urn:mfakit:acr:mfa' },
    };
    await interaction.save(60);
    const resumed = await b.go(`${idp.issuer}/auth/${uid}`, { stopAt: atRp });
    assert.equal(
      new URL(resumed.url).searchParams.get('code'),
      null,
      'no code for a login mfakit did not make',
    );
    assert.match(resumed.text, /name="password"/);
  });

  it('malformed and oversized input: clear 4xx, never 5xx', async () => {
    const b = new Browser();
    const { page } = await startAuthorization(b, idp);
    const prompt = await password(b, idp, page, 'alice');
    const action = absolute(idp, formAction(prompt.text, '/mfa/prompt'));
    const csrf = inputValue(prompt.text, '_csrf');
    const bad = await b.go(action, { form: { _csrf: csrf, code: 'abc' } });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /code must be 6 or 8 digits/);
    const big = await b.go(action, { form: { _csrf: csrf, code: '1'.repeat(20_000) } });
    assert.equal(big.status, 413);
    const weird = await b.go(`${idp.issuer}/interaction/%3Cscript%3E/mfa`);
    assert.ok(weird.status >= 400 && weird.status < 500);
    assert.doesNotMatch(weird.text, /<script>/);
    const unknown = await new Browser().go(`${idp.issuer}/interaction/${interactionUid(prompt.url)}/mfa`);
    assert.equal(unknown.status, 400, 'no interaction cookie');
    // The pending sign-in survived all of it.
    const ok = await submitCode(b, idp, prompt, codeFor(secret, idp.clock));
    assert.ok(new URL(ok.url).searchParams.get('code'));
  });

  it('cancel ends the flow at the client with access_denied', async () => {
    const b = new Browser();
    const { page } = await startAuthorization(b, idp);
    const prompt = await password(b, idp, page, 'alice');
    const back = await b.go(absolute(idp, formAction(prompt.text, '/mfa/cancel')), {
      form: { _csrf: inputValue(prompt.text, '_csrf') },
      stopAt: atRp,
    });
    assert.equal(new URL(back.url).searchParams.get('error'), 'access_denied');
  });

  for (const [name, hostile] of Object.entries(HOSTILE_REQUEST_IDS))
    it(`a hostile X-Request-Id (${name}) never reaches an audit event; the sign-in still works`, async () => {
      const b = new Browser();
      b.extraHeaders['x-request-id'] = hostile;
      const { claims } = await signIn(b, idp, 'alice', { secret });
      assert.equal(claims.sub, 'alice');
      const types = idp.events.map((e) => e.type);
      assert.ok(types.includes('challenge_issued') && types.includes('verified'), types.join(', '));
      assert.deepEqual(
        idp.events.map((e) => e.requestId).filter((id) => id !== undefined),
        [],
      );
    });
});
