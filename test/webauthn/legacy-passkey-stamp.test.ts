// A session stamp written before `firstFactorMethodId` was recorded, as the session store holds
// it, whose first factor was a passkey signing in as one factor (`firstFactorAmr: ['hwk']`): the
// stamp does not say which passkey, so none of the user's passkeys may be its step-up's second
// factor — not offered, and refused when an attacker brings a valid assertion on a challenge for
// the session anyway. An authenticator app still steps it up. A password-first stamp of the same
// age, and a passkey that counted as multi-factor on its own, are unaffected. The oidc-provider
// step-up of such a session (a new decision on the stamp's first factor) excludes the passkeys too.
import assert from 'node:assert/strict';
import type { Express } from 'express';
import request from 'supertest';
import type { AuthStamp } from '../../src/index.ts';
import { codeFor } from '../helpers/app.ts';
import { enrolThroughEngine } from '../helpers/enrol-through-engine.ts';
import {
  authenticatorAt,
  offeredStepUpKinds,
  passkeyApp,
  stepUpWithOfferedPasskey,
  stepUpWithPasskeyAnyway,
} from '../helpers/passkey-flows.ts';
import { enrolPasskeyThroughEngine } from '../helpers/passkey-pages.ts';
import { asCredential, asRequestOptions } from '../helpers/soft-authenticator.ts';

/** supertest's requests come from loopback: a trusted network lifted the MFA at sign-in. */
const TRUSTED = ['127.0.0.0/8', '::1/128'];

/** Alice with an authenticator app and a passkey; a test route puts a stamp in the session store. */
async function setUp() {
  const made = passkeyApp({
    webauthn: { passwordless: { enabled: true, countsAsMultiFactor: false } },
    trustedNetworks: TRUSTED,
  });
  const secret = await enrolThroughEngine(made.mfa, made.clock, 'alice');
  const soft = authenticatorAt();
  const passkeyId = await enrolPasskeyThroughEngine(made.mfa, soft, 'alice');
  made.clock.advance(60_000);
  let stored: unknown;
  made.app.post('/__test/stored-stamp', (req, res) => {
    req.session.mfakit = { stamp: stored };
    req.session.save(() => res.json({ ok: true }));
  });
  /** A browser whose session holds `stamp` as the store would give it back (JSON). */
  const sessionWith = async (stamp: object) => {
    stored = JSON.parse(JSON.stringify(stamp));
    const agent = request.agent(made.app as Express);
    await agent.post('/__test/stored-stamp').expect(200);
    return agent;
  };
  return { ...made, secret, soft, passkeyId, sessionWith };
}

/** A stamp of the release before `firstFactorMethodId`: this first factor, MFA lifted by the network. */
function legacyStamp(at: number, firstFactorAmr: string[], methods: string[]) {
  return {
    version: 1,
    userId: 'alice',
    amr: firstFactorAmr,
    acr: methods.includes('webauthn') ? 'urn:mfakit:acr:phr' : 'urn:mfakit:acr:pwd',
    firstFactorAmr,
    authTime: at,
    mfaAt: methods.includes('webauthn') ? at : null,
    methods,
    verifiedAt: methods.includes('webauthn') ? { webauthn: at } : {},
    app: 'default',
    clientAppType: 'browser',
    groups: [],
    roles: [],
    risk: {},
    skippedBy: 'trusted_network',
  };
}

describe('a legacy one-factor passkey stamp (no firstFactorMethodId) and the step-up', () => {
  it('attack: no passkey is offered, and a valid assertion on a challenge for the session is refused; the fresh route stays 401', async () => {
    const { mfa, clock, soft, sessionWith } = await setUp();
    const stamp = legacyStamp(clock.now(), ['hwk'], ['password']);
    const agent = await sessionWith(stamp);
    const status = (await agent.get('/mfa/api/status')).body;
    assert.equal(status.status, 'complete', 'the old stamp still parses: the session goes on');
    assert.equal(status.firstFactorMethodId, undefined);
    assert.equal((await agent.get('/admin')).status, 401);
    assert.deepEqual(await offeredStepUpKinds(agent), []);

    // A challenge bound to this session (its user and sign-in time), got as for a password session.
    const res = await stepUpWithPasskeyAnyway(agent, mfa, soft, stamp);
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal((await agent.get('/admin')).status, 401, 'the fresh route stays closed');
    const after = (await agent.get('/mfa/api/status')).body;
    assert.deepEqual(after.amr, ['hwk']);
    assert.equal(after.mfaAt, null);
  });

  it('the engine too: stepUp with the passkey is refused, with the app code accepted', async () => {
    const { mfa, clock, soft, secret } = await setUp();
    const stamp = legacyStamp(clock.now(), ['hwk'], ['password']) as AuthStamp;
    const [challenge] = await mfa.beginStepUpChallenges({ ...stamp, firstFactorAmr: ['pwd'] });
    const byPasskey = await mfa.stepUp(
      stamp,
      { credential: asCredential(soft.authenticate(asRequestOptions(challenge?.options))) },
      { ip: '127.0.0.1' },
    );
    assert.equal(byPasskey.ok, false);
    const byCode = await mfa.stepUp(stamp, { code: codeFor(secret, clock) }, { ip: '127.0.0.1' });
    assert.ok(byCode.ok);
    assert.equal(byCode.stamp.acr, 'urn:mfakit:acr:mfa');
  });

  it('an authenticator app code steps it up: the fresh route answers 200', async () => {
    const { clock, secret, sessionWith } = await setUp();
    const agent = await sessionWith(legacyStamp(clock.now(), ['swk'], ['password']));
    const res = await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((await agent.get('/admin')).status, 200);
    assert.deepEqual((await agent.get('/mfa/api/status')).body.amr, ['swk', 'otp', 'mfa']);
  });

  it('a password-first legacy stamp is unaffected: the passkey is offered and steps it up', async () => {
    const { clock, soft, sessionWith } = await setUp();
    const agent = await sessionWith(legacyStamp(clock.now(), ['pwd'], ['password']));
    assert.deepEqual(await offeredStepUpKinds(agent), ['webauthn']);
    const res = await stepUpWithOfferedPasskey(agent, soft);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((await agent.get('/admin')).status, 200);
  });

  it('a legacy stamp of a passkey that counted as multi-factor may still renew with it, as today', async () => {
    const { clock, soft, sessionWith } = await setUp();
    const agent = await sessionWith(legacyStamp(clock.now(), ['hwk', 'user', 'mfa'], ['webauthn']));
    assert.deepEqual(await offeredStepUpKinds(agent), ['webauthn']);
    const res = await stepUpWithOfferedPasskey(agent, soft);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  it("a new decision on the stamp's first factor (the oidc-provider step-up) offers no passkey either", async () => {
    const { mfa, clock, passkeyId } = await setUp();
    const stamp = legacyStamp(clock.now(), ['hwk'], ['password']);
    // What mfakit/oidc's beginStepUp hands beginSignIn for this session: its first-factor amr, no method id.
    const start = await mfa.beginSignIn({
      userId: stamp.userId,
      amr: [...stamp.firstFactorAmr],
      firstFactorAt: stamp.authTime,
      ip: '192.0.2.1',
      requestedStrengths: ['mfa'],
    });
    assert.equal(start.status, 'mfa');
    if (start.status !== 'mfa') return;
    assert.ok(start.pending.allowedMethodIds, 'the sign-in is restricted to some methods');
    assert.ok(!start.pending.allowedMethodIds.includes(passkeyId), 'not the passkey');
    assert.deepEqual(await mfa.beginPendingChallenges(start.pending.id), []);
  });
});
