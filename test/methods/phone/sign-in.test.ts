// Text message and phone call through the engine, as a user and as an attacker would use them:
// registering a number (the code read from the outbox), signing in and stepping up with a code
// sent on demand, and every way a code must not work — replayed, raced, from another sign-in,
// expired, replaced, after its method was removed — on the memory and the SQLite stores.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores } from '../../../adapters/sqlite/index.ts';
import type { AuthStamp, Stores } from '../../../src/index.ts';
import { CTX, lastCode, pendingSignIn, phoneMfa, registerPhone } from '../../helpers/phone.ts';
import { testClock } from '../../helpers/test-clock.ts';

const NUMBER = '+44 7700 900123';
const E164 = '+447700900123';

const suites: [string, (clock: ReturnType<typeof testClock>) => Stores | undefined][] = [
  ['memory', () => undefined],
  ['sqlite', (clock) => createSqliteStores({ path: join(dir, `phone-${files++}.sqlite`), clock })],
];
let dir = '';
let files = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mfakit-phone-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

for (const [name, storesFor] of suites) {
  describe(`text message and phone call (${name} stores)`, () => {
    const setup = (options: Parameters<typeof phoneMfa>[0] = {}) => {
      const clock = testClock();
      const stores = storesFor(clock);
      return phoneMfa({ clock, ...(stores ? { stores } : {}), ...options });
    };

    it('registers a number by the code sent to it, keeps it sealed and shows it masked', async () => {
      const { mfa, outbox, stores } = setup();
      const draft = await mfa.enrollment.begin('sms', 'alice', 'alice', { phoneNumber: NUMBER }, CTX);
      assert.deepEqual(draft.fields, { channel: 'sms', to: '+•• ••• ••23' });
      assert.equal(outbox.messages.length, 1);
      assert.equal(outbox.messages[0]?.to, E164);
      assert.equal(outbox.messages[0]?.channel, 'sms');
      assert.equal(
        outbox.messages[0]?.text,
        `${outbox.messages[0]?.code} is your Test Co verification code.`,
      );
      const wrong = await mfa.enrollment.confirm('sms', 'alice', draft.draftId, { code: '000000' }, '', CTX);
      assert.equal(wrong.ok, outbox.messages[0]?.code === '000000');
      const done = await mfa.enrollment.confirm(
        'sms',
        'alice',
        draft.draftId,
        { code: lastCode(outbox) },
        'My phone',
        CTX,
      );
      assert.ok(done.ok);
      const [record] = await stores.repository.listMethods('alice');
      assert.equal(record?.kind, 'sms');
      assert.ok(!JSON.stringify(record?.data).includes('7700900123'), 'the number is sealed');
      const [listed] = await mfa.methods.list('alice');
      assert.equal(listed?.description, 'Text message to +•• ••• ••23');
      assert.ok(!JSON.stringify(listed).includes('7700900123'), 'never the full number');
      // The same code cannot confirm the draft again.
      const again = await mfa.enrollment.confirm(
        'sms',
        'alice',
        draft.draftId,
        { code: lastCode(outbox) },
        '',
        CTX,
      );
      assert.equal(again.ok, false);
    });

    it('signs in with a text message sent on demand, never on the prompt itself', async () => {
      const { mfa, outbox, events } = setup();
      const methodId = await registerPhone(mfa, outbox, 'alice', 'sms', NUMBER);
      const pendingId = await pendingSignIn(mfa, 'alice');
      const before = outbox.messages.length;
      const { senders } = await mfa.pendingPrompt(pendingId);
      assert.deepEqual(senders, [{ methodId, kind: 'sms', label: 'Text a code to +•• ••• ••23' }]);
      await mfa.beginPendingChallenges(pendingId);
      assert.equal(outbox.messages.length, before, 'nothing sent until asked');
      const sent = await mfa.sendPendingCode(pendingId, methodId, CTX);
      assert.ok(sent.ok);
      assert.equal(sent.to, '+•• ••• ••23');
      const sentEvent = events.find((e) => e.type === 'code_sent' && e.methodId === methodId);
      assert.deepEqual(sentEvent && 'data' in sentEvent ? sentEvent.data : null, {
        channel: 'sms',
        to: '+•• ••• ••23',
      });
      assert.ok(!JSON.stringify(events).includes(lastCode(outbox)), 'no code in the audit');
      const done = await mfa.verifyPending(pendingId, { code: lastCode(outbox) }, CTX);
      assert.ok(done.ok);
      assert.deepEqual(done.stamp.amr, ['pwd', 'sms', 'mfa']);
      assert.deepEqual(done.stamp.methods, ['password', 'sms']);
    });

    it('signs in with a phone call: amr tel', async () => {
      const { mfa, outbox } = setup();
      const methodId = await registerPhone(mfa, outbox, 'bob', 'voice', '+1 (202) 555-0147');
      assert.equal(outbox.messages[0]?.channel, 'voice');
      const pendingId = await pendingSignIn(mfa, 'bob');
      const sent = await mfa.sendPendingCode(pendingId, methodId, CTX);
      assert.ok(sent.ok);
      const message = outbox.last();
      assert.equal(message?.to, '+12025550147');
      assert.equal(message?.channel, 'voice');
      assert.ok(message?.text.includes(message.code.split('').join(' ')), 'the code is read digit by digit');
      const done = await mfa.verifyPending(pendingId, { code: message?.code ?? '' }, CTX);
      assert.ok(done.ok);
      assert.deepEqual(done.stamp.amr, ['pwd', 'tel', 'mfa']);
    });

    it('a code works once: a replay fails, and of 50 racing submissions exactly one succeeds', async () => {
      const { mfa, outbox } = setup();
      const methodId = await registerPhone(mfa, outbox, 'alice', 'sms', NUMBER);
      const pendingId = await pendingSignIn(mfa, 'alice');
      assert.ok((await mfa.sendPendingCode(pendingId, methodId, CTX)).ok);
      const signedIn = await mfa.verifyPending(pendingId, { code: lastCode(outbox) }, CTX);
      assert.ok(signedIn.ok);
      const stamp: AuthStamp = signedIn.stamp;
      const sent = await mfa.sendStepUpCode(stamp, methodId, CTX);
      assert.ok(sent.ok);
      const code = lastCode(outbox);
      const results = await Promise.all(Array.from({ length: 50 }, () => mfa.stepUp(stamp, { code }, CTX)));
      assert.equal(results.filter((r) => r.ok).length, 1);
      const replay = await mfa.stepUp(stamp, { code }, CTX);
      assert.equal(replay.ok, false);
    });

    it('a code sent for one sign-in never verifies another', async () => {
      const { mfa, outbox } = setup();
      const methodId = await registerPhone(mfa, outbox, 'alice', 'sms', NUMBER);
      const first = await pendingSignIn(mfa, 'alice');
      const second = await pendingSignIn(mfa, 'alice');
      assert.ok((await mfa.sendPendingCode(first, methodId, CTX)).ok);
      const stolen = await mfa.verifyPending(second, { code: lastCode(outbox) }, CTX);
      assert.deepEqual(stolen, { ok: false, error: 'invalid_code' });
      assert.ok((await mfa.verifyPending(first, { code: lastCode(outbox) }, CTX)).ok);
    });

    it('a code expires after its lifetime, and a newer send replaces the older code', async () => {
      // The sign-in outlasts the code (10 minutes against 5).
      const { mfa, outbox, clock } = setup({ pendingTtlSeconds: 600 });
      const methodId = await registerPhone(mfa, outbox, 'alice', 'sms', NUMBER);
      const pendingId = await pendingSignIn(mfa, 'alice');
      assert.ok((await mfa.sendPendingCode(pendingId, methodId, CTX)).ok);
      const older = lastCode(outbox);
      assert.ok((await mfa.sendPendingCode(pendingId, methodId, CTX)).ok);
      const newer = lastCode(outbox);
      if (older !== newer)
        assert.deepEqual(await mfa.verifyPending(pendingId, { code: older }, CTX), {
          ok: false,
          error: 'invalid_code',
        });
      clock.advance(5 * 60_000);
      assert.deepEqual(await mfa.verifyPending(pendingId, { code: newer }, CTX), {
        ok: false,
        error: 'invalid_code',
      });
    });

    it('a code sent before the method was removed no longer works', async () => {
      const { mfa, outbox } = setup();
      const methodId = await registerPhone(mfa, outbox, 'alice', 'sms', NUMBER);
      await registerPhone(mfa, outbox, 'alice', 'voice', '+44 7700 900999');
      const pendingId = await pendingSignIn(mfa, 'alice');
      assert.ok((await mfa.sendPendingCode(pendingId, methodId, CTX)).ok);
      const code = lastCode(outbox);
      assert.ok(await mfa.methods.remove('alice', methodId, CTX));
      assert.deepEqual(await mfa.verifyPending(pendingId, { code }, CTX), {
        ok: false,
        error: 'invalid_code',
      });
    });

    it("refuses to send for another user's method", async () => {
      const { mfa, outbox, events } = setup();
      const bobsMethod = await registerPhone(mfa, outbox, 'bob', 'sms', '+44 7700 900456');
      await registerPhone(mfa, outbox, 'alice', 'sms', NUMBER);
      const pendingId = await pendingSignIn(mfa, 'alice');
      const sent = outbox.messages.length;
      assert.deepEqual(await mfa.sendPendingCode(pendingId, bobsMethod, CTX), {
        ok: false,
        error: 'unknown_method',
      });
      assert.equal(outbox.messages.length, sent);
      assert.ok(events.some((e) => e.type === 'code_send_refused' && e.detail === 'unknown_method'));
    });
  });
}
