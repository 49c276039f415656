// Text message and phone call through the Express JSON API: registering a number (the code read
// from the outbox), signing in and stepping up with a code sent on demand, and what an attacker
// gets: 400 for a bad number, 404 for someone else's method, 429 with Retry-After for a flood,
// 401 for a code from another sign-in; never the full number back.
import assert from 'node:assert/strict';
import request from 'supertest';
import { passwordStep } from '../../helpers/flows.ts';
import { lastCode, registerPhone } from '../../helpers/phone.ts';
import { makePhoneApp } from '../../helpers/phone-app.ts';

const NUMBER = '+44 7700 900123';

/** Carol's first sign-in, registering her phone through the API; her agent (signed in) and method id. */
async function registerCarol(built: ReturnType<typeof makePhoneApp>, kind: 'sms' | 'voice' = 'sms') {
  const { agent } = await passwordStep(built.app, 'alice');
  const draft = await agent.post(`/mfa/api/enroll/${kind}`).send({ phoneNumber: NUMBER });
  assert.equal(draft.status, 201, JSON.stringify(draft.body));
  const done = await agent
    .post(`/mfa/api/enroll/${kind}/confirm`)
    .send({ draftId: draft.body.draftId, code: lastCode(built.outbox) });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  const [method] = await built.mfa.methods.list('alice');
  return { agent, methodId: method?.id ?? '', draft: draft.body, done: done.body };
}

