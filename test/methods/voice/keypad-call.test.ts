// Phone calls answered on the keypad, through the engine, as a user and as an attacker would use
// them: the call placed on demand says no number; the page's number typed on the keypad approves
// and Continue signs in once; a wrong number, keys for another sign-in's call, a lapsed or replaced
// call, a removed phone, junk keys and raced answers approve nothing; 0 reports fraud — on the
// memory and SQLite stores.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores } from '../../../adapters/sqlite/index.ts';
import { type Mfa, type Outbox, outboxDelivery, type Stores } from '../../../src/index.ts';
import { CTX, keypadMfa, pendingSignIn, registerPhone } from '../../helpers/phone.ts';
import { testClock } from '../../helpers/test-clock.ts';

const NUMBER = '+44 7700 900123';
const E164 = '+447700900123';
const MASKED = '+•• ••• ••23';

const suites: [string, (clock: ReturnType<typeof testClock>) => Stores | undefined][] = [
  ['memory', () => undefined],
  ['sqlite', (clock) => createSqliteStores({ path: join(dir, `keypad-${files++}.sqlite`), clock })],
];
let dir = '';
let files = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mfakit-keypad-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Presses the prompt's Call button for `methodId`: the number the page shows and the call placed. */
async function call(mfa: Mfa, outbox: Outbox, pendingId: string, methodId: string) {
  const sent = await mfa.sendPendingCode(pendingId, methodId, CTX);
  assert.ok(sent.ok, JSON.stringify(sent));
  assert.equal(sent.channel, 'voice');
  assert.match(sent.number ?? '', /^[1-9]\d$/);
  const placed = outbox.lastCall(E164);
  assert.ok(placed, 'a call was placed');
  return { number: sent.number ?? '', callId: placed.callId, placed };
}

const other = (number: string) => (number === '10' ? '11' : '10');

