// Push notifications against the attacks a security review found, as an attacker would try them:
// slipping a request in front of the user's own (one request waits per device), a failing
// provider that would leave requests to approve, a second device's approval blocked by the
// first's wait, a locked user told to wait, an approval by mistake that cannot be reported, a
// replaced request still answered, a device name that rewrites the page, and a production start
// that would deliver nothing.
import assert from 'node:assert/strict';
import { ConfigError, pushMethod } from '../../../src/index.ts';
import { CTX, PUSH_ENDPOINT, pendingSignIn, pushMfa, registerPushApp, sendPush } from '../../helpers/push.ts';
import { createPushApp, engineTransport } from '../../helpers/push-app.ts';

describe('push notifications: abuse', () => {
  it("another sign-in's send is refused while the user's request waits, so the app never shows the attacker's", async () => {
    const { mfa, clock } = pushMfa();
    const { app, methodId } = await registerPushApp(mfa, clock, 'alice');
    const user = await pendingSignIn(mfa, 'alice');
    const attacker = await pendingSignIn(mfa, 'alice');
    const number = await sendPush(mfa, user, methodId);
    const slipped = await mfa.sendPendingCode(attacker, methodId, { ip: '203.0.113.66' });
    assert.equal(!slipped.ok && slipped.error, 'slow_down');
    assert.match(!slipped.ok && slipped.error === 'slow_down' ? slipped.message : '', /already waiting/);
    // The app shows the user's request, with the address it was asked from.
    const [shown] = (await app.pending()).body.notifications;
    assert.equal(shown.ip, CTX.ip);
    // The user's own page may send again: that replaces their request (a new number).
    const again = await sendPush(mfa, user, methodId);
    const [replaced] = (await app.pending()).body.notifications;
    assert.notEqual(replaced.id, shown.id);
    // The replaced request is no longer the device's to answer.
    assert.equal((await app.answer(shown.id, 'approve', number)).status, 404);
    assert.equal((await app.answer(replaced.id, 'approve', again)).body.answer, 'approved');
    assert.ok((await mfa.verifyPending(user, { push: true }, CTX)).ok);
    // Answered: the device is free for another sign-in.
    assert.ok((await mfa.sendPendingCode(attacker, methodId, CTX)).ok);
  });

  it('two sends for different sign-ins racing: exactly one is sent, the other refused', async () => {
    const { mfa, clock } = pushMfa();
    const { app, methodId } = await registerPushApp(mfa, clock, 'alice');
    for (let round = 0; round < 10; round++) {
      const [user, attacker] = [await pendingSignIn(mfa, 'alice'), await pendingSignIn(mfa, 'alice')];
      const sends = await Promise.all([user, attacker].map((p) => mfa.sendPendingCode(p, methodId, CTX)));
      assert.equal(sends.filter((r) => r.ok).length, 1, `round ${round}`);
      // The one sent is the one the app shows; answered, the device is free for the next round.
      const [shown] = (await app.pending()).body.notifications;
      assert.equal((await app.answer(shown.id, 'deny')).body.answer, 'denied');
      clock.advance(301_000); // the per-user window (5 per 5 minutes) is not what this tests
    }
  });

  it('a double-clicked send whose first delivery fails later leaves the delivered one to approve', async () => {
    let release = () => {};
    const hanging = new Promise<void>((resolve) => {
      release = resolve;
    });
    let sends = 0;
    const { mfa, clock } = pushMfa({
      push: {
        delivery: {
          send: async () => {
            sends++;
            if (sends === 1) {
              await hanging;
              throw new Error('FCM: timeout');
            }
          },
        },
      },
    });
    const { app, methodId } = await registerPushApp(mfa, clock, 'alice');
    const pendingId = await pendingSignIn(mfa, 'alice');
    const first = mfa.sendPendingCode(pendingId, methodId, CTX);
    while (sends === 0) await new Promise((r) => setImmediate(r));
    const second = await mfa.sendPendingCode(pendingId, methodId, CTX);
    assert.ok(second.ok);
    release();
    assert.equal(!(await first).ok && 'delivery_failed', 'delivery_failed');
    const [shown] = (await app.pending()).body.notifications;
    assert.ok(shown, 'the delivered request is still there');
    assert.equal((await mfa.pendingPrompt(pendingId)).approval?.number, second.ok ? second.number : '');
    assert.equal((await app.approve(second.ok ? (second.number ?? '') : '')).body.answer, 'approved');
    assert.ok((await mfa.verifyPending(pendingId, { push: true }, CTX)).ok);
  });

  it('a send whose delivery failed leaves nothing to approve and costs no notification', async () => {
    let failing = true;
    const { mfa, clock } = pushMfa({
      push: {
        delivery: {
          send: async () => {
            if (failing) throw new Error('FCM: token not registered');
          },
        },
      },
    });
    const { app, methodId } = await registerPushApp(mfa, clock, 'alice');
    const pendingId = await pendingSignIn(mfa, 'alice');
    for (let i = 0; i < 8; i++) {
      const sent = await mfa.sendPendingCode(pendingId, methodId, CTX);
      assert.equal(!sent.ok && sent.error, 'delivery_failed');
    }
    assert.deepEqual((await app.pending()).body, { notifications: [] });
    assert.deepEqual(await mfa.verifyPending(pendingId, { push: true }, CTX), {
      ok: false,
      error: 'invalid_code',
    });
    failing = false;
    // None of the failed sends counted: all five of the window are left.
    for (let i = 0; i < 5; i++) await sendPush(mfa, pendingId, methodId);
  });

  it("an approval on one device completes the sign-in while another device's request still waits", async () => {
    const { mfa, clock } = pushMfa();
    const phone = await registerPushApp(mfa, clock, 'alice', { name: 'Phone' });
    const tablet = await registerPushApp(mfa, clock, 'alice', { name: 'Tablet' });
    const pendingId = await pendingSignIn(mfa, 'alice');
    await sendPush(mfa, pendingId, phone.methodId);
    const number = await sendPush(mfa, pendingId, tablet.methodId);
    assert.equal((await tablet.app.approve(number)).body.answer, 'approved');
    assert.ok((await mfa.verifyPending(pendingId, { push: true }, CTX)).ok);
  });

  it('a locked user pressing Continue is told they are locked, not to wait', async () => {
    const { mfa, clock } = pushMfa({ lockout: { maxAttempts: 3, lockSeconds: 900 } });
    const { methodId } = await registerPushApp(mfa, clock, 'alice');
    const pendingId = await pendingSignIn(mfa, 'alice');
    await sendPush(mfa, pendingId, methodId);
    for (let i = 0; i < 3; i++) await mfa.verifyPending(pendingId, { code: '000000' }, CTX);
    const locked = await mfa.verifyPending(pendingId, { push: true }, CTX);
    assert.equal(!locked.ok && locked.error, 'locked');
  });

  it('a denied request can still be reported as fraud', async () => {
    const { mfa, clock, stores, events } = pushMfa();
    const { app, methodId } = await registerPushApp(mfa, clock, 'alice');
    await sendPush(mfa, await pendingSignIn(mfa, 'alice'), methodId);
    const [request] = (await app.pending()).body.notifications;
    assert.equal((await app.answer(request.id, 'approve', '00')).body.answer, 'denied');
    assert.equal((await app.answer(request.id, 'fraud')).body.answer, 'fraud');
    assert.notEqual(await stores.repository.getFraudFlag('alice'), null);
    const reported = events.find((e) => e.type === 'push_answered' && e.detail === 'fraud');
    assert.deepEqual(reported && 'data' in reported ? reported.data : null, {
      reason: 'reported_after_denial',
    });
    // Reported once: a second report is refused.
    assert.equal((await app.answer(request.id, 'fraud')).status, 409);
  });

  it('a fraud report sets the flag before its audit row is written: the report stands whatever the audit does', async () => {
    const flagWhenAudited: Promise<number | null>[] = [];
    const { mfa, clock, stores } = pushMfa({
      audit: (e) => {
        if (e.type === 'push_answered' && e.detail === 'fraud')
          flagWhenAudited.push(stores.repository.getFraudFlag('alice'));
      },
    });
    const { app, methodId } = await registerPushApp(mfa, clock, 'alice');
    await sendPush(mfa, await pendingSignIn(mfa, 'alice'), methodId);
    const [request] = (await app.pending()).body.notifications;
    assert.equal((await app.answer(request.id, 'fraud')).body.answer, 'fraud');
    assert.equal(flagWhenAudited.length, 1);
    assert.notEqual(await flagWhenAudited[0], null);
  });

  it('an approval given by mistake can still be reported as fraud: it then signs nobody in', async () => {
    const { mfa, clock, stores } = pushMfa();
    const { app, methodId } = await registerPushApp(mfa, clock, 'alice');
    const attacker = await pendingSignIn(mfa, 'alice');
    const number = await sendPush(mfa, attacker, methodId);
    const [request] = (await app.pending()).body.notifications;
    assert.equal((await app.answer(request.id, 'approve', number)).body.answer, 'approved');
    assert.equal((await app.answer(request.id, 'fraud')).body.answer, 'fraud');
    assert.notEqual(await stores.repository.getFraudFlag('alice'), null);
    assert.equal((await mfa.verifyPending(attacker, { push: true }, CTX)).ok, false);
  });

  it('a refused Continue after such a report names the same reason the answer was audited with', async () => {
    const { mfa, clock, events } = pushMfa();
    const { app, methodId } = await registerPushApp(mfa, clock, 'alice');
    const attacker = await pendingSignIn(mfa, 'alice');
    const number = await sendPush(mfa, attacker, methodId);
    const [request] = (await app.pending()).body.notifications;
    await app.answer(request.id, 'approve', number);
    await app.answer(request.id, 'fraud');
    // An administrator clears the flag: the reported approval still signs nobody in.
    await mfa.admin.setFraudFlag('alice', false, CTX);
    assert.equal((await mfa.verifyPending(attacker, { push: true }, CTX)).ok, false);
    const answered = events.find((e) => e.type === 'push_answered' && e.detail === 'fraud');
    assert.deepEqual(answered && 'data' in answered ? answered.data : null, {
      reason: 'reported_after_approval',
    });
    const failed = events.findLast((e) => e.type === 'verify_failed');
    assert.equal(failed?.detail, 'push_reported_after_approval');
  });

  it('a device name is shown without control, bidirectional or zero-width characters', async () => {
    const { mfa, clock } = pushMfa();
    const { methodId } = await registerPushApp(mfa, clock, 'alice', {
      name: 'Pixel\u202e9 lenoh\u200bP\u0007',
    });
    const pendingId = await pendingSignIn(mfa, 'alice');
    const { senders } = await mfa.pendingPrompt(pendingId);
    assert.deepEqual(senders, [
      { methodId, kind: 'push', label: 'Send a notification to Pixel9 lenohP', approval: true },
    ]);
    const empty = await createPushApp(engineTransport(mfa), { now: () => clock.now(), name: '\u202e\u200b' });
    const draft = await mfa.enrollment.begin('push', 'bob', 'bob', undefined, CTX);
    assert.equal((await empty.activate(String(draft.fields.activationUri))).status, 400);
  });

  it("a draft id with a ':' never reaches another user's draft (user 'bob' asking for 'X:<draft of bob:X>')", async () => {
    const { mfa } = pushMfa();
    const draft = await mfa.enrollment.begin('push', 'bob:X', 'bob:X', undefined, CTX);
    assert.ok(await mfa.enrollment.resume('push', 'bob:X', draft.draftId, 'bob:X'));
    assert.equal(await mfa.enrollment.resume('push', 'bob', `X:${draft.draftId}`, 'bob'), null);
    const confirmed = await mfa.enrollment.confirm(
      'push',
      'bob',
      `X:${draft.draftId}`,
      { code: '123456' },
      '',
      CTX,
    );
    assert.equal(confirmed.ok, false);
  });

  it('under NODE_ENV=production a push method without a delivery is refused at start', () => {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const definition = pushMethod({ endpoint: PUSH_ENDPOINT });
      assert.throws(() => pushMfa({ methods: [definition] }), ConfigError);
    } finally {
      if (before === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = before;
    }
  });
});
