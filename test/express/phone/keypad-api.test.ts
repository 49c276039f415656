// A phone call answered on the keypad through the Express JSON API: registering the phone (the
// number, and the PIN in PIN mode, confirmed by a code call), the send answering the number to
// show with channel `voice`, a verification before the keys a 202 with the approval (no attempt
// counted), a 200 once after them; a denial a 401 like a wrong code; step-up the same; and what
// an attacker gets: keys for the victim's call give another sign-in of the same user nothing.
import assert from 'node:assert/strict';
import { passwordStep } from '../../helpers/flows.ts';
import {
  approvingKeys,
  CALL_BUTTON,
  lastCall,
  makeKeypadApp,
  otherNumber,
  PHONE_NUMBER,
  PIN,
  PIN_MODE,
  pressKeys,
} from '../../helpers/keypad-call.ts';
import { lastCode } from '../../helpers/phone.ts';

/** Alice's first sign-in registering her phone for keypad calls through the API (PIN mode), signed out again. */
async function registerOverApi(built: ReturnType<typeof makeKeypadApp>) {
  const { agent } = await passwordStep(built.app, 'alice');
  const noPin = await agent.post('/mfa/api/enroll/voice').send({ phoneNumber: PHONE_NUMBER });
  assert.equal(noPin.status, 400);
  assert.equal(noPin.body.error, 'fields_required');
  assert.deepEqual(noPin.body.fields, ['phoneNumber', 'pin']);
  assert.equal(noPin.body.message, 'pin is required', 'names what is missing');
  const draft = await agent.post('/mfa/api/enroll/voice').send({ phoneNumber: PHONE_NUMBER, pin: PIN });
  assert.equal(draft.status, 201, JSON.stringify(draft.body));
  assert.ok(!JSON.stringify(draft.body).includes(PIN), 'the PIN is never sent back');
  assert.equal(built.outbox.calls.length, 0, 'registration is confirmed by a code, not a keypad call');
  const done = await agent
    .post('/mfa/api/enroll/voice/confirm')
    .send({ draftId: draft.body.draftId, code: lastCode(built.outbox) });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.deepEqual(done.body.amr, ['pwd', 'tel', 'pin', 'mfa']);
  await agent.post('/logout');
  const [method] = await built.mfa.methods.list('alice');
  assert.ok(method);
  return method.id;
}

/** Alice, with her phone registered, after her password: her agent and what the send answered. */
async function calledOverApi() {
  const built = makeKeypadApp(PIN_MODE);
  const methodId = await registerOverApi(built);
  const { agent } = await passwordStep(built.app, 'alice');
  const offered = await agent.post('/mfa/api/challenges').send({});
  assert.deepEqual(offered.body.senders, [{ methodId, kind: 'voice', label: CALL_BUTTON, approval: true }]);
  const sent = await agent.post('/mfa/api/send').send({ methodId });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  return { built, methodId, agent, sent: sent.body };
}