describe('text message and phone call through the JSON API', () => {
  it('registers a number at the first sign-in: asks for it, refuses a bad one, never returns it in full', async () => {
    const built = makePhoneApp();
    const { agent } = await passwordStep(built.app, 'alice');
    const missing = await agent.post('/mfa/api/enroll/sms').send({});
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'fields_required');
    assert.deepEqual(missing.body.fields, ['phoneNumber']);
    for (const phoneNumber of [
      '07700 900123',
      '+44 77',
      `+44${'7'.repeat(60)}`,
      447700900123,
      ['+447700900123'],
    ]) {
      const bad = await agent.post('/mfa/api/enroll/sms').send({ phoneNumber });
      assert.equal(bad.status, 400, JSON.stringify(phoneNumber));
      assert.match(bad.body.message, /phoneNumber|phone number/);
    }
    assert.equal(built.outbox.messages.length, 0);
    const draft = await agent.post('/mfa/api/enroll/sms').send({ phoneNumber: NUMBER });
    assert.equal(draft.status, 201);
    assert.equal(draft.body.to, '+•• ••• ••23');
    assert.equal(draft.body.channel, 'sms');
    assert.ok(!JSON.stringify(draft.body).includes('7700'), 'no full number in the answer');
    const done = await agent
      .post('/mfa/api/enroll/sms/confirm')
      .send({ draftId: draft.body.draftId, code: lastCode(built.outbox) });
    assert.equal(done.status, 200);
    assert.deepEqual(done.body.amr, ['pwd', 'sms', 'mfa']);
    assert.equal(done.body.recoveryCodes.length, 10);
    const methods = await agent.get('/mfa/api/methods');
    assert.equal(methods.body.methods[0].description, 'Text message to +•• ••• ••23');
    assert.ok(!JSON.stringify(methods.body).includes('7700'));
  });

  it('signs in with a text sent on demand: the senders, the send, the code', async () => {
    const built = makePhoneApp();
    const { agent, methodId } = await registerCarol(built);
    await agent.post('/logout');
    await passwordStep(built.app, 'alice', agent);
    const sentBefore = built.outbox.messages.length;
    const offered = await agent.post('/mfa/api/challenges').send({});
    assert.deepEqual(offered.body.senders, [{ methodId, kind: 'sms', label: 'Text a code to +•• ••• ••23' }]);
    assert.equal(built.outbox.messages.length, sentBefore, 'offering sends nothing');
    const sent = await agent.post('/mfa/api/send').send({ methodId });
    assert.equal(sent.status, 200);
    assert.equal(sent.body.status, 'sent');
    assert.equal(sent.body.to, '+•• ••• ••23');
    const done = await agent.post('/mfa/api/verify').send({ code: lastCode(built.outbox) });
    assert.equal(done.status, 200);
    assert.deepEqual(done.body.amr, ['pwd', 'sms', 'mfa']);
    const account = await agent.get('/account');
    assert.equal(account.status, 200);
  });

  it('signs in with a phone call', async () => {
    const built = makePhoneApp();
    const { agent, methodId } = await registerCarol(built, 'voice');
    await agent.post('/logout');
    await passwordStep(built.app, 'alice', agent);
    assert.equal((await agent.post('/mfa/api/send').send({ methodId })).status, 200);
    assert.equal(built.outbox.last()?.channel, 'voice');
    const done = await agent.post('/mfa/api/verify').send({ code: lastCode(built.outbox) });
    assert.deepEqual(done.body.amr, ['pwd', 'tel', 'mfa']);
  });

  it('steps up with a text inside the session', async () => {
    const built = makePhoneApp();
    const { agent, methodId } = await registerCarol(built);
    built.clock.advance(10 * 60_000);
    assert.notEqual((await agent.get('/admin')).status, 200, 'a fresh factor is needed');
    const offered = await agent.post('/mfa/api/challenges').send({});
    assert.equal(offered.body.senders[0].methodId, methodId);
    assert.equal((await agent.post('/mfa/api/send').send({ methodId })).status, 200);
    const up = await agent.post('/mfa/api/step-up').send({ code: lastCode(built.outbox) });
    assert.equal(up.status, 200);
    assert.equal((await agent.get('/admin')).status, 200);
    const replay = await agent.post('/mfa/api/step-up').send({ code: lastCode(built.outbox) });
    assert.equal(replay.status, 401, 'a code works once');
  });

  it("attacks: another user's method 404, a flood 429 with Retry-After, a code from another sign-in 401", async () => {
    const built = makePhoneApp();
    const carol = await registerCarol(built);
    await carol.agent.post('/logout');
    // Bob, with a phone of his own and signed in with his password, asks for a code to Alice's phone.
    await registerPhone(built.mfa, built.outbox, 'bob', 'sms', '+44 7700 900456');
    const { agent: bob } = await passwordStep(built.app, 'bob');
    const foreign = await bob.post('/mfa/api/send').send({ methodId: carol.methodId });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error, 'unknown_method');
    const malformed = await bob.post('/mfa/api/send').send({ methodId: '../../x' });
    assert.equal(malformed.status, 400);

    // Two sign-ins of Alice: a code sent for one does not complete the other.
    const { agent: first } = await passwordStep(built.app, 'alice');
    const { agent: second } = await passwordStep(built.app, 'alice');
    assert.equal((await first.post('/mfa/api/send').send({ methodId: carol.methodId })).status, 200);
    const stolen = await second.post('/mfa/api/verify').send({ code: lastCode(built.outbox) });
    assert.equal(stolen.status, 401);

    // The registration and one send so far: three more, then 429.
    for (let i = 0; i < 3; i++)
      assert.equal((await first.post('/mfa/api/send').send({ methodId: carol.methodId })).status, 200);
    const flood = await first.post('/mfa/api/send').send({ methodId: carol.methodId });
    assert.equal(flood.status, 429);
    assert.equal(flood.body.error, 'slow_down');
    assert.equal(flood.headers['retry-after'], '300');
    assert.ok(built.events.some((e) => e.type === 'code_send_refused' && e.detail === 'slow_down'));
    // The code sent last still works for the sign-in it was sent for.
    const done = await first.post('/mfa/api/verify').send({ code: lastCode(built.outbox) });
    assert.equal(done.status, 200);
  });

  it('a signed-in user adds a phone call as another method, within the fresh window', async () => {
    const built = makePhoneApp();
    const { agent } = await registerCarol(built);
    const draft = await agent.post('/mfa/api/enroll/voice').send({ phoneNumber: '+1 202 555 0147' });
    assert.equal(draft.status, 201);
    assert.equal(draft.body.to, '+•• ••• ••47');
    assert.equal(built.outbox.last()?.channel, 'voice');
    const done = await agent
      .post('/mfa/api/enroll/voice/confirm')
      .send({ draftId: draft.body.draftId, code: lastCode(built.outbox), label: 'Desk phone' });
    assert.equal(done.status, 201);
    assert.equal(done.body.method.kind, 'voice');
    const methods = await agent.get('/mfa/api/methods');
    assert.deepEqual(
      methods.body.methods.map((m: { kind: string; description: string }) => [m.kind, m.description]),
      [
        ['sms', 'Text message to +•• ••• ••23'],
        ['voice', 'Phone call to +•• ••• ••47'],
      ],
    );
    // Later, without a fresh factor, no phone can be added (and nothing is sent).
    built.clock.advance(10 * 60_000);
    const sent = built.outbox.messages.length;
    const stale = await agent.post('/mfa/api/enroll/sms').send({ phoneNumber: '+44 7700 900999' });
    assert.equal(stale.status, 403);
    assert.equal(built.outbox.messages.length, sent);
  });

  it('registration sends are limited too: 429 slow_down with Retry-After, nothing more sent', async () => {
    const built = makePhoneApp();
    const { agent } = await passwordStep(built.app, 'alice');
    for (let i = 0; i < 5; i++)
      assert.equal((await agent.post('/mfa/api/enroll/sms').send({ phoneNumber: NUMBER })).status, 201);
    const flood = await agent.post('/mfa/api/enroll/sms').send({ phoneNumber: NUMBER });
    assert.equal(flood.status, 429);
    assert.equal(flood.body.error, 'slow_down');
    assert.equal(flood.headers['retry-after'], '300');
    assert.equal(built.outbox.messages.length, 5);
  });

  it('a send without a sign-in is refused', async () => {
    const built = makePhoneApp();
    const res = await request(built.app).post('/mfa/api/send').send({ methodId: 'abc' });
    assert.equal(res.status, 401);
  });
});
