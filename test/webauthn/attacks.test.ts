// Attacks on passkey sign-in (issue 12), as an attacker would try them against the JSON API of
// an Express app: someone who has Alice's password but not her authenticator — or who proxies
// her browser through another origin, captured one of her answers, holds a copy of her key, or
// has a passkey of their own. Each is refused with a 4xx, audited as `verify_failed` with a
// detail that tells the operator what happened, and stores nothing: the credential's counter
// stays, nobody is signed in, and Alice's pending sign-in still completes with her real key.
import assert from 'node:assert/strict';
import type request from 'supertest';
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
import { type AuthenticationKnobs, FLAGS, type SignedAssertion } from '../helpers/soft-authenticator.ts';

async function aliceWithPasskey(settings: PasskeyAppOptions = {}) {
  const setup = passkeyApp(settings);
  const authenticator = authenticatorAt();
  const credentialId = await registerFirstPasskey(setup.app, 'alice', authenticator);
  const counter = () => setup.stores.repository.getCounter(counterKeyOf(credentialId));
  return { ...setup, authenticator, credentialId, counter };
}
type Setup = Awaited<ReturnType<typeof aliceWithPasskey>>;

/** The audit details of Alice's refused second factors, in order. */
const failures = (setup: Setup) =>
  setup.events.flatMap((e) => (e.type === 'verify_failed' && e.userId === 'alice' ? [e.detail] : []));

/**
 * What every refused attack leaves: the status, the audit detail, the counter as it was, no
 * sign-in, and the pending sign-in still there for Alice's real authenticator.
 */
async function assertRefusedAndNothingStored(
  setup: Setup,
  agent: ReturnType<typeof request.agent>,
  res: request.Response,
  expected: { status?: number; detail: string; counter: number | null },
) {
  assert.equal(res.status, expected.status ?? 401, JSON.stringify(res.body));
  assert.equal(res.body.status, undefined);
  assert.equal(failures(setup).at(-1), expected.detail);
  assert.equal(await setup.counter(), expected.counter);
  assert.equal((await agent.get('/account')).status, 401, 'nobody is signed in');
  const honest = setup.authenticator.authenticate(await promptOptions(agent));
  const completed = await agent.post('/mfa/api/verify').send({ credential: honest });
  assert.equal(completed.status, 200, 'the pending sign-in is still usable');
}

const flipLastByte = (bytes: Buffer) => {
  const copy = Buffer.from(bytes);
  copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0x01;
  return copy;
};