describe('phone call answered on the keypad through the JSON API', () => {
  it('send → the number, channel voice; verify before the keys → 202 approval_pending, no attempt; after → signed in', async () => {
    const { built, methodId, agent, sent } = await calledOverApi();
    assert.equal(sent.status, 'sent');
    assert.equal(sent.kind, 'voice');
    assert.equal(sent.channel, 'voice');
    assert.equal(sent.methodId, methodId);
    assert.equal(sent.to, '+•• ••• ••23');
    assert.match(sent.number, /^[1-9]\d$/);
    assert.match(sent.message, new RegExp(`enter ${sent.number} on the phone's keypad`));
    assert.doesNotMatch(sent.message, /app/);
    assert.equal(lastCall(built.outbox).to, '+447700900123');
    for (let i = 0; i < 3; i++) {
      const early = await agent.post('/mfa/api/verify').send({ push: true });
      assert.equal(early.status, 202);
      assert.equal(early.body.error, 'approval_pending');
      assert.match(early.body.message, new RegExp(`enter ${sent.number} on the keypad`));
      assert.doesNotMatch(early.body.message, /app/);
      assert.deepEqual(Object.keys(early.body.approval).sort(), [
        'approved',
        'channel',
        'expiresAt',
        'methodId',
        'number',
        'to',
      ]);
      assert.equal(early.body.approval.channel, 'voice');
      assert.equal(early.body.approval.methodId, methodId);
      assert.equal(early.body.approval.number, sent.number);
      assert.equal(early.body.approval.to, sent.to);
      assert.equal(early.body.approval.approved, false);
    }
    assert.equal((await built.mfa.admin.lockStatus('alice')).attempts, 0, 'waiting costs no attempt');
    assert.equal((await agent.get('/account')).status, 401);
    assert.equal(
      (await pressKeys(built.mfa, built.outbox, approvingKeys(sent.number, PIN_MODE))).outcome,
      'approved',
    );
    const done = await agent.post('/mfa/api/verify').send({ push: true });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, 'complete');
    assert.deepEqual(done.body.amr, ['pwd', 'tel', 'pin', 'mfa']);
    assert.equal((await agent.post('/mfa/api/verify').send({ push: true })).status, 401, 'used once');
  });

  it('a wrong number on the keypad is a 401 invalid_code, counted like a wrong code', async () => {
    const { built, agent, sent } = await calledOverApi();
    const keys = approvingKeys(otherNumber(sent.number), PIN_MODE);
    assert.equal((await pressKeys(built.mfa, built.outbox, keys)).outcome, 'denied');
    const refused = await agent.post('/mfa/api/verify').send({ push: true });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_code');
    assert.equal(refused.body.approval, undefined);
    assert.equal((await built.mfa.admin.lockStatus('alice')).consecutiveFailures, 1);
    assert.equal((await agent.get('/account')).status, 401);
  });

  it("attack: the victim's keys do not complete another sign-in of the same user, whose call is refused meanwhile", async () => {
    const { built, methodId, agent: victim, sent } = await calledOverApi();
    const victimCall = lastCall(built.outbox);
    const { agent: attacker } = await passwordStep(built.app, 'alice');
    const theirs = await attacker.post('/mfa/api/send').send({ methodId });
    assert.equal(theirs.status, 429);
    assert.match(theirs.body.message, /already waiting/);
    assert.equal(built.outbox.calls.length, 1);
    await pressKeys(built.mfa, built.outbox, approvingKeys(sent.number, PIN_MODE), victimCall);
    const stolen = await attacker.post('/mfa/api/verify').send({ push: true });
    assert.equal(stolen.status, 401);
    assert.equal((await attacker.get('/account')).status, 401);
    assert.equal((await victim.post('/mfa/api/verify').send({ push: true })).status, 200);
    assert.equal((await attacker.post('/mfa/api/verify').send({ push: true })).status, 401);
  });

  it('steps up a session with a keypad call: 202 until the keys, then verified', async () => {
    const { built, methodId, agent, sent } = await calledOverApi();
    await pressKeys(built.mfa, built.outbox, approvingKeys(sent.number, PIN_MODE));
    await agent.post('/mfa/api/verify').send({ push: true }).expect(200);
    built.clock.advance(6 * 60_000);
    assert.equal((await agent.get('/admin')).status, 401);
    const stepUp = await agent.post('/mfa/api/send').send({ methodId });
    assert.equal(stepUp.status, 200);
    assert.equal(stepUp.body.channel, 'voice');
    const early = await agent.post('/mfa/api/step-up').send({ push: true });
    assert.equal(early.status, 202);
    assert.equal(early.body.approval.channel, 'voice');
    assert.equal(early.body.approval.number, stepUp.body.number);
    await pressKeys(built.mfa, built.outbox, approvingKeys(stepUp.body.number, PIN_MODE));
    const done = await agent.post('/mfa/api/step-up').send({ push: true });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, 'verified');
    assert.equal((await agent.get('/admin')).status, 200);
  });

  it('after a fraud report (0#) a send is a 403 saying calls are paused', async () => {
    const { built, methodId } = await calledOverApi();
    assert.equal((await pressKeys(built.mfa, built.outbox, '0')).outcome, 'fraud');
    const { agent: next } = await passwordStep(built.app, 'alice');
    const blocked = await next.post('/mfa/api/send').send({ methodId });
    assert.equal(blocked.status, 403);
    assert.equal(blocked.body.error, 'send_blocked');
    assert.match(blocked.body.message, /Calls are paused .* reported as fraud/);
    assert.equal(built.outbox.calls.length, 1, 'nothing more was placed');
  });
});
