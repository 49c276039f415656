// Push notifications with number matching through the engine, as a user and as an attacker
// would use them: registering an app (QR link, signed activation, confirmation code), signing in
// and stepping up by approving with the number the page shows, and every way an approval must
// not work — before the device answered, with the wrong number, denied, for another sign-in,
// replayed, raced, lapsed — on the memory and SQLite stores.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores } from '../../../adapters/sqlite/index.ts';
import type { Stores } from '../../../src/index.ts';
import { CTX, PUSH_ENDPOINT, pendingSignIn, pushMfa, registerPushApp, sendPush } from '../../helpers/push.ts';
import { createPushApp, engineTransport } from '../../helpers/push-app.ts';
import { testClock } from '../../helpers/test-clock.ts';

const suites: [string, (clock: ReturnType<typeof testClock>) => Stores | undefined][] = [
  ['memory', () => undefined],
  ['sqlite', (clock) => createSqliteStores({ path: join(dir, `push-${files++}.sqlite`), clock })],
];
let dir = '';
let files = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mfakit-push-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

for (const [name, storesFor] of suites) {
  describe(`push notifications (${name} stores)`, () => {
    const setup = (options: Parameters<typeof pushMfa>[0] = {}) => {
      const clock = testClock();
      const stores = storesFor(clock);
      return pushMfa({ clock, ...(stores ? { stores } : {}), ...options });
    };

    it('registers an app: QR link, activation signed by its new key, then the code it shows', async () => {
      const { mfa, clock, stores, events } = setup();
      const app = await createPushApp(engineTransport(mfa), {
        now: () => clock.now(),
        name: 'Pixel 9',
        pushToken: 'fcm-token-1',
      });
      const draft = await mfa.enrollment.begin('push', 'alice', 'alice@example.com', undefined, CTX);
      const link = new URL(String(draft.fields.activationUri));
      assert.equal(link.searchParams.get('endpoint'), PUSH_ENDPOINT);
      assert.equal(link.searchParams.get('service'), 'Test Co');
      assert.equal(link.searchParams.get('account'), 'alice@example.com');
      assert.match(String(draft.fields.qrSvg), /^<svg/);
      // Before the app activated, no code can confirm the draft.
      const early = await mfa.enrollment.confirm('push', 'alice', draft.draftId, { code: '123456' }, '', CTX);
      assert.equal(early.ok, false);
      const activated = await app.activate(String(draft.fields.activationUri));
      assert.equal(activated.status, 200);
      assert.match(activated.body.confirmationCode, /^\d{6}$/);
      assert.equal(activated.body.service, 'Test Co');
      // A second device that saw the same QR code is refused.
      const other = await createPushApp(engineTransport(mfa), { now: () => clock.now() });
      const second = await other.activate(String(draft.fields.activationUri));
      assert.equal(second.status, 409);
      assert.equal(second.body.error, 'already_activated');
      const done = await mfa.enrollment.confirm(
        'push',
        'alice',
        draft.draftId,
        { code: activated.body.confirmationCode },
        '',
        CTX,
      );
      assert.ok(done.ok);
      assert.equal(done.method.id, activated.body.deviceId);
      const [record] = await stores.repository.listMethods('alice');
      assert.equal(record?.kind, 'push');
      assert.equal(record?.label, 'Pixel 9');
      assert.deepEqual(record?.data.publicKey, {
        kty: 'EC',
        crv: 'P-256',
        x: app.publicJwk.x,
        y: app.publicJwk.y,
      });
      assert.ok(!JSON.stringify(record?.data).includes('fcm-token-1'), 'the push token is sealed');
      const [listed] = await mfa.methods.list('alice');
      assert.equal(listed?.description, 'Notifications to Pixel 9');
      assert.ok(events.some((e) => e.type === 'device_activated' && e.userId === 'alice'));
      assert.ok(events.some((e) => e.type === 'enrolled' && e.methodKind === 'push'));
    });

    it('signs in by approving with the number the page shows; waiting costs no attempt', async () => {
      const { mfa, clock, outbox, events } = setup();
      const { app, methodId } = await registerPushApp(mfa, clock, 'alice', { name: 'Pixel 9' });
      const pendingId = await pendingSignIn(mfa, 'alice');
      const { senders } = await mfa.pendingPrompt(pendingId);
      assert.deepEqual(senders, [
        { methodId, kind: 'push', label: 'Send a notification to Pixel 9', approval: true },
      ]);
      assert.equal(outbox.notifications.length, 0, 'nothing sent until asked');
      const number = await sendPush(mfa, pendingId, methodId);
      // The prompt again (a reload) offers the same number, until the device answers.
      assert.deepEqual((await mfa.pendingPrompt(pendingId)).approval?.number, number);
      const note = outbox.last(methodId);
      assert.equal(note?.title, 'Approve sign-in to Test Co?');
      // The number to match is never sent to the device: only the service and the transaction.
      assert.deepEqual(Object.keys(note ?? {}), ['to', 'transactionId', 'title', 'body']);
      assert.ok(!note?.title.includes(number) && !note?.body.includes(number));
      // Continue before the app answered: told to wait, with the number; no attempt counted.
      for (let i = 0; i < 8; i++) {
        const early = await mfa.verifyPending(pendingId, { push: true }, CTX);
        assert.equal(early.ok, false);
        assert.equal(!early.ok && early.error, 'approval_pending');
        assert.equal(!early.ok && early.error === 'approval_pending' && early.approval.number, number);
      }
      assert.equal((await mfa.admin.lockStatus('alice')).attempts, 0);
      // The app sees the request, but not the number: the user must type it.
      const waiting = await app.pending();
      assert.equal(waiting.status, 200);
      assert.equal(waiting.body.notifications.length, 1);
      assert.equal(waiting.body.notifications[0].id, note?.transactionId);
      assert.ok(!('number' in waiting.body.notifications[0]));
      const approved = await app.approve(number);
      assert.deepEqual(approved, { status: 200, body: { answer: 'approved' } });
      const done = await mfa.verifyPending(pendingId, { push: true }, CTX);
      assert.ok(done.ok, JSON.stringify(done));
      assert.deepEqual(done.stamp.amr, ['pwd', 'swk', 'mfa']);
      assert.deepEqual(done.stamp.methods, ['password', 'push']);
      assert.ok(
        events.some((e) => e.type === 'push_answered' && e.detail === 'approved' && e.methodId === methodId),
      );
      assert.ok(events.some((e) => e.type === 'verified' && e.methodKind === 'push'));
      // Answered: nothing waits for the app any more.
      assert.deepEqual((await app.pending()).body, { notifications: [] });
      assert.equal((await mfa.pendingPrompt(await pendingSignIn(mfa, 'alice'))).approval, undefined);
    });

    it('a wrong number is a denial: the request ends, and no second guess is taken', async () => {
      const { mfa, clock, events } = setup();
      const { app, methodId } = await registerPushApp(mfa, clock, 'alice');
      const pendingId = await pendingSignIn(mfa, 'alice');
      const number = await sendPush(mfa, pendingId, methodId);
      const wrong = number === '10' ? '11' : '10';
      const [notification] = (await app.pending()).body.notifications;
      const first = await app.answer(notification.id, 'approve', wrong);
      assert.equal(first.status, 200);
      assert.equal(first.body.answer, 'denied');
      const retry = await app.answer(notification.id, 'approve', number);
      assert.equal(retry.status, 409);
      assert.equal(retry.body.error, 'already_answered');
      const refused = await mfa.verifyPending(pendingId, { push: true }, CTX);
      assert.deepEqual(refused, { ok: false, error: 'invalid_code' });
      const answered = events.find((e) => e.type === 'push_answered');
      assert.deepEqual(answered && 'data' in answered ? [answered.detail, answered.data] : null, [
        'denied',
        { reason: 'number_mismatch' },
      ]);
      assert.ok(events.some((e) => e.type === 'verify_failed' && e.detail === 'push_number_mismatch'));
      // A fresh notification can still be approved.
      const again = await sendPush(mfa, pendingId, methodId);
      assert.equal((await app.approve(again)).body.answer, 'approved');
      assert.ok((await mfa.verifyPending(pendingId, { push: true }, CTX)).ok);
    });

    it('an approval signs in once: of 50 racing submissions one succeeds, and it never completes another sign-in', async () => {
      const { mfa, clock } = setup();
      const { app, methodId } = await registerPushApp(mfa, clock, 'alice');
      const victim = await pendingSignIn(mfa, 'alice');
      const attacker = await pendingSignIn(mfa, 'alice');
      const number = await sendPush(mfa, victim, methodId);
      await app.approve(number);
      // The attacker's sign-in was sent nothing: the victim's approval is not theirs.
      assert.deepEqual(await mfa.verifyPending(attacker, { push: true }, CTX), {
        ok: false,
        error: 'invalid_code',
      });
      // Step-up on a session: fifty submissions after one approval, one succeeds.
      const done = await mfa.verifyPending(victim, { push: true }, CTX);
      assert.ok(done.ok);
      const sent = await mfa.sendStepUpCode(done.stamp, methodId, CTX);
      assert.ok(sent.ok && sent.number);
      await app.approve(sent.ok ? (sent.number ?? '') : '');
      const results = await Promise.all(
        Array.from({ length: 50 }, () => mfa.stepUp(done.stamp, { push: true }, CTX)),
      );
      assert.equal(results.filter((r) => r.ok).length, 1);
      assert.equal((await mfa.stepUp(done.stamp, { push: true }, CTX)).ok, false);
    });

    it('a denial fails the sign-in; a fraud report flags the user, signs them out and pauses notifications', async () => {
      const { mfa, clock, events, stores } = setup();
      const { app, methodId } = await registerPushApp(mfa, clock, 'alice');
      const denied = await pendingSignIn(mfa, 'alice');
      await sendPush(mfa, denied, methodId);
      const [first] = (await app.pending()).body.notifications;
      assert.equal((await app.answer(first.id, 'deny')).body.answer, 'denied');
      assert.deepEqual(await mfa.verifyPending(denied, { push: true }, CTX), {
        ok: false,
        error: 'invalid_code',
      });
      assert.ok(events.some((e) => e.type === 'verify_failed' && e.detail === 'push_denied'));

      const reported = await pendingSignIn(mfa, 'alice');
      await sendPush(mfa, reported, methodId);
      const [second] = (await app.pending()).body.notifications;
      assert.equal((await app.answer(second.id, 'fraud')).body.answer, 'fraud');
      assert.notEqual(await stores.repository.getFraudFlag('alice'), null);
      assert.ok(events.some((e) => e.type === 'fraud_flag_changed' && e.detail === 'flagged'));
      assert.ok(events.some((e) => e.type === 'push_answered' && e.detail === 'fraud'));
      // The sign-in that was reported is void, and no notification is sent until the flag is cleared.
      assert.equal((await mfa.verifyPending(reported, { push: true }, CTX)).ok, false);
      const later = await pendingSignIn(mfa, 'alice');
      const blocked = await mfa.sendPendingCode(later, methodId, CTX);
      assert.equal(!blocked.ok && blocked.error, 'send_blocked');
      assert.match(!blocked.ok && blocked.error === 'send_blocked' ? blocked.message : '', /fraud/);
      assert.ok(events.some((e) => e.type === 'code_send_refused' && e.detail === 'blocked'));
      await mfa.admin.setFraudFlag('alice', false, CTX);
      assert.ok((await mfa.sendPendingCode(await pendingSignIn(mfa, 'alice'), methodId, CTX)).ok);
    });

    it('a notification lapses: the app no longer sees it, and it can no longer be approved', async () => {
      const { mfa, clock } = setup();
      const { app, methodId } = await registerPushApp(mfa, clock, 'alice');
      const pendingId = await pendingSignIn(mfa, 'alice');
      const number = await sendPush(mfa, pendingId, methodId);
      const [notification] = (await app.pending()).body.notifications;
      clock.advance(121_000);
      assert.deepEqual((await app.pending()).body, { notifications: [] });
      const late = await app.answer(notification.id, 'approve', number);
      assert.equal(late.status, 404);
      assert.equal((await mfa.verifyPending(pendingId, { push: true }, CTX)).ok, false);
    });

    it('at most 5 notifications per user in 5 minutes (push fatigue)', async () => {
      const { mfa, clock } = setup();
      const { methodId } = await registerPushApp(mfa, clock, 'alice');
      const pendingId = await pendingSignIn(mfa, 'alice');
      for (let i = 0; i < 5; i++) await sendPush(mfa, pendingId, methodId);
      const sixth = await mfa.sendPendingCode(pendingId, methodId, CTX);
      assert.equal(sixth.ok, false);
      assert.equal(!sixth.ok && sixth.error, 'slow_down');
      clock.advance(301_000);
      assert.ok((await mfa.sendPendingCode(await pendingSignIn(mfa, 'alice'), methodId, CTX)).ok);
    });
  });
}