for (const [name, storesFor] of suites) {
  describe(`phone calls answered on the keypad (${name} stores)`, () => {
    const setup = (voice: Parameters<typeof keypadMfa>[0] = {}, phone = {}) => {
      const clock = testClock();
      const stores = storesFor(clock);
      return keypadMfa(voice, { clock, ...(stores ? { stores } : {}), phone });
    };
    const registered = async (s: ReturnType<typeof setup>, userId = 'alice') =>
      registerPhone(s.mfa, s.outbox, userId, 'voice', NUMBER);

    it('signs in by typing the page’s number on the keypad; the call never says it; waiting costs no attempt', async () => {
      const s = setup({}, { callerId: '+44 20 7946 0000' });
      const { mfa, outbox, events } = s;
      const methodId = await registered(s);
      const pendingId = await pendingSignIn(mfa, 'alice');
      const { senders } = await mfa.pendingPrompt(pendingId);
      assert.deepEqual(senders, [{ methodId, kind: 'voice', label: `Call ${MASKED}`, approval: true }]);
      assert.equal(outbox.calls.length, 0, 'nothing placed until asked');
      const { number, callId, placed } = await call(mfa, outbox, pendingId, methodId);
      assert.equal(placed.from, '+442079460000', 'from the caller ID');
      assert.equal(placed.maxDigits, 2);
      assert.match(placed.greeting, /This is Test Co/);
      assert.match(placed.prompt, /two-digit number shown on your sign-in screen/);
      assert.ok(!JSON.stringify(placed).includes(`"${number}"`) && !placed.prompt.includes(number));
      assert.match(callId, /^[A-Za-z0-9_-]{16,64}$/);
      // A reload of the prompt shows the same number, for a call.
      const shown = (await mfa.pendingPrompt(pendingId)).approval;
      assert.equal(shown?.number, number);
      assert.equal(shown?.channel, 'voice');
      assert.equal(shown?.to, MASKED);
      for (let i = 0; i < 6; i++) {
        const early = await mfa.verifyPending(pendingId, { push: true }, CTX);
        assert.equal(!early.ok && early.error, 'approval_pending');
      }
      assert.equal((await mfa.admin.lockStatus('alice')).attempts, 0);
      const answered = await mfa.phoneCalls.keypad({ callId, keys: `${number}#` }, { ip: '198.51.100.7' });
      assert.deepEqual(answered, {
        outcome: 'approved',
        say: 'Thank you. Your sign-in is approved. Goodbye.',
      });
      const done = await mfa.verifyPending(pendingId, { push: true }, CTX);
      assert.ok(done.ok, JSON.stringify(done));
      assert.deepEqual(done.stamp.amr, ['pwd', 'tel', 'mfa']);
      assert.deepEqual(done.stamp.methods, ['password', 'voice']);
      assert.ok(
        events.some((e) => e.type === 'call_answered' && e.detail === 'approved' && e.methodId === methodId),
      );
      // The call is spent: its keys again change nothing, and the next sign-in has no approval.
      const again = await mfa.phoneCalls.keypad({ callId, keys: number }, CTX);
      assert.equal(again.outcome, 'ended');
      assert.equal((await mfa.pendingPrompt(await pendingSignIn(mfa, 'alice'))).approval, undefined);
    });

    it('a wrong number denies the call: no second guess, and Continue counts a failed attempt', async () => {
      const s = setup();
      const methodId = await registered(s);
      const pendingId = await pendingSignIn(s.mfa, 'alice');
      const { number, callId } = await call(s.mfa, s.outbox, pendingId, methodId);
      const wrong = await s.mfa.phoneCalls.keypad({ callId, keys: other(number) }, CTX);
      assert.equal(wrong.outcome, 'denied');
      assert.match(wrong.say, /did not match/);
      const retry = await s.mfa.phoneCalls.keypad({ callId, keys: number }, CTX);
      assert.equal(retry.outcome, 'ended');
      const refused = await s.mfa.verifyPending(pendingId, { push: true }, CTX);
      assert.equal(!refused.ok && refused.error, 'invalid_code');
      assert.equal((await s.mfa.admin.lockStatus('alice')).consecutiveFailures, 1);
      assert.ok(
        s.events.some(
          (e) =>
            e.type === 'call_answered' &&
            e.detail === 'denied' &&
            JSON.stringify(e.data) === '{"reason":"number_mismatch"}',
        ),
      );
      assert.ok(s.events.some((e) => e.type === 'verify_failed' && e.detail === 'call_number_mismatch'));
    });

    it('0 reports fraud: the user is flagged and signed out, Continue fails, and no more calls are placed', async () => {
      const s = setup();
      const methodId = await registered(s);
      // Alice signed in earlier (a recovery code): that session is current until the report.
      const [recovery] = await s.mfa.recoveryCodes.regenerate('alice', CTX);
      const earlier = await s.mfa.verifyPending(
        await pendingSignIn(s.mfa, 'alice'),
        { code: recovery ?? '' },
        CTX,
      );
      assert.ok(earlier.ok, JSON.stringify(earlier));
      assert.equal(await s.mfa.isCurrent(earlier.stamp), true);
      s.clock.advance(60_000);
      const pendingId = await pendingSignIn(s.mfa, 'alice');
      const { callId } = await call(s.mfa, s.outbox, pendingId, methodId);
      const reported = await s.mfa.phoneCalls.keypad({ callId, keys: '0#' }, CTX);
      assert.equal(reported.outcome, 'fraud');
      assert.match(reported.say, /blocked and reported/);
      assert.ok(s.events.some((e) => e.type === 'fraud_flag_changed' && e.detail === 'flagged'));
      assert.notEqual(await s.stores.repository.getFraudFlag('alice'), null, 'flagged');
      assert.equal(await s.mfa.isCurrent(earlier.stamp), false, 'signed out');
      const refused = await s.mfa.verifyPending(pendingId, { push: true }, CTX);
      assert.equal(!refused.ok && refused.error, 'invalid_code');
      assert.ok(s.events.some((e) => e.type === 'verify_failed' && e.detail === 'call_fraud'));
      const next = await s.mfa.sendPendingCode(await pendingSignIn(s.mfa, 'alice'), methodId, CTX);
      assert.equal(!next.ok && next.error, 'send_blocked');
      assert.equal(s.outbox.calls.length, 1, 'no call after the report');
    });

    it('fraud reported after an approval spends it: it signs nobody in', async () => {
      const s = setup();
      const methodId = await registered(s);
      const pendingId = await pendingSignIn(s.mfa, 'alice');
      const { number, callId } = await call(s.mfa, s.outbox, pendingId, methodId);
      assert.equal((await s.mfa.phoneCalls.keypad({ callId, keys: number }, CTX)).outcome, 'approved');
      // The phone asks again (a provider that gathers twice); the user now says it was not them.
      assert.equal((await s.mfa.phoneCalls.keypad({ callId, keys: '0' }, CTX)).outcome, 'fraud');
      const refused = await s.mfa.verifyPending(pendingId, { push: true }, CTX);
      assert.equal(refused.ok, false);
    });

    it('0 on a call replaced by a newer one, or lapsed, still reports fraud: the user was called', async () => {
      for (const how of ['replaced', 'lapsed'] as const) {
        const s = setup({ lifetimeSeconds: 60 });
        const methodId = await registered(s);
        const pendingId = await pendingSignIn(s.mfa, 'alice');
        const first = await call(s.mfa, s.outbox, pendingId, methodId);
        // The caller presses Call again while the user listens, or the user takes their time.
        const second = how === 'replaced' ? await call(s.mfa, s.outbox, pendingId, methodId) : null;
        s.clock.advance(how === 'lapsed' ? 10 * 60_000 : 5_000);
        const reported = await s.mfa.phoneCalls.keypad({ callId: first.callId, keys: '0#' }, CTX);
        assert.equal(reported.outcome, 'fraud', how);
        assert.ok(s.events.some((e) => e.type === 'fraud_flag_changed' && e.detail === 'flagged'));
        assert.ok(
          s.events.some(
            (e) =>
              e.type === 'call_answered' &&
              e.detail === 'fraud' &&
              JSON.stringify(e.data) ===
                `{"reason":"reported_after_${how === 'replaced' ? 'replacement' : 'lapse'}"}`,
          ),
        );
        // Once: the report is not counted twice, and the newer call approves nothing now.
        assert.equal(
          (await s.mfa.phoneCalls.keypad({ callId: first.callId, keys: '0' }, CTX)).outcome,
          'ended',
        );
        if (second) {
          await s.mfa.phoneCalls.keypad({ callId: second.callId, keys: second.number }, CTX);
          assert.equal((await s.mfa.verifyPending(pendingId, { push: true }, CTX)).ok, false);
        }
      }
    });

    it('an approval signs in once: of 50 racing submissions one succeeds; of racing answers one lands', async () => {
      const s = setup();
      const methodId = await registered(s);
      const pendingId = await pendingSignIn(s.mfa, 'alice');
      const { number, callId } = await call(s.mfa, s.outbox, pendingId, methodId);
      // A provider retrying its webhook, many times at once: one answer is recorded.
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => s.mfa.phoneCalls.keypad({ callId, keys: number }, CTX)),
      );
      assert.equal(answers.filter((a) => a.outcome === 'approved').length, 1);
      assert.equal(answers.filter((a) => a.outcome === 'ended').length, 19);
      const results = await Promise.all(
        Array.from({ length: 50 }, () => s.mfa.verifyPending(pendingId, { push: true }, CTX)),
      );
      assert.equal(results.filter((r) => r.ok).length, 1);
    });

    it('an approval and a denial racing: only one lands', async () => {
      const s = setup();
      const methodId = await registered(s);
      const pendingId = await pendingSignIn(s.mfa, 'alice');
      const { number, callId } = await call(s.mfa, s.outbox, pendingId, methodId);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          s.mfa.phoneCalls.keypad({ callId, keys: i % 2 === 0 ? number : other(number) }, CTX),
        ),
      );
      const landed = answers.filter((a) => a.outcome !== 'ended');
      assert.equal(landed.length, 1);
      const verified = await s.mfa.verifyPending(pendingId, { push: true }, CTX);
      assert.equal(verified.ok, landed[0]?.outcome === 'approved');
    });

    it('keys for one sign-in’s call never approve another, and a second sign-in cannot call while one waits', async () => {
      const s = setup();
      const methodId = await registered(s);
      const mine = await pendingSignIn(s.mfa, 'alice');
      const theirs = await pendingSignIn(s.mfa, 'alice');
      const { number, callId } = await call(s.mfa, s.outbox, mine, methodId);
      // The attacker's sign-in (they hold the password) cannot ring the phone over the user's call.
      const busy = await s.mfa.sendPendingCode(theirs, methodId, CTX);
      assert.equal(!busy.ok && busy.error, 'slow_down');
      assert.equal(s.outbox.calls.length, 1);
      assert.equal((await s.mfa.phoneCalls.keypad({ callId, keys: number }, CTX)).outcome, 'approved');
      const stolen = await s.mfa.verifyPending(theirs, { push: true }, CTX);
      assert.equal(stolen.ok, false);
      assert.ok((await s.mfa.verifyPending(mine, { push: true }, CTX)).ok);
    });

    it('a lapsed call, a replaced call and a removed phone take no keys', async () => {
      const s = setup({ lifetimeSeconds: 60 });
      const methodId = await registered(s);
      const pendingId = await pendingSignIn(s.mfa, 'alice');
      const first = await call(s.mfa, s.outbox, pendingId, methodId);
      assert.equal(first.placed.expiresAt, s.clock.now() + 60_000);
      // Calling again for the same sign-in replaces the first call.
      const second = await call(s.mfa, s.outbox, pendingId, methodId);
      assert.notEqual(second.callId, first.callId);
      assert.equal(
        (await s.mfa.phoneCalls.keypad({ callId: first.callId, keys: first.number }, CTX)).outcome,
        'ended',
      );
      s.clock.advance(61_000);
      assert.equal(
        (await s.mfa.phoneCalls.keypad({ callId: second.callId, keys: second.number }, CTX)).outcome,
        'ended',
      );
      assert.equal((await s.mfa.verifyPending(pendingId, { push: true }, CTX)).ok, false);
      const later = await pendingSignIn(s.mfa, 'alice');
      const third = await call(s.mfa, s.outbox, later, methodId);
      await s.mfa.methods.remove('alice', methodId, CTX);
      assert.equal(
        (await s.mfa.phoneCalls.keypad({ callId: third.callId, keys: third.number }, CTX)).outcome,
        'ended',
      );
      assert.ok(s.events.some((e) => e.type === 'call_keys_refused' && e.detail === 'call_replaced'));
    });

    it('a call is reported once: 0 again (live, then lapsed) flags nobody again after an administrator cleared it', async () => {
      const s = setup({ lifetimeSeconds: 60 });
      const methodId = await registered(s);
      const { callId } = await call(s.mfa, s.outbox, await pendingSignIn(s.mfa, 'alice'), methodId);
      assert.equal((await s.mfa.phoneCalls.keypad({ callId, keys: '0' }, CTX)).outcome, 'fraud');
      await s.mfa.admin.setFraudFlag('alice', false, CTX);
      assert.equal((await s.mfa.phoneCalls.keypad({ callId, keys: '0' }, CTX)).outcome, 'ended');
      s.clock.advance(5 * 60_000);
      assert.equal((await s.mfa.phoneCalls.keypad({ callId, keys: '0#' }, CTX)).outcome, 'ended');
      assert.equal(
        s.events.filter((e) => e.type === 'fraud_flag_changed' && e.detail === 'flagged').length,
        1,
      );
    });

    it('0 on a live call whose phone was just removed is still a report; a call that never rang is none', async () => {
      const s = setup();
      const methodId = await registered(s);
      const { callId } = await call(s.mfa, s.outbox, await pendingSignIn(s.mfa, 'alice'), methodId);
      await s.mfa.methods.remove('alice', methodId, CTX);
      assert.equal((await s.mfa.phoneCalls.keypad({ callId, keys: '0' }, CTX)).outcome, 'fraud');

      const attempted: string[] = [];
      const outbox = outboxDelivery({ print: false });
      const down = setup(
        {},
        {
          delivery: {
            send: (m: Parameters<Outbox['send']>[0]) => outbox.send(m),
            call: async (c: Parameters<Outbox['call']>[0]) => {
              attempted.push(c.callId);
              throw new Error('provider down');
            },
          },
        },
      );
      const phone = await registerPhone(down.mfa, outbox, 'alice', 'voice', NUMBER);
      const failed = await down.mfa.sendPendingCode(await pendingSignIn(down.mfa, 'alice'), phone, CTX);
      assert.equal(!failed.ok && failed.error, 'delivery_failed');
      assert.equal(attempted.length, 1);
      assert.equal(
        (await down.mfa.phoneCalls.keypad({ callId: attempted[0], keys: '0' }, CTX)).outcome,
        'ended',
      );
      assert.ok(!down.events.some((e) => e.type === 'fraud_flag_changed'));
    });

    it('0 on a call placed longer ago than the report window is nobody’s report', async () => {
      const s = setup({ lifetimeSeconds: 60 });
      const methodId = await registered(s);
      const { callId } = await call(s.mfa, s.outbox, await pendingSignIn(s.mfa, 'alice'), methodId);
      s.clock.advance(16 * 60_000);
      assert.equal((await s.mfa.phoneCalls.keypad({ callId, keys: '0' }, CTX)).outcome, 'ended');
      assert.ok(!s.events.some((e) => e.type === 'fraud_flag_changed'));
    });

    it('junk from a webhook is "ended", never a throw, and is audited once a minute', async () => {
      const s = setup();
      const methodId = await registered(s);
      const { callId } = await call(s.mfa, s.outbox, await pendingSignIn(s.mfa, 'alice'), methodId);
      for (const nothing of [
        null,
        undefined,
        [] as unknown as { callId: unknown },
        Object.create({ callId, keys: '12' }),
      ])
        assert.equal((await s.mfa.phoneCalls.keypad(nothing, CTX)).outcome, 'ended');
      const junk: { callId: unknown; keys: unknown }[] = [
        { callId: undefined, keys: '12' },
        { callId, keys: undefined },
        { callId: 42, keys: '12' },
        { callId: { $gt: '' }, keys: '12' },
        { callId, keys: 'ab' },
        { callId, keys: '1'.repeat(17) },
        { callId, keys: '1\n2' },
        { callId: 'x'.repeat(10_000), keys: '12' },
        { callId: 'nosuchcallnosuchcall', keys: '12' },
      ];
      for (const input of junk) {
        const answer = await s.mfa.phoneCalls.keypad(input, CTX);
        assert.deepEqual(answer, { outcome: 'ended', say: 'This sign-in request has ended. Goodbye.' });
      }
      const refusals = s.events.filter((e) => e.type === 'call_keys_refused');
      assert.deepEqual(refusals.map((e) => e.detail).sort(), ['call_unknown', 'keys_malformed']);
      // None of it answered the real call.
      const prompt = await s.mfa.pendingPrompt(await pendingSignIn(s.mfa, 'alice'));
      assert.equal(prompt.approval, undefined);
    });

    it('a provider that cannot place the call: 503, the call costs nothing and another can be placed', async () => {
      let fail = true;
      const outbox = outboxDelivery({ print: false });
      const delivery = {
        send: (m: Parameters<Outbox['send']>[0]) => outbox.send(m),
        call: async (c: Parameters<Outbox['call']>[0]) => {
          if (fail) throw new Error('provider down');
          await outbox.call(c);
        },
      };
      const s = setup({}, { delivery });
      const methodId = await registerPhone(s.mfa, outbox, 'alice', 'voice', NUMBER);
      const pendingId = await pendingSignIn(s.mfa, 'alice');
      // More failures than any send limit: none of them is counted.
      for (let i = 0; i < 12; i++) {
        const down = await s.mfa.sendPendingCode(pendingId, methodId, CTX);
        assert.equal(!down.ok && down.error, 'delivery_failed');
      }
      assert.ok(s.events.some((e) => e.type === 'code_send_failed'));
      fail = false;
      const sent = await s.mfa.sendPendingCode(pendingId, methodId, CTX);
      assert.ok(sent.ok, 'failed calls spent none of the limits and left no call waiting');
      assert.equal(outbox.calls.length, 1);
    });

    it('calls count in the phone send limits: over them, 429 naming calls (no code is sent)', async () => {
      const s = setup();
      const methodId = await registered(s);
      const pendingId = await pendingSignIn(s.mfa, 'alice');
      // The registration's code call was the first of five per user.
      for (let i = 0; i < 4; i++) await call(s.mfa, s.outbox, pendingId, methodId);
      const placed = s.outbox.calls.length;
      assert.deepEqual(await s.mfa.sendPendingCode(pendingId, methodId, CTX), {
        ok: false,
        error: 'slow_down',
        retryAfterSeconds: 300,
        message: 'Too many sign-in calls were placed to this phone. Wait 300 seconds and try again.',
      });
      assert.equal(s.outbox.calls.length, placed, 'no call placed');
    });

    it('steps up a session with a keypad call', async () => {
      const s = setup();
      const methodId = await registered(s);
      const pendingId = await pendingSignIn(s.mfa, 'alice');
      const first = await call(s.mfa, s.outbox, pendingId, methodId);
      await s.mfa.phoneCalls.keypad({ callId: first.callId, keys: first.number }, CTX);
      const signedIn = await s.mfa.verifyPending(pendingId, { push: true }, CTX);
      assert.ok(signedIn.ok);
      s.clock.advance(3_600_000);
      const sent = await s.mfa.sendStepUpCode(signedIn.stamp, methodId, CTX);
      assert.ok(sent.ok && sent.number !== undefined);
      const placed = s.outbox.lastCall(E164);
      assert.ok(placed);
      await s.mfa.phoneCalls.keypad({ callId: placed.callId, keys: sent.number }, CTX);
      const stepped = await s.mfa.stepUp(signedIn.stamp, { push: true }, CTX);
      assert.ok(stepped.ok, JSON.stringify(stepped));
    });
  });
}
