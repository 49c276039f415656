/**
 * The MFA step of mfakit/oidc in a real oidc-provider, driven over HTTP the way a browser and a
 * relying party would: authorization request → the IdP's password page → mfakit's prompt or
 * enrollment → back at the client with a code → tokens. Claims are read from ID tokens the
 * token endpoint issued (and, in one test, validated by openid-client).
 */
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { codeFor } from '../helpers/app.ts';
import { Browser, formAction, inputValue } from '../helpers/browser.ts';
import {
  absolute,
  atRp,
  enrolDirect,
  password,
  RP_REDIRECT,
  redeem,
  rememberedDeviceCookie,
  signIn,
  startAuthorization,
  startTestIdp,
  submitCode,
  type TestIdp,
} from '../helpers/oidc-idp.ts';
import { doc, TOKEN_CSV, tokenCode } from '../helpers/policies.ts';

const ctx = { ip: '127.0.0.1' };

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('mfakit/oidc: the MFA step in an oidc-provider code flow', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  afterEach(async () => idp?.close());

  describe('first sign-in and returning users', () => {
    beforeEach(async () => {
      idp = await startTestIdp();
    });

    it('a user with no method enrols at sign-in (QR page, recovery codes) and the ID token says pwd+otp+mfa', async () => {
      const b = new Browser();
      const { request, page } = await startAuthorization(b, idp);
      const enroll = await password(b, idp, page, 'alice');
      assert.match(enroll.url, /\/interaction\/[\w-]+\/mfa$/);
      assert.match(enroll.text, /Set up your authenticator app/);
      const secret = /id="secret">([A-Z2-7]+)</.exec(enroll.text)?.[1];
      assert.ok(secret);
      const codes = await b.go(absolute(idp, formAction(enroll.text, '/mfa/enroll')), {
        form: {
          _csrf: inputValue(enroll.text, '_csrf'),
          draftId: inputValue(enroll.text, 'draftId'),
          code: codeFor(secret, idp.clock),
        },
        stopAt: atRp,
      });
      assert.match(codes.text, /Save your recovery codes/);
      const recovery = [...codes.text.matchAll(/<li><code>([a-z0-9-]+)<\/code>/g)].map((m) => m[1]);
      assert.equal(recovery.length, 10);
      const next = /href="([^"]+)">I have saved them/.exec(codes.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
      const back = await b.go(next, { stopAt: atRp });
      assert.ok(atRp(new URL(back.url)));
      const { claims } = await redeem(idp, back.url, request);
      assert.equal(claims.sub, 'alice');
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
      assert.ok(claims.auth_time && Math.abs(claims.auth_time - nowSeconds()) < 5);
      assert.equal(claims.nonce, request.nonce);
    });

    it('reloading the enrollment page shows the same secret (what the user may already have scanned)', async () => {
      const b = new Browser();
      const { page } = await startAuthorization(b, idp);
      const enroll = await password(b, idp, page, 'alice');
      const reload = await b.go(enroll.url);
      const secretOf = (text: string) => /id="secret">([A-Z2-7]+)</.exec(text)?.[1];
      assert.ok(secretOf(enroll.text));
      assert.equal(secretOf(reload.text), secretOf(enroll.text));
    });

    it('a returning user is asked for a code after the password; a wrong code keeps the login unresolved', async () => {
      const secret = await enrolDirect(idp, 'alice');
      const b = new Browser();
      const { request, page } = await startAuthorization(b, idp);
      const prompt = await password(b, idp, page, 'alice');
      assert.match(prompt.text, /Verify your identity/);
      // Browsers apply form-action to the redirects after the POST: the client's origin is allowed.
      assert.match(
        prompt.headers.get('content-security-policy') ?? '',
        /form-action 'self' http:\/\/rp\.example;/,
      );
      const wrong = await submitCode(b, idp, prompt, '000000');
      assert.equal(wrong.status, 401);
      assert.match(wrong.text, /didn&#39;t work|didn't work/);
      const ok = await submitCode(b, idp, wrong, codeFor(secret, idp.clock));
      const { claims } = await redeem(idp, ok.url, request);
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
    });

    it('a user whose MFA is disabled signs in with the password alone: amr pwd, acr pwd', async () => {
      await idp.mfa.admin.setUserState('bob', 'disabled', ctx);
      const { claims, trail } = await signIn(new Browser(), idp, 'bob');
      assert.deepEqual(claims.amr, ['pwd']);
      assert.equal(claims.acr, 'urn:mfakit:acr:pwd');
      assert.ok(!trail.some((u) => u.includes('/mfa')), 'no MFA page on the way');
    });

    it('the ID token passes openid-client validation (iss, aud, nonce, PKCE) with amr/acr/auth_time', async () => {
      const secret = await enrolDirect(idp, 'alice');
      const config = new client.Configuration(
        { issuer: idp.issuer, token_endpoint: `${idp.issuer}/token`, jwks_uri: `${idp.issuer}/jwks` },
        'rp',
        'rp-secret-that-is-long-enough',
      );
      client.allowInsecureRequests(config);
      const b = new Browser();
      const { request, page } = await startAuthorization(b, idp, { maxAge: 600 });
      const prompt = await password(b, idp, page, 'alice');
      const back = await submitCode(b, idp, prompt, codeFor(secret, idp.clock));
      const tokens = await client.authorizationCodeGrant(config, new URL(back.url), {
        pkceCodeVerifier: request.verifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
        maxAge: 600,
      });
      const claims = tokens.claims();
      assert.equal(claims?.sub, 'alice');
      assert.deepEqual(claims?.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims?.acr, 'urn:mfakit:acr:mfa');
      assert.equal(typeof claims?.auth_time, 'number');
    });

    it('discovery lists the acr values mfakit issues', async () => {
      const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as {
        acr_values_supported?: string[];
        claims_supported?: string[];
      };
      assert.deepEqual(meta.acr_values_supported, [
        'urn:mfakit:acr:pwd',
        'urn:mfakit:acr:mfa',
        'urn:mfakit:acr:phr',
      ]);
      for (const c of ['acr', 'amr', 'auth_time']) assert.ok(meta.claims_supported?.includes(c), c);
    });
  });

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

  describe('trusted networks, remembered devices and conditional access in the OIDC flow', () => {
    it('on a trusted network the code is skipped and the token says so (pwd); from elsewhere the same session must verify', async () => {
      idp = await startTestIdp({ trustedNetworks: ['10.0.0.0/8'], trustedProxies: ['127.0.0.1'] });
      const secret = await enrolDirect(idp, 'alice');
      const b = new Browser();
      b.extraHeaders['x-forwarded-for'] = '10.1.2.3';
      const office = await signIn(b, idp, 'alice');
      assert.deepEqual(office.claims.amr, ['pwd']);
      assert.equal(office.claims.acr, 'urn:mfakit:acr:pwd');

      b.extraHeaders['x-forwarded-for'] = '198.51.100.7';
      const { page } = await startAuthorization(b, idp);
      assert.match(page.url, /\/mfa$/, 'the office sign-in does not travel');
      const back = await submitCode(b, idp, page, codeFor(secret, idp.clock));
      assert.ok(atRp(new URL(back.url)));
    });

    it('a spoofed X-Forwarded-For from an untrusted proxy does not make a network trusted', async () => {
      idp = await startTestIdp({ trustedNetworks: ['10.0.0.0/8'] });
      await enrolDirect(idp, 'alice');
      const b = new Browser();
      b.extraHeaders['x-forwarded-for'] = '10.1.2.3';
      const { page } = await startAuthorization(b, idp);
      const prompt = await password(b, idp, page, 'alice');
      assert.match(prompt.url, /\/mfa$/);
    });

    it('a remembered device skips the code at the next sign-in (acr pwd), but never satisfies acr_values=…:mfa', async () => {
      idp = await startTestIdp();
      const secret = await enrolDirect(idp, 'alice');
      const rd = await rememberedDeviceCookie(idp, 'alice', secret);

      const later = new Browser();
      later.cookies.push(rd);
      const skipped = await signIn(later, idp, 'alice');
      assert.deepEqual(skipped.claims.amr, ['pwd']);
      assert.equal(skipped.claims.acr, 'urn:mfakit:acr:pwd');

      const { page } = await startAuthorization(later, idp, { acrValues: 'urn:mfakit:acr:mfa' });
      assert.match(page.url, /\/mfa$/);
      const back = await submitCode(later, idp, page, codeFor(secret, idp.clock, 1));
      const cb = new URL(back.url);
      assert.ok(cb.searchParams.get('code'));
    });

    it('conditional access per client id: SSO into "payroll" asks for MFA that "rp" did not need', async () => {
      idp = await startTestIdp({
        policies: doc([
          {
            id: 'payroll-mfa',
            name: 'Payroll needs MFA',
            state: 'on',
            assignments: { users: { include: ['all'] }, applications: { include: ['payroll'] } },
            grant: { controls: ['mfa'] },
          },
        ]),
      });
      const secret = await enrolDirect(idp, 'bob');
      await idp.mfa.admin.setUserState('bob', 'disabled', ctx);
      const b = new Browser();
      const rp = await signIn(b, idp, 'bob');
      assert.equal(rp.claims.acr, 'urn:mfakit:acr:pwd');
      const { request, page } = await startAuthorization(b, idp, { clientId: 'payroll' });
      assert.match(page.url, /\/mfa$/);
      const back = await submitCode(b, idp, page, codeFor(secret, idp.clock));
      const { claims } = await redeem(idp, back.url, request);
      assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
    });

    it("an upstream IdP's MFA past the sign-in frequency asks for a new sign-in, not a step-up loop", async () => {
      idp = await startTestIdp({
        // The stores keep real time (oidc-provider's models expire by it); only mfakit's clock moves.
        stores: createMemoryStores(),
        policies: doc([
          {
            id: 'hourly',
            name: 'MFA every hour',
            state: 'on',
            assignments: { users: { include: ['all'] }, applications: { include: ['rp'] } },
            grant: { controls: ['mfa'] },
            session: { signInFrequencyHours: 1 },
          },
        ]),
      });
      await enrolDirect(idp, 'carol');
      const b = new Browser();
      const { request, page } = await startAuthorization(b, idp);
      const uid = /\/interaction\/([\w-]+)/.exec(page.url)?.[1] ?? '';
      const back = await b.go(absolute(idp, `/interaction/${uid}/upstream`), {
        form: { username: 'carol', amr: 'fed mfa' },
        stopAt: atRp,
      });
      const first = await redeem(idp, back.url, request);
      assert.equal(first.claims.acr, 'urn:mfakit:acr:mfa', 'the upstream MFA counts');
      idp.clock.advance(2 * 3_600_000);
      const later = await startAuthorization(b, idp);
      assert.ok(later.page.trail.length <= 3, `no loop: ${later.page.trail.join(' → ')}`);
      assert.match(
        later.page.text,
        /name="password"/,
        `the login prompt: ${later.page.url} ${later.page.text.slice(0, 300)}`,
      );
    });

    it('a step-up adds to the session: a hardware token verified earlier still counts after a later authenticator-app step-up', async () => {
      idp = await startTestIdp({
        stores: createMemoryStores(),
        policies: doc([
          {
            id: 'payroll-token',
            name: 'Payroll needs the hardware token',
            state: 'on',
            assignments: { users: { include: ['all'] }, applications: { include: ['payroll'] } },
            grant: { controls: [{ authenticationStrength: 'hardwareToken' }] },
          },
          {
            id: 'rp-hourly',
            name: 'The app re-checks MFA every hour',
            state: 'on',
            assignments: { users: { include: ['all'] }, applications: { include: ['rp'] } },
            grant: { controls: ['mfa'] },
            session: { signInFrequencyHours: 1 },
          },
        ]),
      });
      const secret = await enrolDirect(idp, 'alice');
      await idp.mfa.tokens.importCsv(TOKEN_CSV, ctx);
      const tokenId = (await idp.mfa.tokens.assign('HW-1', 'alice', 'Token', ctx)).id;
      const b = new Browser();
      // 1. Payroll: password, then the hardware token (the only method its policy accepts).
      const pay = await startAuthorization(b, idp, { clientId: 'payroll' });
      const tokenPrompt = await password(b, idp, pay.page, 'alice');
      const paid = await submitCode(b, idp, tokenPrompt, tokenCode(idp.clock));
      assert.deepEqual((await redeem(idp, paid.url, pay.request)).claims.amr, ['pwd', 'otp', 'hwk', 'mfa']);
      // 2. Two hours on, the app's sign-in frequency asks for a second factor again: the authenticator app.
      idp.clock.advance(2 * 3_600_000);
      const app = await startAuthorization(b, idp);
      assert.match(app.page.url, /\/mfa$/);
      const back = await submitCode(b, idp, app.page, codeFor(secret, idp.clock));
      assert.deepEqual((await redeem(idp, back.url, app.request)).claims.amr, ['pwd', 'otp', 'hwk', 'mfa']);
      // 3. Payroll again: the token verified in this session still satisfies it — no prompt.
      const again = await startAuthorization(b, idp, { clientId: 'payroll' });
      assert.ok(atRp(new URL(again.page.url)), `no second token prompt: ${again.page.url}`);
      // 4. The token is removed (lost); the next step-up no longer carries it.
      await idp.mfa.methods.remove('alice', tokenId, ctx);
      idp.clock.advance(2 * 3_600_000);
      const later = await startAuthorization(b, idp);
      const done = await submitCode(b, idp, later.page, codeFor(secret, idp.clock));
      assert.deepEqual((await redeem(idp, done.url, later.request)).claims.amr, ['pwd', 'otp', 'mfa']);
    });

    it('appOf maps client ids to conditional-access applications', async () => {
      idp = await startTestIdp({
        policies: doc([
          {
            id: 'payroll-mfa',
            name: 'Payroll needs MFA',
            state: 'on',
            assignments: { users: { include: ['all'] }, applications: { include: ['payroll-suite'] } },
            grant: { controls: ['mfa'] },
          },
        ]),
        oidcOptions: { appOf: (clientId) => (clientId === 'payroll' ? 'payroll-suite' : clientId) },
      });
      await enrolDirect(idp, 'bob');
      await idp.mfa.admin.setUserState('bob', 'disabled', ctx);
      const b = new Browser();
      assert.equal((await signIn(b, idp, 'bob')).claims.acr, 'urn:mfakit:acr:pwd');
      const { page } = await startAuthorization(b, idp, { clientId: 'payroll' });
      assert.match(page.url, /\/mfa$/, 'the policy for payroll-suite applies to client payroll');
    });

    it('a blocking policy ends the flow at the client with access_denied and no code', async () => {
      idp = await startTestIdp({
        policies: doc([
          {
            id: 'no-payroll',
            name: 'Nobody into payroll',
            state: 'on',
            assignments: { users: { include: ['all'] }, applications: { include: ['payroll'] } },
            grant: { block: true },
          },
        ]),
      });
      const b = new Browser();
      const { page } = await startAuthorization(b, idp, { clientId: 'payroll' });
      const back = await password(b, idp, page, 'alice');
      const cb = new URL(back.url);
      assert.equal(cb.origin + cb.pathname, RP_REDIRECT);
      assert.equal(cb.searchParams.get('error'), 'access_denied');
      assert.equal(cb.searchParams.get('code'), null);
    });
  });
});
