// PIN mode for keypad calls, as a user and as someone holding the user's phone would try it: the
// PIN chosen at registration (a missing, malformed or guessable one refused), sealed in the
// record; PIN then number approves; a wrong PIN denies and counts against the phone until it is
// called no more, whatever else signs in; the right PIN with a wrong number counts nothing; a
// phone registered before PIN mode is called no more.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../../adapters/memory/index.ts';
import { type Mfa, MfaError, type Outbox } from '../../../src/index.ts';
import { CTX, keypadMfa, lastCode, pendingSignIn, registerPhone } from '../../helpers/phone.ts';
import { testClock } from '../../helpers/test-clock.ts';

const NUMBER = '+44 7700 900123';
const E164 = '+447700900123';
const PIN = '4071';

async function call(mfa: Mfa, outbox: Outbox, pendingId: string, methodId: string) {
  const sent = await mfa.sendPendingCode(pendingId, methodId, CTX);
  assert.ok(sent.ok && sent.number !== undefined, JSON.stringify(sent));
  const placed = outbox.lastCall(E164);
  assert.ok(placed);
  return { number: sent.number, callId: placed.callId, placed };
}

describe('keypad calls in PIN mode', () => {
  it('registers a phone with a PIN, sealed; PIN then number signs in, with amr pin', async () => {
    const { mfa, outbox, stores } = keypadMfa({ pin: true });
    const draft = await mfa.enrollment.begin(
      'voice',
      'alice',
      'alice',
      { phoneNumber: NUMBER, pin: PIN },
      CTX,
    );
    const confirmed = await mfa.enrollment.confirm(
      'voice',
      'alice',
      draft.draftId,
      { code: lastCode(outbox) },
      '',
      CTX,
    );
    assert.ok(confirmed.ok);
    const [record] = await stores.repository.listMethods('alice');
    assert.equal(typeof record?.data.sealedPin, 'string');
    assert.ok(!JSON.stringify(record?.data).includes(PIN), 'the PIN is sealed');
    assert.ok(!JSON.stringify(await mfa.methods.list('alice')).includes(PIN));
    const pendingId = await pendingSignIn(mfa, 'alice');
    const { number, callId, placed } = await call(mfa, outbox, pendingId, confirmed.method.id);
    assert.equal(placed.maxDigits, 10);
    assert.match(placed.prompt, /enter your PIN, then the two-digit number/);
    const answered = await mfa.phoneCalls.keypad({ callId, keys: `${PIN}${number}#` }, CTX);
    assert.equal(answered.outcome, 'approved');
    const done = await mfa.verifyPending(pendingId, { push: true }, CTX);
    assert.ok(done.ok);
    assert.deepEqual(done.stamp.amr, ['pwd', 'tel', 'pin', 'mfa']);
  });

  it('refuses a missing, malformed or guessable PIN before calling anyone', async () => {
    const { mfa, outbox } = keypadMfa({ pin: true });
    const refused = async (pin: string | undefined, code: string) => {
      const fields: Record<string, string> =
        pin === undefined ? { phoneNumber: NUMBER } : { phoneNumber: NUMBER, pin };
      await assert.rejects(
        mfa.enrollment.begin('voice', 'alice', 'alice', fields, CTX),
        (err: unknown) => err instanceof MfaError && err.status === 400 && err.code === code,
      );
    };
    await refused('12a4', 'invalid_pin');
    await refused('123', 'invalid_pin');
    await refused('123456789', 'invalid_pin');
    await refused('', 'invalid_pin');
    for (const weak of ['0000', '1234', '4321', '98765', '7890', '2109', '55555555'])
      await refused(weak, 'weak_pin');
    assert.equal(outbox.messages.length, 0, 'no call for a refused registration');
    await refused(undefined, 'fields_required');
    assert.equal(outbox.messages.length, 0, 'no call without a PIN');
  });

  it('wrong PINs count against the phone: after pinAttempts in a row it is called no more, whatever else signs in', async () => {
    const { mfa, outbox, clock, events, stores } = keypadMfa({ pin: true, pinAttempts: 3 });
    const methodId = await registerPhone(mfa, outbox, 'alice', 'voice', NUMBER, { pin: PIN });
    const guess = async (keysFor: (number: string) => string) => {
      clock.advance(301_000); // past the send limits' window
      const pendingId = await pendingSignIn(mfa, 'alice');
      const { number, callId } = await call(mfa, outbox, pendingId, methodId);
      const answered = await mfa.phoneCalls.keypad({ callId, keys: keysFor(number) }, CTX);
      return { answered, pendingId };
    };
    // Two wrong PINs, then the right one: the count starts again.
    for (const wrong of ['9034', '8125'])
      assert.equal((await guess((n) => `${wrong}${n}`)).answered.outcome, 'denied');
    const right = await guess((n) => `${PIN}${n}`);
    assert.equal(right.answered.outcome, 'approved');
    assert.ok((await mfa.verifyPending(right.pendingId, { push: true }, CTX)).ok);
    // Keys too short to hold a PIN (a lone #, the number alone) deny but try no PIN.
    for (const short of [() => '#', (n: string) => n, (n: string) => `12${n}`])
      assert.equal((await guess(short)).answered.outcome, 'denied');
    // Three wrong PINs in a row, none followed through with Continue: the phone is blocked.
    for (const wrong of ['9034', '8125', '6402'])
      assert.equal((await guess((n) => `${wrong}${n}`)).answered.outcome, 'denied');
    assert.equal(
      events.filter(
        (e) => e.type === 'call_answered' && JSON.stringify(e.data) === '{"reason":"pin_mismatch"}',
      ).length,
      5,
    );
    assert.equal((await mfa.admin.lockStatus('alice')).consecutiveFailures, 0, 'no Continue was pressed');
    // A sign-in by another method (a recovery code) does not unblock it: the count is the phone's own.
    const [recovery] = await mfa.recoveryCodes.regenerate('alice', CTX);
    const byRecovery = await mfa.verifyPending(
      await pendingSignIn(mfa, 'alice'),
      { code: recovery ?? '' },
      CTX,
    );
    assert.ok(byRecovery.ok, JSON.stringify(byRecovery));
    clock.advance(301_000);
    const blocked = await mfa.sendPendingCode(await pendingSignIn(mfa, 'alice'), methodId, CTX);
    assert.equal(!blocked.ok && blocked.error, 'send_blocked');
    assert.match(
      !blocked.ok && blocked.error === 'send_blocked' ? blocked.message : '',
      /Too many wrong PINs/,
    );
    // Registered again (a new PIN), the phone is called again.
    assert.ok(await mfa.methods.remove('alice', methodId, CTX));
    assert.equal(
      await stores.repository.getCounter(`call-pin-failures:alice:${methodId}`),
      null,
      'removed with it',
    );
    const again = await registerPhone(mfa, outbox, 'alice', 'voice', NUMBER, { pin: '2580' });
    const sent = await mfa.sendPendingCode(await pendingSignIn(mfa, 'alice'), again, CTX);
    assert.ok(sent.ok);
  });

  it('the right PIN with a wrong number is still no approval', async () => {
    const { mfa, outbox, events, stores } = keypadMfa({ pin: true });
    const methodId = await registerPhone(mfa, outbox, 'alice', 'voice', NUMBER, { pin: PIN });
    const pendingId = await pendingSignIn(mfa, 'alice');
    const { number, callId } = await call(mfa, outbox, pendingId, methodId);
    const wrongNumber = number === '10' ? '11' : '10';
    assert.equal(
      (await mfa.phoneCalls.keypad({ callId, keys: `${PIN}${wrongNumber}` }, CTX)).outcome,
      'denied',
    );
    assert.equal(
      (await mfa.admin.lockStatus('alice')).consecutiveFailures,
      0,
      'only a wrong PIN counts at once',
    );
    assert.equal(
      await stores.repository.getCounter(`call-pin-failures:alice:${methodId}`),
      null,
      'the right PIN counts nothing against the phone',
    );
    assert.deepEqual(
      events.filter((e) => e.type === 'call_answered').map((e) => [e.detail, e.data]),
      [['denied', { reason: 'number_mismatch' }]],
    );
    const refused = await mfa.verifyPending(pendingId, { push: true }, CTX);
    assert.equal(!refused.ok && refused.error, 'invalid_code');
  });

  it('a phone registered before PIN mode is called no more: register it again to set a PIN', async () => {
    const clock = testClock();
    const stores = createMemoryStores({ clock });
    const before = keypadMfa({}, { clock, stores });
    const methodId = await registerPhone(before.mfa, before.outbox, 'alice', 'voice', NUMBER);
    const after = keypadMfa({ pin: true }, { clock, stores });
    const refused = await after.mfa.sendPendingCode(await pendingSignIn(after.mfa, 'alice'), methodId, CTX);
    assert.equal(!refused.ok && refused.error, 'send_blocked');
    assert.match(!refused.ok && refused.error === 'send_blocked' ? refused.message : '', /need a PIN/);
    assert.equal(after.outbox.calls.length, 0);
  });
});
