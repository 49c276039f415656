// Push notifications across processes on PostgreSQL and Redis: two engines over the same stores
// (two processes of one deployment). A device registered through one is answered by the other;
// a notification sent by one is approved through the other's device API and completes the
// sign-in once, whichever process fifty racing submissions reach; a device request replayed to
// the other process is refused (its `jti` is spent in the shared store); the per-user
// notification limit holds across both, and so does one waiting request per device.
import assert from 'node:assert/strict';
import { CTX, pendingSignIn, pushMfa, registerPushApp, sendPush } from '../../helpers/push.ts';
import { engineTransport } from '../../helpers/push-app.ts';
import { useScaledStores } from '../../helpers/scaled-stores.ts';
import { testClock } from '../../helpers/test-clock.ts';

describe('push notifications on PostgreSQL and Redis, two processes', function () {
  this.timeout(60_000);
  const scaledStores = useScaledStores();

  it('an approval through one process signs in once across both; replays and the limit are shared', async () => {
    const clock = testClock();
    const stores = await scaledStores(clock);
    const [one, two] = [0, 1].map(() => pushMfa({ clock, stores }).mfa);
    if (!one || !two) throw new Error('unreachable');
    // Registered through process one (the app talks to one's device API).
    const { app, methodId } = await registerPushApp(one, clock, 'alice');
    const pendingId = await pendingSignIn(two, 'alice');
    const number = await sendPush(two, pendingId, methodId);
    // The app's answer reaches process two; a copy replayed to process one is refused.
    const [notification] = (await app.pending()).body.notifications;
    const request = await app.sign({ act: 'answer', tx: notification.id, answer: 'approve', number });
    assert.equal((await engineTransport(two)('answer', { request })).status, 200);
    assert.equal((await engineTransport(one)('answer', { request })).status, 401);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? one : two).verifyPending(pendingId, { push: true }, CTX)),
    );
    assert.equal(results.filter((r) => r.ok).length, 1);

    // One notification so far: four more, from either process (each replacing the last), then 429.
    const next = await pendingSignIn(one, 'alice');
    for (let i = 0; i < 4; i++)
      assert.ok((await (i % 2 ? one : two).sendPendingCode(next, methodId, CTX)).ok);
    const fifth = await one.sendPendingCode(next, methodId, CTX);
    assert.equal(!fifth.ok && fifth.error, 'slow_down');

    // Two sign-ins sending at once through both processes: one request reaches the app.
    clock.advance(301_000);
    const [a, b] = [await pendingSignIn(one, 'alice'), await pendingSignIn(two, 'alice')];
    const racing = await Promise.all([
      one.sendPendingCode(a, methodId, CTX),
      two.sendPendingCode(b, methodId, CTX),
    ]);
    assert.equal(racing.filter((r) => r.ok).length, 1, JSON.stringify(racing));
  });
});
