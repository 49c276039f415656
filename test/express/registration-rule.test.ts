/**
 * The registration rule through the Express router: a pending sign-in whose first factor grew
 * too old gets a clear answer (never a redirect loop), a registration policy refuses or allows
 * a signed-in user's new method by where they are and what they verified, and a Temporary
 * Access Pass onboards a user where a password would.
 */
import assert from 'node:assert/strict';
import { codeFor, makeApp } from '../helpers/app.ts';
import { passwordStep, signIn } from '../helpers/flows.ts';
import { totpSecretOf } from '../helpers/totp-now.ts';

/** Registering security info only from the office (10.0.0.0/8), or with MFA there. */
const REGISTRATION_POLICY = {
  namedLocations: [{ id: 'office', name: 'Office', trusted: true, cidrs: ['10.0.0.0/8'] }],
  policies: [
    {
      id: 'register-from-office',
      name: 'Register security info only from the office or with MFA',
      state: 'on',
      assignments: { users: { include: ['all'] }, userActions: ['registerSecurityInfo'] },
      conditions: { locations: { include: ['any'], exclude: ['trusted'] } },
      grant: { controls: ['mfa'] },
    },
  ],
};

describe('Express: the registration rule', () => {
  it('a pending enrollment that outlived the rule answers "sign in again" instead of looping', async () => {
    const { app, clock } = makeApp({ pendingTtlSeconds: 900, reauthMaxAgeSeconds: 300 });
    const { agent } = await passwordStep(app, 'alice');
    assert.equal((await agent.get('/mfa/enroll').set('Accept', 'text/html')).status, 200);
    clock.advance(6 * 60_000);
    const page = await agent.get('/mfa/enroll').set('Accept', 'text/html');
    assert.equal(page.status, 401);
    assert.match(page.text, /Sign in again before adding a sign-in method/);
    const api = await agent.post('/mfa/api/enroll/totp').send({});
    assert.equal(api.status, 401);
    assert.equal(api.body.error, 'signin_too_old');
  });

  it('a registration policy: a password-only session outside the office cannot add a method; with MFA or from the office it can', async () => {
    const { app, clock, events, mfa } = makeApp({
      defaultUserState: 'disabled',
      policies: REGISTRATION_POLICY,
      trustedProxies: ['loopback'],
    });
    // bob needs no MFA to sign in; from home his password-only session may not register a method.
    const { agent } = await passwordStep(app, 'bob');
    const refused = await agent.post('/mfa/api/enroll/totp').set('X-Forwarded-For', '198.51.100.7').send({});
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'registration_blocked');
    assert.match(refused.body.message, /Temporary Access Pass/);
    assert.ok(
      events.some((e) => e.type === 'registration_refused' && e.data?.policy === 'register-from-office'),
    );
    const office = await agent.post('/mfa/api/enroll/totp').set('X-Forwarded-For', '10.1.2.3').send({});
    assert.equal(office.status, 201);
    // alice has a method (provisioned by an administrator): a fresh second factor from home meets
    // the policy's MFA grant.
    const draft = await mfa.enrollment.begin('totp', 'alice', 'alice');
    const provisioned = await mfa.enrollment.confirm(
      'totp',
      'alice',
      draft.draftId,
      { code: codeFor(totpSecretOf(draft), clock) },
      '',
      {
        ip: '10.0.0.1',
      },
    );
    assert.ok(provisioned.ok);
    clock.advance(30_000);
    await mfa.admin.setUserState('alice', 'enforced', { ip: '10.0.0.1' });
    const { agent: signedIn } = await signIn(app, clock, 'alice', totpSecretOf(draft));
    assert.equal((await signedIn.post('/mfa/api/enroll/totp').send({})).status, 201);
  });

  it('a Temporary Access Pass onboards a user where a password would: a policy asking for an authenticator app', async () => {
    const { mfa } = makeApp({
      policies: {
        policies: [
          {
            id: 'hr-otp',
            name: 'HR needs an authenticator app',
            state: 'on',
            assignments: { users: { include: ['all'] }, applications: { include: ['hr'] } },
            grant: { controls: [{ authenticationStrength: 'otpOrBetter' }] },
          },
        ],
      },
    });
    const withPassword = await mfa.beginSignIn({
      userId: 'newbie',
      amr: ['pwd'],
      ip: '203.0.113.9',
      app: 'hr',
    });
    const withPass = await mfa.beginSignIn({ userId: 'newbie2', amr: ['tap'], ip: '203.0.113.9', app: 'hr' });
    assert.ok(withPassword.status === 'mfa' && withPassword.pending.mustEnroll);
    assert.ok(
      withPass.status === 'mfa' && withPass.pending.mustEnroll,
      `a pass sign-in was ${withPass.status}`,
    );
  });
});
