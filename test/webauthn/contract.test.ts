// What the WebAuthn method promises (issue 12), checked with a software authenticator through
// the Express JSON API and the engine: a sign-in moves the signature counter and stamps the last
// use; one answer signs in once however often it is sent at the same moment, and of a cloned
// key racing its original with one counter value only one gets in; a synced passkey (BE/BS)
// is `swk`, a device-bound one `hwk`; user verification shows as `user` and is enforced when
// required; a step-up's challenge is bound to its session; and passwordless sign-in answers
// only with the account the credential was created for, once per challenge.
import assert from 'node:assert/strict';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import request from 'supertest';
import { counterKeyOf } from '../../src/methods/webauthn/credential.ts';
import { passwordStep } from '../helpers/flows.ts';
import {
  authenticatorAt,
  type PasskeyAppOptions,
  passkeyApp,
  passkeySignIn,
  promptOptions,
  registerFirstPasskey,
} from '../helpers/passkey-flows.ts';
import {
  asCredential,
  asRequestOptions,
  FLAGS,
  type SoftAuthenticator,
} from '../helpers/soft-authenticator.ts';

const PHR = 'urn:mfakit:acr:phr';
const ctx = { ip: '127.0.0.1' };

async function withPasskey(
  traits: Parameters<typeof authenticatorAt>[0] = {},
  options: PasskeyAppOptions = {},
) {
  const setup = passkeyApp(options);
  const authenticator = authenticatorAt(traits);
  const credentialId = await registerFirstPasskey(setup.app, 'alice', authenticator);
  const counter = () => setup.stores.repository.getCounter(counterKeyOf(credentialId));
  return { ...setup, authenticator, credentialId, counter };
}

const detailsOf = (
  events: ReturnType<typeof passkeyApp>['events'],
  type: 'verify_failed' | 'first_factor_failed',
) => events.flatMap((e) => (e.type === type ? [e.detail] : []));