/** Attacks whose answer is made by Alice's own authenticator, with one field the attacker controls. */
const forgedAnswers: { attack: string; knobs: AuthenticationKnobs; detail: string }[] = [
  {
    attack: 'an answer collected on a phishing origin that proxies the login page',
    knobs: { origin: 'https://login.example-secure.com' },
    detail: 'origin_mismatch',
  },
  {
    attack: 'a phishing origin whose name quotes the library’s words (no false clone alarm)',
    knobs: { origin: 'https://response-counter-value.example' },
    detail: 'origin_mismatch',
  },
  {
    attack: 'an assertion for another relying party (another site’s RP ID)',
    knobs: { rpId: 'example-secure.com' },
    detail: 'rp_id_mismatch',
  },
  {
    attack: 'an assertion over a challenge the server never issued',
    knobs: { challenge: Buffer.alloc(32, 7).toString('base64url') },
    // Challenges are kept by binding and value: one never issued here is simply not found.
    detail: 'challenge_missing',
  },
  {
    attack: 'a registration’s client data (type webauthn.create) sent as an assertion',
    knobs: { type: 'webauthn.create' },
    detail: 'type_mismatch',
  },
  {
    attack: 'an assertion made without the user present (no UP flag)',
    knobs: { flags: FLAGS.UV },
    detail: 'user_not_present',
  },
  {
    attack: 'a signature that does not verify',
    knobs: { tamper: (s: SignedAssertion) => ({ ...s, signature: flipLastByte(s.signature) }) },
    detail: 'signature_invalid',
  },
  {
    attack: 'client data changed after signing',
    knobs: {
      tamper: (s: SignedAssertion) => {
        const data = JSON.parse(s.clientDataJSON.toString()) as Record<string, unknown>;
        return { ...s, clientDataJSON: Buffer.from(JSON.stringify({ ...data, crossOrigin: false, x: 1 })) };
      },
    },
    detail: 'signature_invalid',
  },
  {
    attack: 'the user-verified flag switched on after signing',
    knobs: {
      flags: FLAGS.UP,
      tamper: (s: SignedAssertion) => {
        const authenticatorData = Buffer.from(s.authenticatorData);
        authenticatorData[32] = (authenticatorData[32] ?? 0) | FLAGS.UV;
        return { ...s, authenticatorData };
      },
    },
    detail: 'signature_invalid',
  },
  {
    attack: 'the signature counter raised after signing',
    knobs: {
      tamper: (s: SignedAssertion) => {
        const authenticatorData = Buffer.from(s.authenticatorData);
        authenticatorData.writeUInt32BE(1000, 33);
        return { ...s, authenticatorData };
      },
    },
    detail: 'signature_invalid',
  },
  {
    attack: 'Alice’s credential sent with another account’s user handle',
    knobs: { userHandle: Buffer.alloc(32, 9).toString('base64url') },
    detail: 'user_handle_mismatch',
  },
];

