/** The MFA step of mfakit/oidc in a real oidc-provider: sign-out, switching accounts, step-up, max_age and prompt=login. */

import assert from 'node:assert/strict';
import { codeFor } from '../../helpers/app.ts';
import { Browser, inputValue } from '../../helpers/browser.ts';
import {
  atRp,
  enrolDirect,
  password,
  redeem,
  signIn,
  startAuthorization,
  startTestIdp,
  submitCode,
  type TestIdp,
} from '../../helpers/oidc-idp.ts';
import { ctx } from './fixtures.ts';

describe('mfakit/oidc: the MFA step in an oidc-provider code flow', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  afterEach(async () => idp?.close());

  describe('sign-out', () => {
    beforeEach(async () => {
      idp = await startTestIdp();
    });

    it('RP-initiated logout ends the session and forgets its stamp; the next sign-in asks for the password', async () => {
      const secret = await enrolDirect(idp, 'alice');
      const b = new Browser();
      await signIn(b, idp, 'alice', { secret });
      const host = new URL(idp.issuer).host;
      const sessionId = b.cookie(host, '_session')?.value ?? '';
      const session = await idp.provider.Session.find(sessionId);
      assert.ok(session);
      assert.ok(await idp.oidc.stamps.get(session.uid, 'alice'), 'the session has its stamp');

      const confirm = await b.go(`${idp.issuer}/session/end?client_id=rp`);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.text)?.[1];
      assert.ok(xsrf, confirm.text.slice(0, 500));
      const done = await b.go(`${idp.issuer}/session/end/confirm`, { form: { xsrf, logout: 'yes' } });
      assert.ok(done.status < 400, `logout: ${done.status}`);
      assert.equal(await idp.oidc.stamps.get(session.uid, 'alice'), null, 'stamp forgotten');
      const { page } = await startAuthorization(b, idp);
      assert.match(page.text, /name="password"/);
    });
  });

  describe('switching accounts in one browser', () => {
    beforeEach(async () => {
      idp = await startTestIdp();
    });

    it('prompt=login as another user: the old session is logged out, and the new user gets a code for themselves only', async () => {
      const secret = await enrolDirect(idp, 'alice');
      await idp.mfa.admin.setUserState('bob', 'disabled', ctx);
      const b = new Browser();
      await signIn(b, idp, 'alice', { secret });
      const { request, page } = await startAuthorization(b, idp, { prompt: 'login' });
      const switching = await password(b, idp, page, 'bob');
      // oidc-provider ends alice's session first (a self-submitting logout form), then resumes.
      const action = /<form[^>]*action="([^"]+)"/.exec(switching.text)?.[1]?.replace(/&amp;/g, '&');
      assert.ok(action?.includes('/session/end/confirm'), switching.text.slice(0, 400));
      if (!action) return;
      const back = await b.go(new URL(action, idp.issuer).href, {
        form: { xsrf: inputValue(switching.text, 'xsrf'), logout: 'yes' },
        stopAt: atRp,
      });
      const { claims } = await redeem(idp, back.url, request);
      assert.equal(claims.sub, 'bob');
      assert.deepEqual(claims.amr, ['pwd']);
      assert.equal(claims.acr, 'urn:mfakit:acr:pwd');
    });
  });

  describe('step-up, max_age and prompt=login', () => {
    beforeEach(async () => {
      idp = await startTestIdp();
    });

    it('acr_values=…:mfa on a password-only session asks for a code without a new password, and keeps auth_time', async () => {
      const secret = await enrolDirect(idp, 'bob');
      await idp.mfa.admin.setUserState('bob', 'disabled', ctx);
      const b = new Browser();
      const first = await signIn(b, idp, 'bob');
      assert.equal(first.claims.acr, 'urn:mfakit:acr:pwd');

      const { request, page } = await startAuthorization(b, idp, { acrValues: 'urn:mfakit:acr:mfa' });
      assert.match(page.url, /\/mfa$/, 'straight to the MFA page');
      assert.doesNotMatch(page.text, /name="password"/);
      const back = await submitCode(b, idp, page, codeFor(secret, idp.clock));
      const { claims } = await redeem(idp, back.url, request);
      assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims.auth_time, first.claims.auth_time, 'no new password: the sign-in time stays');
    });

    it('a session that already has MFA is not asked again for acr_values=…:mfa (SSO)', async () => {
      const secret = await enrolDirect(idp, 'alice');
      const b = new Browser();
      await signIn(b, idp, 'alice', { secret });
      const again = await signIn(b, idp, 'alice', { request: { acrValues: 'urn:mfakit:acr:mfa' } });
      assert.equal(again.claims.acr, 'urn:mfakit:acr:mfa');
      assert.ok(!again.trail.some((u) => u.includes('/interaction/')), 'no interaction at all');
    });

    it('an essential acr in the claims parameter is a step-up too', async () => {
      const secret = await enrolDirect(idp, 'bob');
      await idp.mfa.admin.setUserState('bob', 'disabled', ctx);
      const b = new Browser();
      await signIn(b, idp, 'bob');
      const claimsParam = JSON.stringify({
        id_token: { acr: { essential: true, values: ['urn:mfakit:acr:mfa'] } },
      });
      const { request, page } = await startAuthorization(b, idp, { claims: claimsParam });
      assert.match(page.url, /\/mfa$/);
      const back = await submitCode(b, idp, page, codeFor(secret, idp.clock));
      assert.equal((await redeem(idp, back.url, request)).claims.acr, 'urn:mfakit:acr:mfa');
    });

    it('acr_values asking for phishing-resistant when the user has only an authenticator app: refused with access_denied, never a lower acr', async () => {
      await enrolDirect(idp, 'alice');
      const b = new Browser();
      const { page } = await startAuthorization(b, idp, { acrValues: 'urn:mfakit:acr:phr' });
      const back = await password(b, idp, page, 'alice');
      const cb = new URL(back.url);
      assert.ok(atRp(cb));
      assert.equal(cb.searchParams.get('error'), 'access_denied');
      assert.equal(cb.searchParams.get('code'), null);
      assert.match(cb.searchParams.get('error_description') ?? '', /security key/);
    });

    it('unknown acr_values are voluntary: the usual decision applies', async () => {
      await idp.mfa.admin.setUserState('bob', 'disabled', ctx);
      const { claims } = await signIn(new Browser(), idp, 'bob', {
        request: { acrValues: 'urn:other:gold' },
      });
      assert.equal(claims.acr, 'urn:mfakit:acr:pwd');
    });

    it('prompt=login asks for the password again, then the code again', async () => {
      const secret = await enrolDirect(idp, 'alice');
      const b = new Browser();
      await signIn(b, idp, 'alice', { secret });
      const { page } = await startAuthorization(b, idp, { prompt: 'login' });
      assert.match(page.text, /name="password"/);
      const prompt = await password(b, idp, page, 'alice');
      assert.match(prompt.text, /Verify your identity/);
    });

    it('max_age: once the session is older, the password is asked again', async () => {
      const secret = await enrolDirect(idp, 'alice');
      const b = new Browser();
      await signIn(b, idp, 'alice', { secret });
      const fresh = await startAuthorization(b, idp, { maxAge: 60 });
      assert.ok(atRp(new URL(fresh.page.url)), 'within max_age: straight back');
      await new Promise((r) => setTimeout(r, 2100));
      const { page } = await startAuthorization(b, idp, { maxAge: 1 });
      assert.match(page.text, /name="password"/);
    });
  });
});
