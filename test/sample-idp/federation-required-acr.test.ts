// A relying-party trust's requiredAcr against the sample federation server, from the user's side:
// `payroll` requires urn:mfakit:acr:mfa, and a password plus something that is not a second
// factor — a remembered-device cookie, a trusted network, an SSO session at …:pwd, or
// acr_values=…:pwd — must never get an ID token for it below …:mfa.
import assert from 'node:assert/strict';
import { codeFor } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import {
  atRp,
  authorizationRequest,
  enrolDirect,
  type FederationStack,
  type RpClaims,
  redeem,
  signInWithPassword,
  startFederationStack,
  submitCode,
} from '../helpers/federation-stack.ts';

const PWD = 'urn:mfakit:acr:pwd';
const MFA = 'urn:mfakit:acr:mfa';

describe('sample-idp federation: requiredAcr cannot be met without the second factor', function () {
  this.timeout(60_000);
  let s: FederationStack;
  afterEach(async () => s?.close());

  /** Alice signs in to `rp` with her code and ticks "don't ask again": the cookie it leaves. */
  async function rememberedDevice(secret: string) {
    const b = new Browser();
    const { request, page } = await signInWithPassword(b, s, 'alice', 'alice password');
    assert.match(page.url, /\/mfa$/);
    await redeem(s, await submitCode(b, s, page, codeFor(secret, s.clock), true), request);
    const rd = b.cookie(new URL(s.fedUrl).host, 'mfakit_rd');
    assert.ok(rd, 'remembered-device cookie set');
    return rd;
  }

  /** A fresh sign-in with alice's password: the page it leads to (the RP with a code, or the code prompt). */
  async function passwordOnly(b: Browser, clientId: string, acrValues?: string) {
    const { request, page } = await signInWithPassword(b, s, 'alice', 'alice password', {
      clientId,
      ...(acrValues ? { acrValues } : {}),
    });
    return { request, page };
  }

  const assertSecondFactor = (claims: RpClaims) => {
    assert.equal(claims.acr, MFA);
    assert.ok(claims.amr?.includes('otp'), String(claims.amr));
  };

  it('(a) a remembered-device cookie from an earlier sign-in: password-only to payroll is still asked for the code', async () => {
    s = await startFederationStack();
    const secret = await enrolDirect(s, 'alice');
    const rd = await rememberedDevice(secret);
    // The cookie is good: it lifts plain MFA for rp.
    const elsewhere = new Browser();
    elsewhere.cookies.push(rd);
    const rp = await passwordOnly(elsewhere, 'rp');
    assert.equal((await redeem(s, rp.page, rp.request)).claims.acr, PWD);

    const attacker = new Browser();
    attacker.cookies.push(rd);
    const { request, page } = await passwordOnly(attacker, 'payroll');
    assert.ok(!atRp(new URL(page.url)), `payroll handed out a code for the password alone: ${page.url}`);
    assert.match(page.url, /\/mfa$/);
    const back = await submitCode(attacker, s, page, codeFor(secret, s.clock, 1));
    assertSecondFactor((await redeem(s, back, request)).claims);
  });

  it('(b) a trusted network does not meet it', async () => {
    s = await startFederationStack({ trustedNetworks: ['10.0.0.0/8'], trustedProxies: ['loopback'] });
    const secret = await enrolDirect(s, 'alice');
    const office = new Browser();
    office.extraHeaders['x-forwarded-for'] = '10.1.2.3';
    const rp = await passwordOnly(office, 'rp');
    assert.equal((await redeem(s, rp.page, rp.request)).claims.acr, PWD, 'the office skips MFA for rp');

    const fresh = new Browser();
    fresh.extraHeaders['x-forwarded-for'] = '10.1.2.3';
    const { request, page } = await passwordOnly(fresh, 'payroll');
    assert.match(page.url, /\/mfa$/, `payroll from the office: ${page.url}`);
    const back = await submitCode(fresh, s, page, codeFor(secret, s.clock));
    assertSecondFactor((await redeem(s, back, request)).claims);
  });

  it('(c) an SSO session at …:pwd from rp must step up for payroll: the code without the password, not a …:pwd token', async () => {
    s = await startFederationStack();
    const secret = await enrolDirect(s, 'alice');
    const rd = await rememberedDevice(secret);
    const b = new Browser();
    b.cookies.push(rd);
    const rp = await passwordOnly(b, 'rp');
    const atRpSession = (await redeem(s, rp.page, rp.request)).claims;
    assert.equal(atRpSession.acr, PWD);

    const request = authorizationRequest(s, { clientId: 'payroll' });
    const page = await b.go(request.url, { stopAt: atRp });
    assert.ok(!atRp(new URL(page.url)), `payroll was handed the …:pwd session: ${page.url}`);
    assert.match(page.url, /\/mfa$/, 'straight to the code prompt');
    assert.doesNotMatch(page.text, /name="password"/);
    const back = await submitCode(b, s, page, codeFor(secret, s.clock, 1));
    const { claims } = await redeem(s, back, request);
    assertSecondFactor(claims);
    assert.equal(claims.auth_time, atRpSession.auth_time, 'a step-up keeps the sign-in time');
  });

  it('(d) acr_values=…:pwd to payroll cannot lower it', async () => {
    s = await startFederationStack();
    const secret = await enrolDirect(s, 'alice');
    const rd = await rememberedDevice(secret);
    const attacker = new Browser();
    attacker.cookies.push(rd);
    const { request, page } = await passwordOnly(attacker, 'payroll', PWD);
    assert.match(page.url, /\/mfa$/, `acr_values=pwd lowered payroll's level: ${page.url}`);
    const back = await submitCode(attacker, s, page, codeFor(secret, s.clock, 1));
    assertSecondFactor((await redeem(s, back, request)).claims);
  });
});
