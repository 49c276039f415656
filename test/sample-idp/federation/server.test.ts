// The AD FS-style federation server end to end, over real HTTP on ephemeral ports: the
// federation server (memory stores), the partner IdP upstream with four claims providers (one
// per MFA behaviour, and one linking by e-mail), and relying parties driven by a raw code flow
// (or the demo RP), on the shared stack of test/helpers/federation-stack.ts. One cookie-jar
// Browser per test plays the user.
// This part: the server's discovery, local and partner sign-ins, logout and security info.

import assert from 'node:assert/strict';
import { Browser, formAction, inputValue } from '../../helpers/browser.ts';
import { RP_BYE } from '../../helpers/code-flow-rp.ts';
import {
  atRp,
  authorizationRequest,
  enroll,
  type FederationStack,
  redeem,
  secretOnPage,
  signInWithPassword,
  toPartner,
  uidOf,
} from '../../helpers/federation-stack.ts';
import { chooseAuthenticatorApp } from '../../helpers/first-method.ts';
import { code, partnerSignIn, startStack } from './fixtures.ts';

describe('sample-idp federation server', function () {
  this.timeout(60_000);
  let s: FederationStack;
  beforeEach(async () => {
    s = await startStack();
  });
  afterEach(async () => {
    await s.close();
  });

  it('publishes discovery with the acr values it issues, and security headers', async () => {
    const res = await fetch(`${s.fedUrl}/.well-known/openid-configuration`);
    const meta = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(meta.acr_values_supported, [
      'urn:mfakit:acr:pwd',
      'urn:mfakit:acr:mfa',
      'urn:mfakit:acr:phr',
    ]);
    assert.deepEqual(meta.response_types_supported, ['code']);
    assert.ok(meta.end_session_endpoint);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
  });

  it('a disabled user signs in with the password only: amr pwd, acr pwd; claims as released', async () => {
    const b = new Browser();
    const { request, page } = await signInWithPassword(b, s, 'dana@contoso.test', 'dana password');
    const { claims } = await redeem(s, page, request);
    assert.equal(claims.sub, 'dana');
    assert.deepEqual(claims.amr, ['pwd']);
    assert.equal(claims.acr, 'urn:mfakit:acr:pwd');
  });

  it('single sign-on asking for more scopes than the sign-in did gets them (the grant grows), and again as asked', async () => {
    const b = new Browser();
    const first = await signInWithPassword(b, s, 'dana@contoso.test', 'dana password', { scope: 'openid' });
    assert.equal((await redeem(s, first.page, first.request)).userinfo.email, undefined);
    for (const round of [1, 2]) {
      const request = authorizationRequest(s, { scope: 'openid profile email' });
      const back = await b.go(request.url, { stopAt: atRp });
      const { userinfo } = await redeem(s, back, request);
      assert.equal(userinfo.email, 'dana@contoso.test', `round ${round}`);
      assert.equal(userinfo.name, 'Dana', `round ${round}`);
    }
  });

  it('refuses a wrong password and an unknown user with the same message, and a form without its token', async () => {
    const b = new Browser();
    const wrong = await signInWithPassword(b, s, 'alice', 'not her password');
    assert.equal(wrong.page.status, 401);
    assert.match(wrong.page.text, /Wrong user name or password\./);
    const unknown = await signInWithPassword(new Browser(), s, 'nobody', 'whatever pw');
    assert.equal(unknown.page.status, 401);
    assert.match(unknown.page.text, /Wrong user name or password\./);
    const forged = await b.go(`${s.fedUrl}/interaction/${wrong.uid}/login`, {
      form: { identifier: 'alice', password: 'alice password', _csrf: 'forged' },
      stopAt: atRp,
    });
    assert.equal(forged.status, 403);
    // Another browser (no interaction cookie) cannot post into this sign-in even with its token.
    const other = await new Browser().go(`${s.fedUrl}/interaction/${wrong.uid}/login`, {
      form: { identifier: 'alice', password: 'alice password', _csrf: inputValue(wrong.page.text, '_csrf') },
      stopAt: atRp,
    });
    assert.equal(other.status, 400);
  });

  it('an enforced user with no method is sent to enrollment, then gets acr mfa', async () => {
    const b = new Browser();
    const { request, page, uid } = await signInWithPassword(b, s, 'bob', 'bob password');
    assert.equal(new URL(page.url).pathname, `/interaction/${uid}/mfa`);
    const setup = await chooseAuthenticatorApp(b, s.fedUrl, page);
    const { next } = await enroll(b, s.fedUrl, setup, atRp, (secret) => code(s, secret));
    const { claims } = await redeem(s, next, request);
    assert.equal(claims.sub, 'bob');
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
  });

  it('releases only the configured claims and groups of a relying-party trust', async () => {
    const b = new Browser();
    const { request, page } = await signInWithPassword(b, s, 'alice', 'alice password', {
      scope: 'openid profile email groups',
    });
    const { next } = await enroll(b, s.fedUrl, page, atRp, (secret) => code(s, secret));
    // What the userinfo endpoint answers for the access token.
    const { userinfo: me } = await redeem(s, next, request);
    assert.equal(me.name, 'Alice');
    assert.equal(me.email, 'alice@contoso.test');
    assert.deepEqual(me.groups, ['staff']);
  });

  it('requiredAcr: a relying party that needs MFA gets it even for a disabled user', async () => {
    const b = new Browser();
    const { request, page } = await signInWithPassword(b, s, 'dana', 'dana password', {
      clientId: 'payroll',
    });
    const setup = await chooseAuthenticatorApp(b, s.fedUrl, page);
    const { next } = await enroll(b, s.fedUrl, setup, atRp, (secret) => code(s, secret));
    const { claims } = await redeem(s, next, request);
    assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
  });

  it('home-realm discovery sends an address in a partner domain to that partner, with login_hint', async () => {
    const b = new Browser();
    const first = await b.go(authorizationRequest(s).url, { stopAt: atRp });
    assert.match(first.text, /Sign in with Partner partner/);
    const { partnerPage } = await toPartner(b, s, 'carol@partner.test');
    assert.equal(new URL(partnerPage.url).origin, s.partnerUrl);
    assert.match(partnerPage.text, /Sign in to Partner Co/);
    assert.equal(s.partner.logins.at(-1)?.login_hint, 'carol@partner.test');
    assert.equal(s.partner.logins.at(-1)?.client_id, 'fed-partner');
  });

  it('the "Sign in with" chooser starts the upstream sign-in too', async () => {
    const b = new Browser();
    const first = await b.go(authorizationRequest(s).url, { stopAt: atRp });
    const action = formAction(first.text, '/federate/legacy');
    const partnerPage = await b.go(new URL(action, s.fedUrl).href, {
      form: { _csrf: inputValue(first.text, '_csrf') },
    });
    assert.equal(new URL(partnerPage.url).origin, s.partnerUrl);
    assert.equal(s.partner.logins.at(-1)?.client_id, 'fed-legacy');
  });

  it('accept: the partner did MFA → no local prompt, amr has mfa, acr mfa', async () => {
    const b = new Browser();
    const { request, partnerPage } = await toPartner(b, s, 'carol@partner.test');
    const back = await partnerSignIn(b, partnerPage, 'carol@partner.test', true);
    assert.ok(
      atRp(new URL(back.url)),
      `expected to be back at the RP, got ${back.url}\n${back.text.slice(0, 500)}`,
    );
    const { claims } = await redeem(s, back, request);
    assert.equal(claims.sub, 'upstream:partner:carol');
    assert.ok(claims.amr?.includes('mfa'), String(claims.amr));
    assert.ok(claims.amr?.includes('fed'), String(claims.amr));
    assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
    assert.equal(claims.name, undefined, 'profile claims are not in the ID token with an access token');
  });

  it('accept: the partner without MFA → the local second factor is asked for', async () => {
    const b = new Browser();
    const { uid, partnerPage } = await toPartner(b, s, 'carol@partner.test');
    const back = await partnerSignIn(b, partnerPage, 'carol@partner.test', false);
    assert.equal(new URL(back.url).pathname, `/interaction/${uid}/mfa`);
    await chooseAuthenticatorApp(b, s.fedUrl, back);
  });

  it('reject: the partner says mfa, the local MFA is still asked; the result comes from the local factor', async () => {
    const b = new Browser();
    const { request, uid, partnerPage } = await toPartner(b, s, 'erin@legacy.partner.test');
    const back = await partnerSignIn(b, partnerPage, 'erin@legacy.partner.test', true);
    assert.equal(new URL(back.url).pathname, `/interaction/${uid}/mfa`);
    const { next } = await enroll(b, s.fedUrl, back, atRp, (secret) => code(s, secret));
    const { claims } = await redeem(s, next, request);
    assert.equal(claims.sub, 'upstream:legacy:erin');
    assert.deepEqual(claims.amr, ['fed', 'otp', 'mfa']);
    assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
  });

  it('reject: a second sign-in asks for the code of the method enrolled before', async () => {
    const b = new Browser();
    const one = await toPartner(b, s, 'erin@legacy.partner.test');
    const { secret } = await enroll(
      b,
      s.fedUrl,
      await partnerSignIn(b, one.partnerPage, 'erin@legacy.partner.test', true),
      atRp,
      (secret) => code(s, secret),
    );
    const again = new Browser();
    const two = await toPartner(again, s, 'erin@legacy.partner.test');
    const prompt = await partnerSignIn(again, two.partnerPage, 'erin@legacy.partner.test', true);
    assert.match(prompt.text, /Verify your identity/);
    // Browsers apply form-action to the redirects after the POST: the RP's origin must be allowed.
    assert.match(
      prompt.headers.get('content-security-policy') ?? '',
      /form-action 'self' [^;]*http:\/\/rp\.example/,
    );
    const done = await again.go(new URL(formAction(prompt.text, '/mfa/prompt'), s.fedUrl).href, {
      form: { _csrf: inputValue(prompt.text, '_csrf'), code: code(s, secret, 1), returnTo: '' },
      stopAt: atRp,
    });
    const { claims } = await redeem(s, done, two.request);
    assert.deepEqual(claims.amr, ['fed', 'otp', 'mfa']);
  });

  it('enforce: the partner is asked for MFA (acr_values) and honours it', async () => {
    const b = new Browser();
    const { request, partnerPage } = await toPartner(b, s, 'dave@strict.partner.test');
    assert.equal(s.partner.logins.at(-1)?.acr_values, 'urn:partner:mfa');
    assert.match(partnerPage.text, /requires your Partner Co MFA/);
    const refused = await partnerSignIn(b, partnerPage, 'dave@strict.partner.test', false);
    assert.equal(refused.status, 400);
    const back = await partnerSignIn(b, refused, 'dave@strict.partner.test', true);
    const { claims } = await redeem(s, back, request);
    assert.equal(claims.sub, 'upstream:strict:dave');
    assert.ok(claims.amr?.includes('mfa'));
    assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
  });

  it('enforce: an upstream answering without MFA is refused with a clear page', async () => {
    s.partner.settings.honourAcrValues = false;
    const b = new Browser();
    const { partnerPage } = await toPartner(b, s, 'dave@strict.partner.test');
    assert.equal(s.partner.logins.at(-1)?.acr_values, 'urn:partner:mfa');
    const back = await partnerSignIn(b, partnerPage, 'dave@strict.partner.test', false);
    assert.equal(back.status, 403);
    assert.match(back.text, /did not confirm a multi-factor sign-in/);
    assert.ok(!atRp(new URL(back.url)));
  });

  it('linkByEmail: a partner sign-in with a verified address in its own domain is the local account; an unverified one is refused', async () => {
    const b = new Browser();
    const { request, partnerPage } = await toPartner(b, s, 'frank@linked.partner.test');
    const back = await partnerSignIn(b, partnerPage, 'frank@linked.partner.test', false);
    const { claims } = await redeem(s, back, request);
    assert.equal(claims.sub, 'frank', 'linked to the local account');
    assert.deepEqual(claims.amr, ['fed']);

    const other = new Browser();
    const g = await toPartner(other, s, 'gina@linked.partner.test');
    const refused = await partnerSignIn(other, g.partnerPage, 'gina@linked.partner.test', false);
    assert.ok(!atRp(new URL(refused.url)), 'never back at the client with a code');
    assert.ok(refused.status >= 400 && refused.status < 500, `refused with a 4xx (${refused.status})`);
    assert.match(refused.text, /did not send a verified e-mail address/);

    // The local password cannot skip the partner: by user name or by address.
    for (const identifier of ['frank', 'frank@linked.partner.test']) {
      const c = new Browser();
      const first = await c.go(authorizationRequest(s).url, { stopAt: atRp });
      const direct = await c.go(`${s.fedUrl}/interaction/${uidOf(first)}/login`, {
        form: { identifier, password: 'frank password', _csrf: inputValue(first.text, '_csrf') },
        stopAt: atRp,
      });
      assert.equal(direct.status, 403, identifier);
      assert.match(direct.text, /signs in with Partner linked/);
    }
  });

  it('rejects an upstream callback that does not belong to this browser', async () => {
    const b = new Browser();
    const { partnerPage } = await toPartner(b, s, 'carol@partner.test');
    const puid = uidOf(partnerPage);
    // The partner's answer, taken to another browser (no state cookie, no interaction cookie).
    const res = await b.fetch(new URL(`/interaction/${puid}/login`, partnerPage.url).href, {
      form: {
        _csrf: inputValue(partnerPage.text, '_csrf'),
        username: 'carol@partner.test',
        password: 'partner demo carol',
      },
    });
    const resume = await b.go(new URL(res.headers.get('location') ?? '', s.partnerUrl).href, {
      stopAt: (u) => u.pathname.startsWith('/federation/'),
    });
    const callback = await new Browser().go(resume.url, { stopAt: atRp });
    assert.equal(callback.status, 400);
    assert.match(callback.text, /does not belong to a sign-in started in this browser/);
  });

  it('RP-initiated logout shows the confirmation page and ends the session', async () => {
    const b = new Browser();
    const { request, page } = await signInWithPassword(b, s, 'dana', 'dana password');
    const { idToken } = await redeem(s, page, request);
    // Signed in: a new authorization request goes straight back to the RP.
    assert.ok(atRp(new URL((await b.go(authorizationRequest(s).url, { stopAt: atRp })).url)));
    const end = new URL('/session/end', s.fedUrl);
    end.search = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: RP_BYE }).toString();
    const confirm = await b.go(end.href, { stopAt: atRp });
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /Sign out of Test RP\?/);
    assert.match(
      confirm.headers.get('content-security-policy') ?? '',
      /form-action 'self' http:\/\/rp\.example/,
    );
    const action = formAction(confirm.text, '/session/end/confirm');
    const bye = await b.go(new URL(action, s.fedUrl).href, {
      form: { xsrf: inputValue(confirm.text, 'xsrf'), logout: 'yes' },
      stopAt: atRp,
    });
    assert.equal(new URL(bye.url).href.split('?')[0], RP_BYE);
    const again = await b.go(authorizationRequest(s).url, { stopAt: atRp });
    assert.match(again.text, /E-mail address or user name/);
  });

  it('security info: only after a sign-in with MFA (enrollment first), then methods are listed', async () => {
    const b = new Browser();
    const notYet = await b.go(`${s.fedUrl}/account/mfa/settings`);
    assert.equal(new URL(notYet.url).pathname, '/account');
    assert.match(notYet.text, /Sign in to manage your sign-in methods/);
    // dana's MFA state is disabled, yet the portal needs MFA: she must set up a method.
    const signedIn = await b.go(`${s.fedUrl}/account/login`, {
      form: { identifier: 'dana', password: 'dana password', _csrf: inputValue(notYet.text, '_csrf') },
    });
    assert.equal(new URL(signedIn.url).pathname, '/account/mfa/enroll');
    const stillNot = await b.go(`${s.fedUrl}/account/mfa/settings`);
    assert.notEqual(new URL(stillNot.url).pathname, '/account/mfa/settings');
    const setup = await chooseAuthenticatorApp(b, s.fedUrl, signedIn);
    const secret = secretOnPage(setup.text);
    const enrolled = await b.go(new URL(formAction(setup.text, '/enroll'), s.fedUrl).href, {
      form: {
        _csrf: inputValue(setup.text, '_csrf'),
        draftId: inputValue(setup.text, 'draftId'),
        code: code(s, secret),
      },
    });
    assert.match(enrolled.text, /recovery codes/i);
    const settings = await b.go(`${s.fedUrl}/account/mfa/settings`);
    assert.equal(new URL(settings.url).pathname, '/account/mfa/settings');
    assert.match(settings.text, /Authenticator app/);
    const wrong = await new Browser().go(`${s.fedUrl}/account/login`, {
      form: { identifier: 'dana', password: 'x' },
    });
    assert.equal(wrong.status, 403, 'the portal sign-in form needs its CSRF token');
  });
});
