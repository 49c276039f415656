// Oversized and malformed passkey answers (issue 12) at every route that takes one — the JSON
// API's verify and enroll confirm, the prompt page's form, the passwordless sign-in — are
// refused with a 4xx, never a 5xx: not JSON, not an object, too long for the body limit or the
// credential's own limit, the wrong shape for a WebAuthn answer, nested deep, or carrying a
// `__proto__` key. Nothing is stored: no method, no counter, no sign-in, no polluted prototype,
// and the pending sign-in still completes with the real authenticator.
import assert from 'node:assert/strict';
import request from 'supertest';
import { csrfFrom, passwordStep } from '../helpers/flows.ts';
import {
  authenticatorAt,
  beginPasskeyDraft,
  passkeyApp,
  promptOptions,
  registerFirstPasskey,
} from '../helpers/passkey-flows.ts';

async function pendingWithPasskey() {
  // Room for every malformed attempt below without the lockout's backoff.
  const setup = passkeyApp({ lockout: { maxAttempts: 20, backoffAfter: 20, hardLimit: 20 } });
  const authenticator = authenticatorAt();
  const credentialId = await registerFirstPasskey(setup.app, 'alice', authenticator);
  const { agent } = await passwordStep(setup.app, 'alice');
  const honest = () => promptOptions(agent).then((options) => authenticator.authenticate(options));
  return { ...setup, authenticator, credentialId, agent, honest };
}

