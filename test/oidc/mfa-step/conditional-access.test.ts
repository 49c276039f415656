/** The MFA step of mfakit/oidc in a real oidc-provider: trusted networks, remembered devices and conditional access. */

import assert from 'node:assert/strict';
import { createMemoryStores } from '../../../adapters/memory/index.ts';
import { codeFor } from '../../helpers/app.ts';
import { Browser } from '../../helpers/browser.ts';
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
} from '../../helpers/oidc-idp.ts';
import { doc, HOURLY_MFA_FOR_RP, TOKEN_CSV, tokenCode } from '../../helpers/policies.ts';
import { ctx } from './fixtures.ts';

describe('mfakit/oidc: the MFA step in an oidc-provider code flow', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  afterEach(async () => idp?.close());

  /**
   * Under the hourly-MFA policy, Carol (with an authenticator app) signs in through the test
   * IdP's upstream stand-in with the fields `form` gives (amr, an earlier `at`) and comes back to
   * the RP: her browser and the redeemed code. The stores keep real time (oidc-provider's models
   * expire by it); only mfakit's clock moves.
   */
  async function carolThroughUpstream(form: (started: TestIdp) => Record<string, string>) {
    idp = await startTestIdp({ stores: createMemoryStores(), policies: doc([HOURLY_MFA_FOR_RP]) });
    await enrolDirect(idp, 'carol');
    const b = new Browser();
    const { request, page } = await startAuthorization(b, idp);
    const uid = /\/interaction\/([\w-]+)/.exec(page.url)?.[1] ?? '';
    const back = await b.go(absolute(idp, `/interaction/${uid}/upstream`), {
      form: { username: 'carol', ...form(idp) },
      stopAt: atRp,
    });
    return { b, first: await redeem(idp, back.url, request) };
  }

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
      const { b, first } = await carolThroughUpstream(() => ({ amr: 'fed mfa' }));
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

    it("an upstream's earlier sign-in (FirstFactor.at) is the sign-in time: auth_time, and the frequency counts its MFA from it", async () => {
      // The upstream answered from its session: Carol signed in (with MFA) there 50 minutes ago.
      let upstreamAt = 0;
      const { b, first } = await carolThroughUpstream((started) => {
        upstreamAt = started.clock.now() - 50 * 60_000;
        return { amr: 'fed mfa', at: String(upstreamAt) };
      });
      assert.equal(first.claims.auth_time, Math.floor(upstreamAt / 1000));
      // 15 minutes on, that MFA is 65 minutes old: a new sign-in, not a code on the old one.
      idp.clock.advance(15 * 60_000);
      const later = await startAuthorization(b, idp);
      assert.ok(!atRp(new URL(later.page.url)), `a code on the upstream's old MFA: ${later.page.url}`);
      assert.match(later.page.text, /name="password"/, later.page.text.slice(0, 300));
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
