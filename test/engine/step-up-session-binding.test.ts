// A session's step-up challenges are bound to that session's own random id (`sessionId`), not to
// its user and sign-in time: two sessions of one user that completed in the same millisecond
// (an attacker's and the victim's, or two tabs) never answer each other's step-up — a code
// texted for one, or a passkey challenge begun for one, steps up that one only. A step-up and an
// oidc-style merge keep the session's id; a stamp written before ids were recorded is still bound
// by its sign-in time, as before.
import assert from 'node:assert/strict';
import { mergeStepUp as mergeStamps } from '../../src/engine/stamp.ts';
import type { AuthStamp } from '../../src/index.ts';
import { webauthn } from '../../src/methods/webauthn/index.ts';
import { authenticatorAt, ORIGIN } from '../helpers/passkey-flows.ts';
import { enrolPasskeyThroughEngine } from '../helpers/passkey-pages.ts';
import { CTX, lastCode, PHONE_METHODS, phoneMfa, registerPhone } from '../helpers/phone.ts';
import { asCredential, asRequestOptions } from '../helpers/soft-authenticator.ts';

/** The engine with phones and passkeys; CTX's network is trusted, so a sign-in completes at once. */
function setUp() {
  return phoneMfa({
    methods: [...PHONE_METHODS, webauthn({ rpID: 'localhost', rpName: 'Test', origins: [ORIGIN] })],
    trustedNetworks: ['192.0.2.0/24'],
  });
}

type Engine = ReturnType<typeof setUp>['mfa'];

/** Two sessions of `userId` completed in the same millisecond (the test clock stands still). */
async function twoSessionsAtOnce(mfa: Engine, userId: string): Promise<[AuthStamp, AuthStamp]> {
  const signIn = async () => {
    const start = await mfa.beginSignIn({ userId, amr: ['pwd'], ...CTX });
    assert.ok(start.status === 'complete', start.status);
    return start.stamp;
  };
  const a = await signIn();
  const b = await signIn();
  assert.equal(a.authTime, b.authTime, 'the same millisecond');
  return [a, b];
}

const ID = /^[A-Za-z0-9_-]{22,}$/;

describe("step-up: bound to the session's own id", () => {
  it('every sign-in gets its own url-safe id of at least 128 bits', async () => {
    const { mfa, outbox } = setUp();
    await registerPhone(mfa, outbox, 'alice', 'sms', '+44 7700 900123');
    const [a, b] = await twoSessionsAtOnce(mfa, 'alice');
    assert.match(a.sessionId ?? '', ID);
    assert.match(b.sessionId ?? '', ID);
    assert.notEqual(a.sessionId, b.sessionId);
  });

  for (const kind of ['sms', 'voice'] as const) {
    it(`attack: a ${kind} code sent for one session's step-up does not step up another of the same millisecond`, async () => {
      const { mfa, outbox } = setUp();
      const methodId = await registerPhone(mfa, outbox, 'alice', kind, '+44 7700 900123');
      const [mine, theirs] = await twoSessionsAtOnce(mfa, 'alice');
      assert.ok((await mfa.sendStepUpCode(mine, methodId, CTX)).ok);
      const code = lastCode(outbox);
      const stolen = await mfa.stepUp(theirs, { code }, CTX);
      assert.equal(stolen.ok, false, JSON.stringify(stolen));
      const raised = await mfa.stepUp(mine, { code }, CTX);
      assert.ok(raised.ok, JSON.stringify(raised));
      assert.equal(raised.stamp.sessionId, mine.sessionId, 'the step-up keeps the session id');
    });
  }

  it("attack: a passkey challenge begun for one session's step-up does not step up another of the same millisecond", async () => {
    const { mfa } = setUp();
    const soft = authenticatorAt();
    await enrolPasskeyThroughEngine(mfa, soft, 'alice');
    const [mine, theirs] = await twoSessionsAtOnce(mfa, 'alice');
    const [challenge] = await mfa.beginStepUpChallenges(mine);
    assert.equal(challenge?.kind, 'webauthn');
    const answer = () => ({
      credential: asCredential(soft.authenticate(asRequestOptions(challenge.options))),
    });
    const stolen = await mfa.stepUp(theirs, answer(), CTX);
    assert.equal(stolen.ok, false, JSON.stringify(stolen));
    const raised = await mfa.stepUp(mine, answer(), CTX);
    assert.ok(raised.ok, JSON.stringify(raised));
    assert.equal(raised.stamp.acr, 'urn:mfakit:acr:phr');
    assert.equal(raised.stamp.sessionId, mine.sessionId);
  });

  it('a stamp written before ids were recorded still steps up with a code sent for it', async () => {
    const { mfa, outbox } = setUp();
    const methodId = await registerPhone(mfa, outbox, 'alice', 'sms', '+44 7700 900123');
    const [signedIn] = await twoSessionsAtOnce(mfa, 'alice');
    const { sessionId: _none, ...older } = signedIn;
    assert.ok((await mfa.sendStepUpCode(older, methodId, CTX)).ok);
    const raised = await mfa.stepUp(older, { code: lastCode(outbox) }, CTX);
    assert.ok(raised.ok, JSON.stringify(raised));
    assert.equal('sessionId' in raised.stamp, false, 'none is made up for it');
  });

  it("a step-up merged into the session it raised (oidc's mfa prompt) keeps that session's id", async () => {
    const { mfa, outbox, clock } = setUp();
    await registerPhone(mfa, outbox, 'alice', 'sms', '+44 7700 900123');
    const [previous] = await twoSessionsAtOnce(mfa, 'alice');
    clock.advance(60_000);
    const [fresh] = await twoSessionsAtOnce(mfa, 'alice');
    const merged = await mfa.mergeStepUp(previous, fresh);
    assert.equal(merged.sessionId, previous.sessionId);
    // So too when the session's earlier second factors are carried over into the merged stamp.
    const withApp: AuthStamp = {
      ...previous,
      methods: ['password', 'totp'],
      verifiedAt: { totp: previous.authTime },
    };
    const carried = mergeStamps(withApp, fresh, () => true);
    assert.deepEqual(carried.methods, ['password', 'totp']);
    assert.equal(carried.sessionId, previous.sessionId);
    // An older previous stamp has none: the fresh one's stands.
    const { sessionId: _none, ...older } = previous;
    assert.equal((await mfa.mergeStepUp(older, fresh)).sessionId, fresh.sessionId);
    // Another user's stamp is never merged: the fresh one comes back as it is.
    await registerPhone(mfa, outbox, 'bob', 'sms', '+1 (202) 555-0147');
    const [bobs] = await twoSessionsAtOnce(mfa, 'bob');
    assert.equal((await mfa.mergeStepUp(bobs, fresh)).sessionId, fresh.sessionId);
  });
});
