// Who may sign in with a passkey alone, and what it counts for: the application says which
// accounts (`passkeySignIn` of mfakit/express: a disabled or partner account is refused and the
// refusal audited), and with `countsAsMultiFactor: false` the passkey that signed in is one factor
// — it can never be the second factor of the same sign-in too.
import assert from 'node:assert/strict';
import request from 'supertest';
import { recoveryCode, totp, webauthn } from '../../src/index.ts';
import { authenticatorAt, passkeyApp, registerFirstPasskey } from '../helpers/passkey-flows.ts';
import { enrolPasskeyThroughEngine } from '../helpers/passkey-pages.ts';
import { asCredential, asRequestOptions, SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { testClock } from '../helpers/test-clock.ts';
import { createTestMfa } from '../helpers/test-mfa.ts';

const CTX = { ip: '198.51.100.7' };

describe('passwordless sign-in: who, and as how many factors', () => {
  it('mfakit/express: an account the application no longer accepts is refused, audited, and not signed in', async () => {
    const disabled = new Set<string>();
    const { app, events } = passkeyApp({ web: { passkeySignIn: (id) => !disabled.has(id) } });
    const soft = authenticatorAt();
    await registerFirstPasskey(app, 'bob', soft);
    disabled.add('bob');
    const agent = request.agent(app);
    const { challengeId, options } = (await agent.get('/mfa/passkey/options')).body;
    const res = await agent
      .post('/mfa/passkey')
      .send({ challengeId, credential: soft.authenticate(options) });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_credential');
    assert.equal((await agent.get('/account')).status, 401);
    const last = events.filter((e) => e.type.startsWith('first_factor')).at(-1);
    assert.equal(last?.type, 'first_factor_failed');
    assert.equal(last && 'detail' in last ? last.detail : undefined, 'passkey_sign_in_not_allowed');
  });

  it('countsAsMultiFactor false: the passkey that signed in cannot also be the second factor', async () => {
    const ORIGIN = 'http://localhost:3000';
    const clock = testClock(Date.now());
    const passkeys = webauthn({
      rpID: 'localhost',
      rpName: 'T',
      origins: [ORIGIN],
      passwordless: { enabled: true, countsAsMultiFactor: false },
    });
    const { mfa } = createTestMfa(
      { methods: [totp, recoveryCode, passkeys] },
      { clock, issuer: 'T', keyFill: 3 },
    );
    const soft = new SoftAuthenticator({ origin: ORIGIN });
    await enrolPasskeyThroughEngine(mfa, soft, 'alice');
    const begun = await mfa.passwordless.begin(undefined, CTX);
    const first = await mfa.passwordless.verify(
      begun.challengeId,
      { credential: asCredential(soft.authenticate(asRequestOptions(begun.options))) },
      CTX,
    );
    assert.ok(first.ok);
    assert.deepEqual(first.amr, ['hwk'], 'one factor: no user, no mfa');
    const start = await mfa.beginSignIn({
      userId: first.userId,
      amr: first.amr,
      firstFactorMethodId: first.methodId,
      ...CTX,
    });
    // Her only method gave the first factor: nothing may give the second, so no code and no passkey.
    assert.notEqual(start.status, 'complete');
    if (start.status === 'mfa') {
      assert.deepEqual(await mfa.beginPendingChallenges(start.pending.id), []);
      assert.ok(!start.pending.allowedMethodIds?.includes(first.methodId));
    }
  });
});
