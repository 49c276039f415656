// Push notifications through the Express JSON API, the phone app talking over HTTP to the same
// app's device API: the send answers the number to show, a verification before the app approved
// is a 202 with the approval (and costs no attempt), after it a 200 once; what an attacker gets:
// a replay refused, fifty racing verifications with one success, another sign-in of the same
// user not completed by this one's approval, and a user who reported fraud refused a send with a
// 403 that says why.
import assert from 'node:assert/strict';
import { makePushApp, registerPushOverApi } from '../../helpers/app.ts';
import { passwordStep } from '../../helpers/flows.ts';

/** Alice, with her phone app registered, after her password: her agent and what the send answered. */
async function sentToPhone() {
  const built = makePushApp();
  const { phone, methodId } = await registerPushOverApi(built, 'alice');
  const { agent } = await passwordStep(built.app, 'alice');
  const offered = await agent.post('/mfa/api/challenges').send({});
  assert.deepEqual(offered.body.senders, [
    { methodId, kind: 'push', label: 'Send a notification to Pixel 9', approval: true },
  ]);
  const sent = await agent.post('/mfa/api/send').send({ methodId });
  assert.equal(sent.status, 200, JSON.stringify(sent.body));
  return { built, phone, methodId, agent, sent: sent.body };
}

describe('push notifications through the JSON API', () => {
  it('send → the number; verify before the approval → 202 with it and no attempt; after → signed in', async () => {
    const { built, phone, methodId, agent, sent } = await sentToPhone();
    assert.equal(sent.status, 'sent');
    assert.equal(sent.kind, 'push');
    assert.equal(sent.methodId, methodId);
    assert.match(sent.number, /^[1-9]\d$/);
    assert.match(sent.message, new RegExp(`Enter ${sent.number} in the app`));
    for (let i = 0; i < 6; i++) {
      const early = await agent.post('/mfa/api/verify').send({ push: true });
      assert.equal(early.status, 202);
      assert.equal(early.body.error, 'approval_pending');
      assert.match(early.body.message, new RegExp(`enter ${sent.number} in the app`));
      assert.equal(early.body.approval.channel, 'push');
      assert.deepEqual(Object.keys(early.body.approval).sort(), [
        'approved',
        'channel',
        'expiresAt',
        'methodId',
        'number',
        'to',
      ]);
      assert.equal(early.body.approval.methodId, methodId);
      assert.equal(early.body.approval.approved, false);
      assert.equal(early.body.approval.number, sent.number);
      assert.equal(early.body.approval.to, sent.to);
      assert.ok(early.body.approval.expiresAt > built.clock.now());
    }
    assert.equal((await built.mfa.admin.lockStatus('alice')).attempts, 0, 'waiting costs no attempt');
    assert.equal((await agent.get('/account')).status, 401, 'not signed in while waiting');
    assert.deepEqual((await phone.approve(sent.number)).body, { answer: 'approved' });
    const done = await agent.post('/mfa/api/verify').send({ push: true });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, 'complete');
    assert.deepEqual(done.body.amr, ['pwd', 'swk', 'mfa']);
    assert.deepEqual((await agent.get('/account')).body.amr, ['pwd', 'swk', 'mfa']);
  });

  it('an approval is used once: a replayed verification or app answer is refused', async () => {
    const { built, phone, agent, sent } = await sentToPhone();
    const [notification] = (await phone.pending()).body.notifications;
    const answer = await phone.answer(notification.id, 'approve', sent.number);
    assert.equal(answer.status, 200);
    assert.equal((await agent.post('/mfa/api/verify').send({ push: true })).status, 200);
    // The same browser signs in again: the old approval does not carry over to the new sign-in.
    await agent.post('/logout');
    await passwordStep(built.app, 'alice', agent);
    const replay = await agent.post('/mfa/api/verify').send({ push: true });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error, 'invalid_code');
    assert.equal(replay.body.approval, undefined);
    // The app answering the spent notification again changes nothing.
    const again = await phone.answer(notification.id, 'approve', sent.number);
    assert.ok(again.status >= 400 && again.status < 500, String(again.status));
    assert.equal((await agent.post('/mfa/api/verify').send({ push: true })).status, 401);
    assert.equal((await agent.get('/account')).status, 401);
  });

  it('50 verifications racing after one approval: exactly one signs in, none is a 5xx', async () => {
    const { phone, agent, sent } = await sentToPhone();
    await phone.approve(sent.number);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => agent.post('/mfa/api/verify').send({ push: true })),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
    assert.ok(
      statuses.every((s) => s === 200 || s === 401),
      statuses.join(','),
    );
  });

  it("an approval for one browser's sign-in does not complete another browser's sign-in of the same user", async () => {
    const { built, phone, methodId, agent: victim, sent } = await sentToPhone();
    const victimTx = built.outbox.last(methodId)?.transactionId ?? '';
    const { agent: attacker } = await passwordStep(built.app, 'alice');
    // While the victim's request waits, the attacker's send is refused (one request per device),
    // so the app never shows the attacker's request in place of the victim's.
    const theirs = await attacker.post('/mfa/api/send').send({ methodId });
    assert.equal(theirs.status, 429);
    assert.match(theirs.body.message, /already waiting/);
    assert.equal((await phone.answer(victimTx, 'approve', sent.number)).body.answer, 'approved');
    const stolen = await attacker.post('/mfa/api/verify').send({ push: true });
    assert.equal(stolen.status, 401, 'nothing was sent for its sign-in: the approval is not its');
    assert.equal((await attacker.get('/account')).status, 401);
    assert.equal((await victim.post('/mfa/api/verify').send({ push: true })).status, 200);
    assert.equal((await attacker.post('/mfa/api/verify').send({ push: true })).status, 401);
    assert.equal((await attacker.get('/account')).status, 401);
  });

  it('steps up a session with a notification: 202 until approved, then verified', async () => {
    const { built, phone, methodId, agent, sent } = await sentToPhone();
    await phone.approve(sent.number);
    await agent.post('/mfa/api/verify').send({ push: true }).expect(200);
    built.clock.advance(6 * 60_000);
    const stale = await agent.get('/admin');
    assert.equal(stale.status, 401, 'a fresh route wants a recent second factor');
    assert.equal(stale.body.reason, 'reverify_required');
    const stepUp = await agent.post('/mfa/api/send').send({ methodId });
    assert.equal(stepUp.status, 200);
    assert.match(stepUp.body.number, /^[1-9]\d$/);
    const early = await agent.post('/mfa/api/step-up').send({ push: true });
    assert.equal(early.status, 202);
    assert.equal(early.body.approval.number, stepUp.body.number);
    await phone.approve(stepUp.body.number);
    const done = await agent.post('/mfa/api/step-up').send({ push: true });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.status, 'verified');
    assert.equal((await agent.get('/admin')).status, 200);
    assert.equal((await agent.post('/mfa/api/step-up').send({ push: true })).status, 401, 'used once');
  });

  it('a denial is a 401 like a wrong code; after a fraud report a send is a 403 saying why', async () => {
    const { built, phone, methodId, agent } = await sentToPhone();
    const [denied] = (await phone.pending()).body.notifications;
    assert.equal((await phone.answer(denied.id, 'deny')).body.answer, 'denied');
    const refused = await agent.post('/mfa/api/verify').send({ push: true });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_code');
    await agent.post('/mfa/api/send').send({ methodId }).expect(200);
    const [reported] = (await phone.pending()).body.notifications;
    assert.equal((await phone.answer(reported.id, 'fraud')).body.answer, 'fraud');
    const { agent: next } = await passwordStep(built.app, 'alice');
    const blocked = await next.post('/mfa/api/send').send({ methodId });
    assert.equal(blocked.status, 403);
    assert.equal(blocked.body.error, 'send_blocked');
    assert.match(blocked.body.message, /Notifications are paused .* reported as fraud/);
    assert.equal(built.outbox.notifications.length, 2, 'nothing more was sent');
  });
});