/** A nested object `depth` levels deep. */
const nested = (depth: number): object => {
  let value: object = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

describe('malformed and oversized passkey answers get a 4xx, never a 5xx, and store nothing', () => {
  it('the JSON API refuses bodies and credentials that are not a WebAuthn answer', async () => {
    const setup = await pendingWithPasskey();
    const { agent } = setup;
    const valid = await setup.honest();
    const json = (text: string) =>
      agent.post('/mfa/api/verify').set('Content-Type', 'application/json').send(text);
    const send = (body: object) => agent.post('/mfa/api/verify').send(body);
    // Refused before the engine: the body or the credential field itself.
    const early: [() => ReturnType<typeof json>, number, RegExp][] = [
      [() => json('{"credential": {"id": "abc"'), 400, /not valid JSON/],
      [() => send({ credential: { ...valid, pad: 'A'.repeat(20_000) } }), 413, /16kb/],
      [() => send({ credential: JSON.stringify({ pad: 'A'.repeat(12_001) }) }), 400, /too long/],
      [() => send({ credential: { pad: 'A'.repeat(12_500) } }), 400, /too long/],
      [() => send({ credential: 'not json' }), 400, /not JSON/],
      [() => send({ credential: '[1,2]' }), 400, /JSON object/],
      [() => send({ credential: [valid] }), 400, /./],
      [() => send({ credential: 42 }), 400, /./],
      [() => send({ credential: null }), 400, /./],
      [() => send({ credential: valid, code: '123456' }), 400, /code/],
      // Nested past any WebAuthn answer: refused before anything walks it recursively (at ≈ 6,000
      // levels, which a 12 kB body holds, JSON.stringify itself throws).
      [() => send({ credential: nested(300) }), 400, /nested too deeply/],
      [() => json(`{"credential": {"a": ${'['.repeat(6000)}${']'.repeat(6000)}}}`), 400, /nested too deeply/],
      [() => send({ credential: `{"a": ${'['.repeat(5900)}${']'.repeat(5900)}}` }), 400, /nested too deeply/],
    ];
    for (const [attempt, status, message] of early) {
      const res = await attempt();
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.match(res.body.message ?? '', message);
    }
    assert.deepEqual(await setup.mfa.admin.lockStatus('alice'), { attempts: 0, consecutiveFailures: 0 });
    // Well-formed JSON objects of the wrong shape: refused by the method, audited, a failed attempt.
    const wrongShapes: object[] = [
      {},
      { ...valid, type: 'password' },
      { ...valid, id: '../../etc/passwd', rawId: '../../etc/passwd' },
      { ...valid, response: { ...valid.response, signature: 'A'.repeat(5000) } },
      { ...valid, response: { ...valid.response, authenticatorData: 'not base64url!' } },
      { ...valid, response: 'x' },
    ];
    for (const credential of wrongShapes) {
      await promptOptions(agent);
      const res = await agent.post('/mfa/api/verify').send({ credential });
      assert.equal(res.status, 401, JSON.stringify(credential).slice(0, 80));
    }
    const details = setup.events.flatMap((e) => (e.type === 'verify_failed' ? [e.detail] : []));
    assert.deepEqual(details, Array(wrongShapes.length).fill('credential_malformed'));
    // A `__proto__` key is data, never the prototype; the answer is still checked as it is.
    await promptOptions(agent);
    const proto = `{"credential": {"__proto__": {"polluted": true}, "id": "${valid.id}"}}`;
    assert.equal((await json(proto)).status, 401);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(await setup.stores.repository.getCounter(`webauthn:${setup.credentialId}`), null);
    assert.equal((await agent.get('/account')).status, 401);
    // Alice's real key still completes the sign-in.
    assert.equal(
      (await agent.post('/mfa/api/verify').send({ credential: await setup.honest() })).status,
      200,
    );
  });

  it('the prompt page’s form refuses a credential field that is not JSON, with the page, not a 5xx', async () => {
    const setup = await pendingWithPasskey();
    const page = await setup.agent.get('/mfa/prompt');
    const res = await setup.agent
      .post('/mfa/prompt')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), credential: '{"id": ' });
    assert.equal(res.status, 400);
    assert.match(res.text, /credential is not JSON/);
    // Nested deeper than JSON.stringify survives: the same page, not "verification unavailable".
    // Sent as typed (brackets unescaped), so ≈ 12 kB fits the body limit.
    const deep = await setup.agent
      .post('/mfa/prompt')
      .type('form')
      .send(
        `_csrf=${encodeURIComponent(csrfFrom(page.text))}&credential=%7B%22a%22%3A${'['.repeat(5900)}${']'.repeat(5900)}%7D`,
      );
    assert.equal(deep.status, 400);
    assert.match(deep.text, /nested too deeply/);
    assert.equal((await setup.agent.get('/account')).status, 401);
  });

  it('registration refuses malformed answers and stores no method', async () => {
    const setup = passkeyApp();
    const authenticator = authenticatorAt();
    const { agent } = await passwordStep(setup.app, 'alice');
    const { draftId, options } = await beginPasskeyDraft(agent);
    const valid = authenticator.register(options);
    const confirm = (body: object) => agent.post('/mfa/api/enroll/webauthn/confirm').send(body);
    assert.equal((await confirm({ draftId, credential: 'not json' })).status, 400);
    assert.equal((await confirm({ draftId, credential: { ...valid, pad: 'A'.repeat(20_000) } })).status, 413);
    assert.equal((await confirm({ draftId: '../x', credential: valid })).status, 400);
    assert.equal((await confirm({ draftId, credential: { ...valid, pad: 'A'.repeat(12_500) } })).status, 400);
    assert.deepEqual(await setup.stores.repository.listMethods('alice'), []);
    // The draft was not spent by input refused before the method: the real answer registers.
    assert.equal((await confirm({ draftId, credential: valid })).status, 200);
  });

  it('the passwordless sign-in refuses malformed answers and challenges not given to this browser', async () => {
    const setup = passkeyApp();
    const authenticator = authenticatorAt();
    await registerFirstPasskey(setup.app, 'alice', authenticator);
    const browser = request.agent(setup.app);
    const other = request.agent(setup.app);
    const started = await browser.get('/mfa/passkey/options');
    assert.equal(started.status, 200);
    const { challengeId, options } = started.body as { challengeId: string; options: never };
    const valid = authenticator.authenticate(options);
    // Someone else's browser cannot use this challenge (no login CSRF, no stolen answers).
    const elsewhere = await other.post('/mfa/passkey').send({ challengeId, credential: valid });
    assert.equal(elsewhere.status, 400);
    assert.equal(elsewhere.body.error, 'challenge_unknown');
    assert.equal(
      (await browser.post('/mfa/passkey').send({ challengeId: 'x', credential: valid })).status,
      400,
    );
    const big = await browser
      .post('/mfa/passkey')
      .send({ challengeId, credential: { pad: 'A'.repeat(20_000) } });
    assert.equal(big.status, 413);
    // Anyone may post here, signed in or not: nested past JSON.stringify's reach is a 400 too.
    const deep = await browser
      .post('/mfa/passkey')
      .set('Content-Type', 'application/json')
      .send(`{"challengeId": "${challengeId}", "credential": {"a": ${'['.repeat(6000)}${']'.repeat(6000)}}}`);
    assert.equal(deep.status, 400);
    assert.match(deep.body.message, /nested too deeply/);
    const malformed = await browser.post('/mfa/passkey').send({ challengeId, credential: { id: 'x' } });
    assert.equal(malformed.status, 401);
    const refusals = setup.events.flatMap((e) => (e.type === 'first_factor_failed' ? [e.detail] : []));
    assert.deepEqual(refusals, ['credential_malformed']);
    // The challenge was spent on the malformed answer: the real one needs a new challenge.
    assert.equal((await browser.post('/mfa/passkey').send({ challengeId, credential: valid })).status, 400);
    assert.equal((await browser.get('/account')).status, 401);
  });
});
