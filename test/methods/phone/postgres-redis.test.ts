// Text message across processes on PostgreSQL and Redis: two engines over the same stores (two
// processes of one deployment). A code sent by one verifies through the other, fifty racing
// submissions split between them succeed once, and the send limit holds across both.
import assert from 'node:assert/strict';
import { outboxDelivery } from '../../../src/index.ts';
import { CTX, lastCode, pendingSignIn, phoneMfa, registerPhone } from '../../helpers/phone.ts';
import { useScaledStores } from '../../helpers/scaled-stores.ts';
import { testClock } from '../../helpers/test-clock.ts';

describe('text message on PostgreSQL and Redis, two processes', function () {
  this.timeout(60_000);
  const scaledStores = useScaledStores();

  it('a code sent by one verifies once across both; the send limit is shared', async () => {
    const clock = testClock();
    const shortLived = await scaledStores(clock);
    const outbox = outboxDelivery({ print: false });
    const stores = shortLived;
    const [one, two] = [0, 1].map(() => phoneMfa({ clock, stores, phone: { delivery: outbox } }).mfa);
    if (!one || !two) throw new Error('unreachable');
    const methodId = await registerPhone(one, outbox, 'alice', 'sms', '+44 7700 900123');
    const pendingId = await pendingSignIn(one, 'alice');
    assert.ok((await two.sendPendingCode(pendingId, methodId, CTX)).ok);
    const signedIn = await one.verifyPending(pendingId, { code: lastCode(outbox) }, CTX);
    assert.ok(signedIn.ok);

    assert.ok((await one.sendStepUpCode(signedIn.stamp, methodId, CTX)).ok);
    const code = lastCode(outbox);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? one : two).stepUp(signedIn.stamp, { code }, CTX)),
    );
    assert.equal(results.filter((r) => r.ok).length, 1);

    // Three sends so far (registration, sign-in, step-up): two more, from either process, then 429.
    const next = await pendingSignIn(two, 'alice');
    const sends = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).sendPendingCode(next, methodId, CTX)),
    );
    assert.equal(sends.filter((s) => s.ok).length, 2);
    assert.ok(sends.filter((s) => !s.ok).every((s) => !s.ok && s.error === 'slow_down'));
    assert.equal(outbox.messages.length, 5);
  });
});
