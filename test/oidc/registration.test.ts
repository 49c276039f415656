/**
 * Registering a first method through the OIDC step, as an attacker holding an old session
 * cookie would try it: the rule (a recent first factor) is the engine's, so the step-up
 * cannot build an enrollment on the session's old sign-in.
 */
import assert from 'node:assert/strict';
import { Browser } from '../helpers/browser.ts';
import {
  atRp,
  password,
  redeem,
  startAuthorization,
  startTestIdp,
  type TestIdp,
} from '../helpers/oidc-idp.ts';

const DAY = 86_400_000;

describe('mfakit/oidc: registering the first method', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  beforeEach(async () => {
    // bob has no method and needs none for a plain sign-in; acr_values asks for more.
    idp = await startTestIdp({ defaultUserState: 'disabled' });
  });
  afterEach(async () => idp.close());

  it('a 2-day-old session cannot register an authenticator through a step-up: the password is asked again', async () => {
    const b = new Browser();
    const { request, page } = await startAuthorization(b, idp);
    const back = await password(b, idp, page, 'bob');
    assert.ok(atRp(new URL(back.url)));
    assert.equal((await redeem(idp, back.url, request)).claims.acr, 'urn:mfakit:acr:pwd');

    idp.clock.advance(2 * DAY);
    // The cookie's holder (not necessarily bob) asks for MFA.
    const stepUp = await startAuthorization(b, idp, { acrValues: 'urn:mfakit:acr:mfa' });
    assert.ok(!stepUp.page.url.includes('/mfa'), `went to ${stepUp.page.url}`);
    assert.doesNotMatch(stepUp.page.text, /id="secret"|otpauth:/, 'an enrollment secret was offered');
    assert.match(stepUp.page.text, /name="password"/);
    // Going to the MFA page of that interaction by hand offers no enrollment either.
    const uid = /\/interaction\/([\w-]+)/.exec(stepUp.page.url)?.[1] ?? '';
    const direct = await b.go(`${idp.issuer}/interaction/${uid}/mfa`, { stopAt: atRp });
    assert.doesNotMatch(direct.text, /id="secret"|otpauth:/);
    assert.ok(!idp.events.some((e) => e.type === 'enrolled'));

    // Bob himself types his password: now the enrollment is offered, on a fresh first factor.
    const fresh = await password(b, idp, stepUp.page, 'bob');
    assert.match(fresh.url, /\/mfa$/);
    assert.match(fresh.text, /id="secret"/);
  });

  it('the engine refuses the enrollment of an old first factor however the integration asks', async () => {
    const old = idp.clock.now() - 2 * DAY;
    const start = await idp.mfa.beginSignIn({
      userId: 'bob',
      amr: ['pwd'],
      ip: '203.0.113.5',
      requestedStrengths: ['mfa'],
      firstFactorAt: old,
    });
    assert.equal(start.status, 'blocked');
    assert.ok(start.status === 'blocked' && start.signInAgain);
    assert.ok(idp.events.some((e) => e.type === 'registration_refused' && e.detail === 'signin_too_old'));
    const fresh = await idp.mfa.beginSignIn({
      userId: 'bob',
      amr: ['pwd'],
      ip: '203.0.113.5',
      requestedStrengths: ['mfa'],
    });
    assert.equal(fresh.status, 'mfa');
    assert.ok(fresh.status === 'mfa' && fresh.pending.mustEnroll);
    // And a pending sign-in that outlived the rule (clock moved on) can no longer enrol.
    idp.clock.advance(10 * 60_000);
    if (fresh.status !== 'mfa') return;
    assert.equal(await idp.mfa.beginPendingEnrollment(fresh.pending.id, 'totp', 'bob'), null);
  });
});
