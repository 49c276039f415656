// The passkey that signed in alone as one factor (`passwordless.countsAsMultiFactor: false`) is
// never the session's second factor — at a step-up (POST /mfa/api/step-up) no more than at the
// sign-in. The attack: sign in with the passkey from a trusted network (MFA skipped), then step
// up with the same passkey; that must not raise the session to MFA (nor a `fresh` route to 200).
// An authenticator app steps it up; a passkey that counts as multi-factor on its own, and the
// passkey of a password session, still do; a stamp written before the passkey was recorded
// still parses, and steps up with anything but a passkey (legacy-passkey-stamp.test.ts).
import assert from 'node:assert/strict';
import request from 'supertest';
import { parseStamp } from '../../src/engine/parse-stamp.ts';
import { codeFor } from '../helpers/app.ts';
import { enrolThroughEngine } from '../helpers/enrol-through-engine.ts';
import { passwordStep } from '../helpers/flows.ts';
import {
  authenticatorAt,
  offeredStepUpKinds,
  passkeyApp,
  stepUpWithOfferedPasskey,
  stepUpWithPasskeyAnyway,
} from '../helpers/passkey-flows.ts';
import { enrolPasskeyThroughEngine } from '../helpers/passkey-pages.ts';
import type { SoftAuthenticator } from '../helpers/soft-authenticator.ts';

/** supertest's requests come from loopback: a trusted network lifts the per-user MFA. */
const TRUSTED = ['127.0.0.0/8', '::1/128'];

/** Alice with an authenticator app and a passkey; the app trusts loopback unless told not to. */
async function setUp(countsAsMultiFactor: boolean, trustedNetworks = TRUSTED) {
  const made = passkeyApp({
    webauthn: { passwordless: { enabled: true, countsAsMultiFactor } },
    trustedNetworks,
  });
  const secret = await enrolThroughEngine(made.mfa, made.clock, 'alice');
  const soft = authenticatorAt();
  const passkeyId = await enrolPasskeyThroughEngine(made.mfa, soft, 'alice');
  made.clock.advance(60_000);
  // The stamp as the session holds it, which an attacker's challenge must be bound to.
  made.app.get('/__test/stamp', (req, res) => res.json(req.session.mfakit?.stamp ?? null));
  return { ...made, secret, soft, passkeyId };
}

/** The session's stamp as the session store holds it. */
async function storedStamp(agent: ReturnType<typeof request.agent>) {
  const stamp = (await agent.get('/__test/stamp')).body;
  assert.ok(stamp?.sessionId, 'the session has its id');
  return stamp;
}