describe('passkey attacks at a second-factor sign-in (Express JSON API)', () => {
  for (const { attack, knobs, detail } of forgedAnswers) {
    it(`refuses ${attack}`, async () => {
      const setup = await aliceWithPasskey();
      const { agent } = await passwordStep(setup.app, 'alice');
      const credential = setup.authenticator.authenticate(await promptOptions(agent), knobs);
      const res = await agent.post('/mfa/api/verify').send({ credential });
      await assertRefusedAndNothingStored(setup, agent, res, { detail, counter: null });
    });
  }

  it('refuses a captured assertion replayed at a later sign-in (its challenge was taken)', async () => {
    const setup = await aliceWithPasskey();
    const victim = await passwordStep(setup.app, 'alice');
    const captured = setup.authenticator.authenticate(await promptOptions(victim.agent));
    assert.equal((await victim.agent.post('/mfa/api/verify').send({ credential: captured })).status, 200);
    // The same answer again at the same sign-in: it is complete, nothing is pending.
    const again = await victim.agent.post('/mfa/api/verify').send({ credential: captured });
    assert.equal(again.status, 401);
    assert.equal(again.body.error, 'no_pending_signin');
    // At the attacker's own sign-in with Alice's password, before and after its prompt was loaded.
    const attacker = await passwordStep(setup.app, 'alice');
    const blind = await attacker.agent.post('/mfa/api/verify').send({ credential: captured });
    assert.equal(blind.status, 401);
    assert.equal(failures(setup).at(-1), 'challenge_missing');
    await promptOptions(attacker.agent);
    const res = await attacker.agent.post('/mfa/api/verify').send({ credential: captured });
    await assertRefusedAndNothingStored(setup, attacker.agent, res, {
      detail: 'challenge_missing',
      counter: 1,
    });
  });

  it('refuses an answer sent after its challenge timed out (timeoutSeconds)', async () => {
    const setup = await aliceWithPasskey({ webauthn: { timeoutSeconds: 60 } });
    const { agent } = await passwordStep(setup.app, 'alice');
    const late = setup.authenticator.authenticate(await promptOptions(agent));
    setup.clock.advance(61_000);
    const res = await agent.post('/mfa/api/verify').send({ credential: late });
    await assertRefusedAndNothingStored(setup, agent, res, { detail: 'challenge_missing', counter: null });
  });

  it('refuses an assertion over the challenge of another pending sign-in of the same account', async () => {
    const setup = await aliceWithPasskey();
    const alice = await passwordStep(setup.app, 'alice');
    const attacker = await passwordStep(setup.app, 'alice');
    await promptOptions(attacker.agent);
    // Alice's browser answers her own prompt; the attacker submits that answer at his sign-in.
    const alicesAnswer = setup.authenticator.authenticate(await promptOptions(alice.agent));
    const res = await attacker.agent.post('/mfa/api/verify').send({ credential: alicesAnswer });
    assert.equal(res.status, 401);
    assert.equal(
      failures(setup).at(-1),
      'challenge_missing',
      "alice's challenge is not the attacker's sign-in's",
    );
    assert.equal(await setup.counter(), null);
    assert.equal((await attacker.agent.get('/account')).status, 401);
    // Alice's own sign-in is untouched: her answer completes it.
    assert.equal((await alice.agent.post('/mfa/api/verify').send({ credential: alicesAnswer })).status, 200);
    assert.equal(await setup.counter(), 1);
  });

  it('refuses another user’s passkey at Alice’s sign-in (not one of her credentials)', async () => {
    const setup = await aliceWithPasskey();
    const mallory = authenticatorAt();
    const bobsCredential = await registerFirstPasskey(setup.app, 'bob', mallory);
    const { agent } = await passwordStep(setup.app, 'alice');
    const options = await promptOptions(agent);
    assert.deepEqual(
      options.allowCredentials?.map((c) => c.id),
      [setup.credentialId],
    );
    const credential = mallory.authenticate(options, { credentialId: bobsCredential });
    const res = await agent.post('/mfa/api/verify').send({ credential });
    await assertRefusedAndNothingStored(setup, agent, res, { detail: 'unknown_credential', counter: null });
    assert.equal(await setup.stores.repository.getCounter(counterKeyOf(bobsCredential)), null);
  });

  it('refuses a counter that went backwards (a cloned key) and audits a possible clone', async () => {
    const setup = await aliceWithPasskey();
    assert.equal((await passkeySignIn(setup.app, 'alice', setup.authenticator)).res.status, 200);
    assert.equal((await passkeySignIn(setup.app, 'alice', setup.authenticator)).res.status, 200);
    assert.equal(await setup.counter(), 2);
    const { agent } = await passwordStep(setup.app, 'alice');
    // A copy of the key, validly signing with the counter it had when it was copied.
    const clone = setup.authenticator.authenticate(await promptOptions(agent), { counter: 1 });
    const res = await agent.post('/mfa/api/verify').send({ credential: clone });
    await assertRefusedAndNothingStored(setup, agent, res, {
      detail: 'possible_clone_counter_regression',
      counter: 2,
    });
  });

  it('does not raise the clone alarm for a forged assertion that merely claims an old counter', async () => {
    const setup = await aliceWithPasskey();
    assert.equal((await passkeySignIn(setup.app, 'alice', setup.authenticator)).res.status, 200);
    const { agent } = await passwordStep(setup.app, 'alice');
    const forged = setup.authenticator.authenticate(await promptOptions(agent), {
      counter: 0,
      tamper: (s) => ({ ...s, signature: flipLastByte(s.signature) }),
    });
    const res = await agent.post('/mfa/api/verify').send({ credential: forged });
    await assertRefusedAndNothingStored(setup, agent, res, { detail: 'signature_invalid', counter: 1 });
  });

  it('refuses an assertion without user verification when the method requires it', async () => {
    const setup = await aliceWithPasskey({ webauthn: { userVerification: 'required' } });
    const { agent } = await passwordStep(setup.app, 'alice');
    const options = await promptOptions(agent);
    assert.equal(options.userVerification, 'required');
    const credential = setup.authenticator.authenticate(options, { flags: FLAGS.UP });
    const res = await agent.post('/mfa/api/verify').send({ credential });
    await assertRefusedAndNothingStored(setup, agent, res, { detail: 'user_not_verified', counter: null });
  });
});