describe('the WebAuthn method as a second factor', () => {
  it('a sign-in moves the signature counter, stamps the last use, and is phishing-resistant', async () => {
    const setup = await withPasskey();
    assert.equal(await setup.counter(), null);
    for (const expected of [1, 2]) {
      setup.clock.advance(60_000);
      const { res } = await passkeySignIn(setup.app, 'alice', setup.authenticator);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.amr, ['pwd', 'hwk', 'user', 'mfa']);
      assert.equal(res.body.acr, PHR);
      assert.equal(await setup.counter(), expected);
      const [method] = await setup.mfa.methods.list('alice');
      assert.equal(method?.lastUsedAt, setup.clock.now());
      assert.equal(method?.description, 'Security key or device-bound passkey');
    }
  });

  it('one valid answer sent twice at the same moment signs in once', async () => {
    const setup = await withPasskey();
    const { agent, res } = await passwordStep(setup.app, 'alice');
    const credential = setup.authenticator.authenticate(await promptOptions(agent));
    const sid = String(res.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
    const answers = await Promise.all(
      [1, 2].map(() => request(setup.app).post('/mfa/api/verify').set('Cookie', sid).send({ credential })),
    );
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 401]);
    assert.equal(await setup.counter(), 1);
  });

  it('through the engine too: two concurrent verifications of one answer, one success', async () => {
    const setup = await withPasskey();
    const started = await setup.mfa.beginSignIn({ userId: 'alice', amr: ['pwd'], ip: ctx.ip });
    assert.equal(started.status, 'mfa');
    if (started.status !== 'mfa') return;
    const [challenge] = await setup.mfa.beginPendingChallenges(started.pending.id);
    assert.equal(challenge?.kind, 'webauthn');
    const credential = asCredential(setup.authenticator.authenticate(asRequestOptions(challenge?.options)));
    const outcomes = await Promise.all(
      [1, 2].map(() => setup.mfa.verifyPending(started.pending.id, { credential }, ctx)),
    );
    assert.deepEqual(outcomes.map((o) => o.ok).sort(), [false, true]);
  });

  it('a cloned key racing its original with one counter value: one gets in, the other is a possible clone', async () => {
    const setup = await withPasskey({}, { lockout: { maxAttempts: 10, backoffAfter: 10 } });
    const first = await passwordStep(setup.app, 'alice');
    const second = await passwordStep(setup.app, 'alice');
    const a = setup.authenticator.authenticate(await promptOptions(first.agent), { counter: 5 });
    const b = setup.authenticator.authenticate(await promptOptions(second.agent), { counter: 5 });
    const answers = await Promise.all([
      first.agent.post('/mfa/api/verify').send({ credential: a }),
      second.agent.post('/mfa/api/verify').send({ credential: b }),
    ]);
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 401]);
    assert.equal(await setup.counter(), 5);
    assert.deepEqual(detailsOf(setup.events, 'verify_failed'), ['possible_clone_counter_regression']);
  });

  it('a synced passkey (backup eligible and backed up) is swk, listed as synced, and its zero counter is accepted', async () => {
    const setup = await withPasskey({ synced: true });
    const [method] = await setup.mfa.methods.list('alice');
    assert.equal(method?.description, 'Passkey (synced)');
    assert.deepEqual(method?.details, { synced: true, backedUp: true, aaguid: setup.authenticator.aaguid });
    for (let i = 0; i < 2; i++) {
      const { res } = await passkeySignIn(setup.app, 'alice', setup.authenticator);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.amr, ['pwd', 'swk', 'user', 'mfa']);
    }
    assert.equal(await setup.counter(), null, 'a synced passkey keeps no counter');
    const [used] = await setup.mfa.methods.list('alice');
    assert.ok(used?.lastUsedAt !== null && used?.lastUsedAt !== undefined, 'its last use is still listed');
  });

  it('without user verification (preferred): accepted, and the amr does not claim `user`', async () => {
    const setup = await withPasskey();
    const { agent } = await passwordStep(setup.app, 'alice');
    const options = await promptOptions(agent);
    assert.equal(options.userVerification, 'preferred');
    const credential = setup.authenticator.authenticate(options, { flags: FLAGS.UP });
    const res = await agent.post('/mfa/api/verify').send({ credential });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.amr, ['pwd', 'hwk', 'mfa']);
  });

  it('userVerification required is asked for at registration and sign-in', async () => {
    const setup = passkeyApp({ webauthn: { userVerification: 'required' } });
    const { agent } = await passwordStep(setup.app, 'alice');
    const draft = await agent.post('/mfa/api/enroll/webauthn').send({});
    assert.equal(draft.body.options.authenticatorSelection.userVerification, 'required');
    assert.equal(draft.body.options.authenticatorSelection.residentKey, 'preferred');
    assert.equal(draft.body.options.attestation, 'none');
  });

  it('a step-up’s challenge is bound to its session: not to another session, nor to a pending sign-in', async () => {
    const setup = await withPasskey();
    const mine = await passkeySignIn(setup.app, 'alice', setup.authenticator);
    setup.clock.advance(1000);
    const theirs = await passkeySignIn(setup.app, 'alice', setup.authenticator);
    assert.equal(mine.res.status, 200);
    assert.equal(theirs.res.status, 200);
    setup.clock.advance(20 * 60_000);
    const answer = setup.authenticator.authenticate(await promptOptions(mine.agent, '/mfa/verify'));
    await promptOptions(theirs.agent, '/mfa/verify');
    assert.equal((await theirs.agent.post('/mfa/api/step-up').send({ credential: answer })).status, 401);
    const pending = await passwordStep(setup.app, 'alice');
    await promptOptions(pending.agent);
    assert.equal((await pending.agent.post('/mfa/api/verify').send({ credential: answer })).status, 401);
    assert.deepEqual(detailsOf(setup.events, 'verify_failed'), ['challenge_missing', 'challenge_missing']);
    const stepped = await mine.agent.post('/mfa/api/step-up').send({ credential: answer });
    assert.equal(stepped.status, 200, JSON.stringify(stepped.body));
    assert.equal(stepped.body.acr, PHR);
  });
});