/** Signs in with the passkey alone (no password). */
async function passkeyOnly(app: Parameters<typeof request.agent>[0], soft: SoftAuthenticator) {
  const agent = request.agent(app);
  const { challengeId, options } = (await agent.get('/mfa/passkey/options')).body;
  const res = await agent.post('/mfa/passkey').send({ challengeId, credential: soft.authenticate(options) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return agent;
}

describe('step-up: the passkey that signed in as one factor is not the second', () => {
  it('attack: the same passkey cannot step the session up, even with a challenge for it; the fresh route stays 401', async () => {
    const { app, mfa, soft } = await setUp(false);
    const agent = await passkeyOnly(app, soft);
    const status = (await agent.get('/mfa/api/status')).body;
    assert.deepEqual(status.amr, ['hwk']);
    assert.equal(status.skippedBy, 'trusted_network');
    assert.equal((await agent.get('/admin')).status, 401);

    assert.deepEqual(await offeredStepUpKinds(agent), [], 'no passkey is offered for the step-up');
    // An attacker who got a challenge for this session anyway: the answer is still refused.
    const res = await stepUpWithPasskeyAnyway(agent, mfa, soft, await storedStamp(agent));
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal((await agent.get('/admin')).status, 401, 'the fresh route stays closed');
    const after = (await agent.get('/mfa/api/status')).body;
    assert.deepEqual(after.amr, ['hwk']);
    assert.equal(after.mfaAt, null);
  });

  it('an authenticator app code steps the passkey session up: the fresh route answers 200', async () => {
    const { app, clock, soft, secret } = await setUp(false);
    const agent = await passkeyOnly(app, soft);
    const res = await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((await agent.get('/admin')).status, 200);
    const status = (await agent.get('/mfa/api/status')).body;
    assert.deepEqual(status.amr, ['hwk', 'otp', 'mfa']);
    assert.equal(status.acr, 'urn:mfakit:acr:mfa');
  });

  it('attack: after one step-up with the app, the passkey is still not the factor of a later one', async () => {
    const { app, clock, mfa, soft, secret } = await setUp(false);
    const agent = await passkeyOnly(app, soft);
    const up = await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) });
    assert.equal(up.status, 200, JSON.stringify(up.body));

    clock.advance(2 * 3600_000);
    assert.equal((await agent.get('/admin')).status, 401, 'the fresh route wants a new verification');
    assert.deepEqual(await offeredStepUpKinds(agent), [], 'still no passkey offered');
    // A challenge for this session got anyway: the passkey's answer is refused.
    const refused = await stepUpWithPasskeyAnyway(agent, mfa, soft, await storedStamp(agent));
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
    assert.equal((await agent.get('/admin')).status, 401);
    assert.equal((await agent.post('/mfa/api/recovery-codes').send({})).status, 403, 'no new recovery codes');

    const again = await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal((await agent.get('/admin')).status, 200, 'the app renews it');
  });

  it('after the app code at sign-in (no trusted network), a step-up still offers the app, not that passkey', async () => {
    const { app, clock, soft, secret } = await setUp(false, []);
    const agent = await passkeyOnly(app, soft);
    const verified = await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.deepEqual(await offeredStepUpKinds(agent), []);
    clock.advance(60_000);
    const res = await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  it('a passkey that counts as multi-factor on its own may still renew the session it signed in', async () => {
    const { app, soft } = await setUp(true);
    const agent = await passkeyOnly(app, soft);
    assert.deepEqual(await offeredStepUpKinds(agent), ['webauthn']);
    const res = await stepUpWithOfferedPasskey(agent, soft);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((await agent.get('/admin')).status, 200);
  });

  it('a password session (no passkey as first factor) still steps up with the passkey', async () => {
    const { app, soft } = await setUp(false);
    const { agent } = await passwordStep(app, 'alice');
    assert.equal((await agent.get('/mfa/api/status')).body.skippedBy, 'trusted_network');
    assert.deepEqual(await offeredStepUpKinds(agent), ['webauthn']);
    const res = await stepUpWithOfferedPasskey(agent, soft);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((await agent.get('/admin')).status, 200);
  });

  it('a stamp written before the passkey was recorded parses; it steps up with the app, never a passkey', async () => {
    const { mfa, clock, secret } = await setUp(false);
    const T = clock.now();
    const stored = {
      version: 1,
      userId: 'alice',
      amr: ['hwk'],
      acr: 'urn:mfakit:acr:pwd',
      firstFactorAmr: ['hwk'],
      authTime: T,
      mfaAt: null,
      methods: ['password'],
      verifiedAt: {},
      app: 'default',
      clientAppType: 'browser',
      groups: [],
      roles: [],
      risk: {},
      skippedBy: 'trusted_network',
    };
    const stamp = parseStamp(JSON.parse(JSON.stringify(stored)));
    assert.ok(stamp);
    assert.equal(stamp.firstFactorMethodId, undefined);
    // Which passkey signed in is not known: none is offered.
    assert.deepEqual(await mfa.beginStepUpChallenges(stamp), []);
    const byCode = await mfa.stepUp(stamp, { code: codeFor(secret, clock) }, { ip: '127.0.0.1' });
    assert.ok(byCode.ok);
    assert.equal(byCode.stamp.acr, 'urn:mfakit:acr:mfa');
  });
});
