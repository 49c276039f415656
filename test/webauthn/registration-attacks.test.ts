// Attacks on registering a passkey (issue 12) over the Express JSON API: a registration answer
// from another origin or for another RP ID, over a challenge not issued for this draft, of the
// wrong ceremony, without presence or required verification, of a refused authenticator model,
// and a credential registered already — re-registered past excludeCredentials, or another
// account's credential id claimed with the attacker's own key. Each is refused with a 4xx,
// audited as `verify_failed` `enroll_<detail>`, and stores nothing: no method is added, the
// existing credential keeps its key, and the sign-in or session can still register honestly.
import assert from 'node:assert/strict';
import type { Agent } from 'supertest';
import { passwordStep } from '../helpers/flows.ts';
import {
  authenticatorAt,
  beginPasskeyDraft,
  type PasskeyAppOptions,
  passkeyApp,
  passkeySignIn,
  registerFirstPasskey,
} from '../helpers/passkey-flows.ts';
import { FLAGS, type RegistrationKnobs, type SoftAuthenticator } from '../helpers/soft-authenticator.ts';

type Setup = ReturnType<typeof passkeyApp>;

const DENIED_MODEL = '0bb43545-fd2c-4185-87dd-feb0b2916ace';
const ALLOWED_MODEL = 'ee882879-721c-4913-9775-3dfcce97072a';

/** The audit details of a user's refused proofs, in order. */
const failures = (setup: Setup, user: string) =>
  setup.events.flatMap((e) => (e.type === 'verify_failed' && e.userId === user ? [e.detail] : []));

const methodsOf = async (setup: Setup, user: string) => setup.stores.repository.listMethods(user);

/** The answer is refused and audited, nothing is stored, and an honest registration still succeeds. */
async function assertRefusedThenHonest(
  setup: Setup,
  agent: Agent,
  authenticator: SoftAuthenticator,
  confirm: { draftId: string; credential: object },
  detail: string,
) {
  const before = (await methodsOf(setup, 'alice')).length;
  const res = await agent.post('/mfa/api/enroll/webauthn/confirm').send(confirm);
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.equal(failures(setup, 'alice').at(-1), `enroll_${detail}`);
  assert.equal((await methodsOf(setup, 'alice')).length, before, 'no method stored');
  // The same answer again: its draft was taken.
  assert.equal((await agent.post('/mfa/api/enroll/webauthn/confirm').send(confirm)).status, 401);
  const honest = await beginPasskeyDraft(agent);
  const done = await agent
    .post('/mfa/api/enroll/webauthn/confirm')
    .send({ draftId: honest.draftId, credential: authenticator.register(honest.options) });
  assert.equal(done.status, before === 0 ? 200 : 201, JSON.stringify(done.body));
  assert.equal((await methodsOf(setup, 'alice')).length, before + 1);
}

const forgedRegistrations: {
  attack: string;
  knobs: RegistrationKnobs;
  detail: string;
  settings?: PasskeyAppOptions['webauthn'];
}[] = [
  {
    attack: 'a passkey created on a phishing origin',
    knobs: { origin: 'https://login.example-secure.com' },
    detail: 'origin_mismatch',
  },
  {
    attack: 'a passkey created for another relying party (RP ID)',
    knobs: { rpId: 'example-secure.com' },
    detail: 'rp_id_mismatch',
  },
  {
    attack: 'an answer over a challenge the server never issued',
    knobs: { challenge: Buffer.alloc(32, 3).toString('base64url') },
    detail: 'challenge_mismatch',
  },
  {
    attack: 'an assertion’s client data (type webauthn.get) sent as a registration',
    knobs: { type: 'webauthn.get' },
    detail: 'type_mismatch',
  },
  {
    attack: 'a passkey created without the user present',
    knobs: { flags: FLAGS.AT | FLAGS.UV },
    detail: 'user_not_present',
  },
  {
    attack: 'a passkey created without user verification when the method requires it',
    knobs: { flags: FLAGS.AT | FLAGS.UP },
    detail: 'user_not_verified',
    settings: { userVerification: 'required' },
  },
  {
    attack: 'an authenticator model on the deny list',
    knobs: { aaguid: DENIED_MODEL },
    detail: 'authenticator_not_allowed',
    settings: { aaguids: { deny: [DENIED_MODEL.toUpperCase()] } },
  },
  {
    attack: 'an authenticator model missing from the allow list',
    knobs: { aaguid: DENIED_MODEL },
    detail: 'authenticator_not_allowed',
    settings: { aaguids: { allow: [ALLOWED_MODEL] } },
  },
];