describe('the WebAuthn method as a passwordless first factor (mfa.passwordless)', () => {
  async function twoAccounts(options: PasskeyAppOptions = {}) {
    const setup = await withPasskey({}, options);
    const bobs = authenticatorAt();
    await registerFirstPasskey(setup.app, 'bob', bobs);
    const bobsHandle = bobs.credentials[0]?.userHandle ?? '';
    const begin = async () => {
      const started = await setup.mfa.passwordless.begin();
      return { ...started, options: asRequestOptions(started.options) };
    };
    return { ...setup, bobs, bobsHandle, begin };
  }
  const verify = (
    setup: { mfa: ReturnType<typeof passkeyApp>['mfa'] },
    id: string,
    answer: AuthenticationResponseJSON,
  ) => setup.mfa.passwordless.verify(id, { credential: asCredential(answer) }, ctx);

  it('names the account of a user-verifying discoverable credential: multi-factor, once per challenge', async () => {
    const setup = await twoAccounts();
    const { challengeId, options } = await setup.begin();
    assert.equal(options.allowCredentials?.length ?? 0, 0);
    assert.equal(options.userVerification, 'required');
    const answer = setup.authenticator.authenticate(options);
    const result = await verify(setup, challengeId, answer);
    assert.deepEqual(result.ok && { userId: result.userId, amr: result.amr }, {
      userId: 'alice',
      amr: ['hwk', 'user', 'mfa'],
    });
    assert.equal(await setup.counter(), 1);
    // The challenge id is spent: the same answer again, or a new answer to it, is refused.
    assert.deepEqual(await verify(setup, challengeId, answer), { ok: false, error: 'invalid_credential' });
    const again = setup.authenticator.authenticate(options);
    assert.deepEqual(await verify(setup, challengeId, again), { ok: false, error: 'invalid_credential' });
    assert.deepEqual(detailsOf(setup.events, 'first_factor_failed'), [
      'challenge_missing',
      'challenge_missing',
    ]);
    assert.equal(await setup.counter(), 1);
  });

  it('refuses an answer without a user handle, with another account’s handle, or without user verification', async () => {
    const setup = await twoAccounts();
    const attempts: [string, Parameters<SoftAuthenticator['authenticate']>[1]][] = [
      ['user_handle_mismatch', { userHandle: null }],
      ['user_handle_mismatch', { userHandle: setup.bobsHandle }],
      ['user_not_verified', { flags: FLAGS.UP }],
      ['challenge_mismatch', { challenge: Buffer.alloc(32, 1).toString('base64url') }],
    ];
    for (const [, knobs] of attempts) {
      const { challengeId, options } = await setup.begin();
      const result = await verify(setup, challengeId, setup.authenticator.authenticate(options, knobs));
      assert.deepEqual(result, { ok: false, error: 'invalid_credential' });
    }
    assert.deepEqual(
      detailsOf(setup.events, 'first_factor_failed'),
      attempts.map(([detail]) => detail),
    );
    assert.equal(await setup.counter(), null, 'no counter moved');
    assert.equal(setup.events.filter((e) => e.type === 'first_factor_verified').length, 0);
  });

  it('refuses a made-up challenge id, and one answer moved from another challenge id', async () => {
    const setup = await twoAccounts();
    const first = await setup.begin();
    const second = await setup.begin();
    const answer = setup.authenticator.authenticate(first.options);
    assert.equal((await verify(setup, 'A'.repeat(24), answer)).ok, false);
    assert.equal((await verify(setup, 'not a challenge id!', answer)).ok, false);
    assert.equal((await verify(setup, second.challengeId, answer)).ok, false);
    assert.deepEqual(detailsOf(setup.events, 'first_factor_failed'), [
      'challenge_missing',
      'challenge_missing',
      'challenge_mismatch',
    ]);
    // The first challenge was never touched: its answer still signs Alice in.
    assert.equal((await verify(setup, first.challengeId, answer)).ok, true);
  });

  it('a passwordless challenge is not a pending sign-in’s, nor the reverse', async () => {
    const setup = await twoAccounts();
    const passwordless = await setup.begin();
    const { agent } = await passwordStep(setup.app, 'alice');
    const secondFactor = setup.authenticator.authenticate(await promptOptions(agent));
    assert.equal((await verify(setup, passwordless.challengeId, secondFactor)).ok, false);
    const firstFactor = setup.authenticator.authenticate((await setup.begin()).options);
    await promptOptions(agent);
    assert.equal((await agent.post('/mfa/api/verify').send({ credential: firstFactor })).status, 401);
  });

  it('counts as one factor when countsAsMultiFactor is false, and is unavailable when disabled', async () => {
    const single = await twoAccounts({ webauthn: { passwordless: { countsAsMultiFactor: false } } });
    const { challengeId, options } = await single.begin();
    const result = await verify(single, challengeId, single.authenticator.authenticate(options));
    assert.deepEqual(result.ok && result.amr, ['hwk']);
    const off = passkeyApp({ webauthn: { passwordless: { enabled: false } } });
    assert.deepEqual(off.mfa.passwordless.available(), []);
    await assert.rejects(off.mfa.passwordless.begin(), { code: 'unknown_method', status: 404 });
  });
});
