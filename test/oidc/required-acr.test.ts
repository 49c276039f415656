// mfakit/oidc's `requiredAcrOf`: the acr a client always needs, attacked from the user's side.
// It must behave exactly like `acr_values` the client sent on every request: a remembered-device
// cookie or a trusted network never meets it, an SSO session below it steps up, and the request
// itself cannot lower it. Driven over real HTTP through a real oidc-provider (test/helpers/oidc-idp.ts).
import assert from 'node:assert/strict';
import { codeFor } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import {
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
} from '../helpers/oidc-idp.ts';

const PWD = 'urn:mfakit:acr:pwd';
const MFA = 'urn:mfakit:acr:mfa';
const PHR = 'urn:mfakit:acr:phr';
const ctx = { ip: '127.0.0.1' };

/** `payroll` always needs MFA; `rp` needs nothing beyond its request. */
const payrollNeedsMfa = { requiredAcrOf: (clientId: string) => (clientId === 'payroll' ? MFA : undefined) };

describe('mfakit/oidc requiredAcrOf: the level a client always needs', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  afterEach(async () => idp?.close());

  it('a remembered-device cookie lifts MFA for rp, but a password-only sign-in to payroll is still asked for the code', async () => {
    idp = await startTestIdp({ oidcOptions: payrollNeedsMfa });
    const secret = await enrolDirect(idp, 'alice');
    const rd = await rememberedDeviceCookie(idp, 'alice', secret);

    const attacker = new Browser();
    attacker.cookies.push(rd);
    const skipped = await signIn(attacker, idp, 'alice');
    assert.equal(skipped.claims.acr, PWD, 'the cookie does lift plain MFA for rp');

    const fresh = new Browser();
    fresh.cookies.push(rd);
    const { request, page } = await startAuthorization(fresh, idp, { clientId: 'payroll' });
    const prompt = await password(fresh, idp, page, 'alice');
    assert.ok(!atRp(new URL(prompt.url)), `no code for payroll after the password alone: ${prompt.url}`);
    assert.match(prompt.url, /\/mfa$/);
    const back = await submitCode(fresh, idp, prompt, codeFor(secret, idp.clock, 1));
    const { claims } = await redeem(idp, back.url, request);
    assert.equal(claims.acr, MFA);
    assert.ok(claims.amr?.includes('otp'), String(claims.amr));
  });

  it('an SSO session at …:pwd (remembered device, at rp) must step up for payroll: the code, no password, auth_time kept', async () => {
    idp = await startTestIdp({ oidcOptions: payrollNeedsMfa });
    const secret = await enrolDirect(idp, 'alice');
    const rd = await rememberedDeviceCookie(idp, 'alice', secret);
    const b = new Browser();
    b.cookies.push(rd);
    const atRpSession = await signIn(b, idp, 'alice');
    assert.equal(atRpSession.claims.acr, PWD);

    const { request, page } = await startAuthorization(b, idp, { clientId: 'payroll' });
    assert.ok(!atRp(new URL(page.url)), `payroll was handed the pwd session: ${page.url}`);
    assert.match(page.url, /\/mfa$/, 'straight to the code prompt');
    assert.doesNotMatch(page.text, /name="password"/);
    const back = await submitCode(b, idp, page, codeFor(secret, idp.clock, 1));
    const { claims } = await redeem(idp, back.url, request);
    assert.equal(claims.acr, MFA);
    assert.ok(claims.amr?.includes('otp'), String(claims.amr));
    assert.equal(claims.auth_time, atRpSession.claims.auth_time, 'a step-up, not a new sign-in');
  });

  it('a trusted network does not meet it: not at sign-in, not for an SSO session from the office', async () => {
    idp = await startTestIdp({
      trustedNetworks: ['10.0.0.0/8'],
      trustedProxies: ['127.0.0.1'],
      oidcOptions: payrollNeedsMfa,
    });
    const secret = await enrolDirect(idp, 'alice');
    const office = new Browser();
    office.extraHeaders['x-forwarded-for'] = '10.1.2.3';
    assert.equal((await signIn(office, idp, 'alice')).claims.acr, PWD, 'rp: the office skips MFA');
    const sso = await startAuthorization(office, idp, { clientId: 'payroll' });
    assert.match(sso.page.url, /\/mfa$/, `payroll from the office session: ${sso.page.url}`);

    const fresh = new Browser();
    fresh.extraHeaders['x-forwarded-for'] = '10.1.2.3';
    const { request, page } = await startAuthorization(fresh, idp, { clientId: 'payroll' });
    const prompt = await password(fresh, idp, page, 'alice');
    assert.match(prompt.url, /\/mfa$/, `payroll at sign-in from the office: ${prompt.url}`);
    const back = await submitCode(fresh, idp, prompt, codeFor(secret, idp.clock));
    assert.equal((await redeem(idp, back.url, request)).claims.acr, MFA);
  });

  it('acr_values=…:pwd cannot lower it: at sign-in (with a remembered device) nor for an SSO session', async () => {
    idp = await startTestIdp({ oidcOptions: payrollNeedsMfa });
    const secret = await enrolDirect(idp, 'alice');
    const rd = await rememberedDeviceCookie(idp, 'alice', secret);
    const fresh = new Browser();
    fresh.cookies.push(rd);
    const { request, page } = await startAuthorization(fresh, idp, { clientId: 'payroll', acrValues: PWD });
    const prompt = await password(fresh, idp, page, 'alice');
    assert.match(prompt.url, /\/mfa$/, `acr_values=pwd lowered payroll's level: ${prompt.url}`);
    const back = await submitCode(fresh, idp, prompt, codeFor(secret, idp.clock, 1));
    assert.equal((await redeem(idp, back.url, request)).claims.acr, MFA);

    // bob: MFA disabled, so his rp session is at pwd; acr_values=pwd does not spare him the step-up.
    await enrolDirect(idp, 'bob');
    await idp.mfa.admin.setUserState('bob', 'disabled', ctx);
    const b = new Browser();
    assert.equal((await signIn(b, idp, 'bob')).claims.acr, PWD);
    const sso = await startAuthorization(b, idp, { clientId: 'payroll', acrValues: PWD });
    assert.match(sso.page.url, /\/mfa$/, `SSO into payroll with acr_values=pwd: ${sso.page.url}`);
  });

  it('acr_values can raise it: …:phr to payroll with only an authenticator app is refused, never a lower acr', async () => {
    idp = await startTestIdp({ oidcOptions: payrollNeedsMfa });
    await enrolDirect(idp, 'alice');
    const b = new Browser();
    const { page } = await startAuthorization(b, idp, { clientId: 'payroll', acrValues: PHR });
    const back = await password(b, idp, page, 'alice');
    const cb = new URL(back.url);
    assert.ok(atRp(cb), back.url);
    assert.equal(cb.searchParams.get('error'), 'access_denied');
    assert.equal(cb.searchParams.get('code'), null);
  });

  it('a client with no requirement is unchanged, and a session that has MFA goes to payroll without a prompt (SSO)', async () => {
    idp = await startTestIdp({ oidcOptions: payrollNeedsMfa });
    const secret = await enrolDirect(idp, 'alice');
    const b = new Browser();
    assert.equal((await signIn(b, idp, 'alice', { secret })).claims.acr, MFA);
    const again = await signIn(b, idp, 'alice', { request: { clientId: 'payroll' } });
    assert.equal(again.claims.acr, MFA);
    assert.ok(!again.trail.some((u) => u.includes('/interaction/')), 'no interaction at all');
  });

  it('a required value mfakit does not issue fails closed: no code for that client', async () => {
    idp = await startTestIdp({ oidcOptions: { requiredAcrOf: () => 'urn:example:gold' } });
    await idp.mfa.admin.setUserState('bob', 'disabled', ctx);
    const b = new Browser();
    const { page } = await startAuthorization(b, idp);
    const back = await password(b, idp, page, 'bob');
    assert.equal(back.status, 500);
    assert.equal(new URL(back.url).searchParams.get('code'), null);
    assert.match(back.text, /not an acr mfakit issues/);
  });
});