describe('passkey registration attacks (Express JSON API)', () => {
  for (const { attack, knobs, detail, settings } of forgedRegistrations) {
    it(`refuses ${attack} at a first sign-in`, async () => {
      const setup = passkeyApp({ webauthn: settings ?? {} });
      const authenticator = authenticatorAt({ aaguid: ALLOWED_MODEL });
      const { agent } = await passwordStep(setup.app, 'alice');
      const { draftId, options } = await beginPasskeyDraft(agent);
      const credential = authenticator.register(options, knobs);
      await assertRefusedThenHonest(setup, agent, authenticator, { draftId, credential }, detail);
    });
  }

  it('refuses an answer made for another pending sign-in’s draft', async () => {
    const setup = passkeyApp();
    const authenticator = authenticatorAt();
    const other = await passwordStep(setup.app, 'alice');
    const stolen = await beginPasskeyDraft(other.agent);
    const { agent } = await passwordStep(setup.app, 'alice');
    const { draftId } = await beginPasskeyDraft(agent);
    const credential = authenticator.register(stolen.options);
    await assertRefusedThenHonest(setup, agent, authenticator, { draftId, credential }, 'challenge_mismatch');
  });

  it('refuses an answer whose attestation object is not CBOR, or that lacks one', async () => {
    const setup = passkeyApp();
    const authenticator = authenticatorAt();
    const { agent } = await passwordStep(setup.app, 'alice');
    const first = await beginPasskeyDraft(agent);
    const answer = authenticator.register(first.options);
    const garbled = { ...answer, response: { ...answer.response, attestationObject: 'AAAA' } };
    await assertRefusedThenHonest(
      setup,
      agent,
      authenticator,
      { draftId: first.draftId, credential: garbled },
      'credential_invalid',
    );
    // Now signed in with the passkey just registered (its answer completed the sign-in): add one more.
    const second = await beginPasskeyDraft(agent);
    const incomplete = { ...answer, response: { clientDataJSON: answer.response.clientDataJSON } };
    const res = await agent
      .post('/mfa/api/enroll/webauthn/confirm')
      .send({ draftId: second.draftId, credential: incomplete });
    assert.equal(res.status, 401);
    assert.equal(failures(setup, 'alice').at(-1), 'enroll_credential_malformed');
  });

  it('refuses re-registering a credential the options exclude (a client that ignores excludeCredentials)', async () => {
    const setup = passkeyApp();
    const authenticator = authenticatorAt();
    const credentialId = await registerFirstPasskey(setup.app, 'alice', authenticator);
    const { agent, res } = await passkeySignIn(setup.app, 'alice', authenticator);
    assert.equal(res.status, 200);
    const [stored] = await methodsOf(setup, 'alice');
    const { draftId, options } = await beginPasskeyDraft(agent);
    assert.deepEqual(
      options.excludeCredentials?.map((c) => c.id),
      [credentialId],
    );
    // An honest authenticator refuses to make a second credential here.
    assert.throws(() => authenticator.register(options), /InvalidStateError/);
    const replayed = authenticator.register(options, { credentialId });
    const refused = await agent
      .post('/mfa/api/enroll/webauthn/confirm')
      .send({ draftId, credential: replayed });
    assert.equal(refused.status, 401);
    assert.equal(failures(setup, 'alice').at(-1), 'enroll_credential_exists');
    assert.deepEqual(await methodsOf(setup, 'alice'), [stored]);
  });

  it('refuses another account’s credential id claimed with the attacker’s own key', async () => {
    const setup = passkeyApp();
    const alices = authenticatorAt();
    const aliceCredential = await registerFirstPasskey(setup.app, 'alice', alices);
    const [aliceRecord] = await methodsOf(setup, 'alice');
    const mallory = authenticatorAt();
    const { agent } = await passwordStep(setup.app, 'bob');
    const { draftId, options } = await beginPasskeyDraft(agent);
    const claimed = mallory.register(options, { credentialId: aliceCredential });
    const res = await agent.post('/mfa/api/enroll/webauthn/confirm').send({ draftId, credential: claimed });
    assert.equal(res.status, 401);
    assert.equal(failures(setup, 'bob').at(-1), 'enroll_credential_exists');
    assert.deepEqual(await methodsOf(setup, 'bob'), []);
    assert.deepEqual(await methodsOf(setup, 'alice'), [aliceRecord], 'Alice’s key is unchanged');
    // Mallory's key cannot sign in as Alice; Alice's still can.
    assert.equal((await passkeySignIn(setup.app, 'alice', mallory)).res.status, 401);
    assert.equal((await passkeySignIn(setup.app, 'alice', alices)).res.status, 200);
  });

  it('accepts a model on the allow list, whatever the case of its AAGUID in the settings', async () => {
    const setup = passkeyApp({ webauthn: { aaguids: { allow: [ALLOWED_MODEL.toUpperCase()] } } });
    await registerFirstPasskey(setup.app, 'alice', authenticatorAt({ aaguid: ALLOWED_MODEL }));
    const [method] = await setup.mfa.methods.list('alice');
    assert.equal(method?.details.aaguid, ALLOWED_MODEL);
  });
});
