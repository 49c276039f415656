// Text message and phone call as an attacker would abuse them: blocking a stranger's codes by
// registering their number from accounts of one's own, toll fraud (premium and international
// shared ranges, many accounts from one address), codes sent to a locked account, and a
// deployment that forgot its SMS provider in production.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../../adapters/memory/index.ts';
import { ConfigError, createMfa, smsMethod, totp } from '../../../src/index.ts';
import { CTX, lastCode, pendingSignIn, phoneMfa, registerPhone } from '../../helpers/phone.ts';

const VICTIM = '+44 7700 900123';
const ATTACKER_IP = '198.51.100.7';

/** A fresh account of the attacker's own, password only: a pending sign-in that registers a first method. */
async function attackerAccount(mfa: ReturnType<typeof phoneMfa>['mfa'], userId: string, ip = ATTACKER_IP) {
  const started = await mfa.beginSignIn({ userId, amr: ['pwd'], ip, userAgent: 'x' });
  assert.ok(started.status === 'mfa' && started.pending.mustEnroll, started.status);
  return started.pending.id;
}

describe('text message and phone call: abuse', () => {
  it("attack: registrations of a stranger's number from other accounts never spend the holder's sign-in codes", async () => {
    const { mfa, outbox, clock } = phoneMfa();
    const victimMethod = await registerPhone(mfa, outbox, 'victim', 'sms', VICTIM);
    clock.advance(3_601_000);
    let refused = 0;
    for (const attacker of ['mallory1', 'mallory2', 'mallory3']) {
      const pendingId = await attackerAccount(mfa, attacker, `198.51.100.${attacker.length + refused}`);
      for (let i = 0; i < 5; i++) {
        try {
          await mfa.beginPendingEnrollment(pendingId, 'voice', attacker, undefined, { phoneNumber: VICTIM });
        } catch {
          refused++;
        }
      }
    }
    assert.equal(refused, 5, 'registration codes to one number are capped across accounts (10 an hour)');
    const sent = await mfa.sendPendingCode(await pendingSignIn(mfa, 'victim'), victimMethod, CTX);
    assert.ok(sent.ok, JSON.stringify(sent));
    assert.equal(outbox.last()?.channel, 'sms', 'the holder got their sign-in code');
  });

  it('attack: premium-rate and international shared ranges are refused at registration; allowedPrefixes keeps to its countries', async () => {
    const { mfa, outbox } = phoneMfa();
    for (const number of [
      '+979 123 456 789',
      '+882 1234 5678',
      '+883 5100 1234',
      '+881 6123 4567',
      '+870 7761 23456',
    ]) {
      const pendingId = await attackerAccount(mfa, `m${number.slice(1, 4)}`);
      await assert.rejects(
        mfa.beginPendingEnrollment(pendingId, 'sms', 'm', undefined, { phoneNumber: number }),
        (error: { code?: string; status?: number; message?: string }) =>
          error.code === 'phone_number_not_allowed' &&
          error.status === 400 &&
          /starting \+\d{3}/.test(error.message ?? ''),
      );
    }
    assert.equal(outbox.messages.length, 0, 'nothing sent');

    const onlyUk = phoneMfa({ phone: { allowedPrefixes: ['+44'] } });
    await assert.rejects(
      onlyUk.mfa.enrollment.begin('sms', 'carol', 'carol', { phoneNumber: '+1 202 555 0143' }, CTX),
      /only to numbers starting \+44/,
    );
    await registerPhone(onlyUk.mfa, onlyUk.outbox, 'carol', 'sms', VICTIM);
  });

  it('attack: one address spreading sends over many accounts and numbers is stopped at 20 an hour; another address is not', async () => {
    const { mfa, outbox, clock } = phoneMfa();
    const outcomes: string[] = [];
    for (let account = 0; account < 6; account++) {
      const pendingId = await attackerAccount(mfa, `pump${account}`);
      for (let i = 0; i < 4; i++) {
        const phoneNumber = `+44 7700 9${String(account).padStart(2, '0')}${String(i).padStart(3, '0')}`;
        try {
          await mfa.beginPendingEnrollment(pendingId, 'sms', `pump${account}`, undefined, { phoneNumber });
          outcomes.push('sent');
        } catch (error) {
          outcomes.push((error as { code?: string }).code ?? String(error));
        }
      }
    }
    assert.equal(outcomes.filter((o) => o === 'sent').length, 20);
    assert.deepEqual([...new Set(outcomes.slice(20))], ['slow_down']);
    assert.equal(outbox.messages.length, 20);
    // Another address is not held back; this one is again after its hour.
    await registerPhone(mfa, outbox, 'dana', 'sms', '+44 7700 900999');
    clock.advance(3_600_000);
    const pendingId = await attackerAccount(mfa, 'pump-later');
    await mfa.beginPendingEnrollment(pendingId, 'sms', 'pump-later', undefined, {
      phoneNumber: '+44 7700 900555',
    });
  });

  it("the address's send count is spent by codes only: registering an app or a passkey from that address is not held back", async () => {
    const { mfa, outbox, events } = phoneMfa({ phone: { perAddress: { max: 1, windowSeconds: 3600 } } });
    await registerPhone(mfa, outbox, 'erin', 'sms', VICTIM);
    await assert.rejects(
      mfa.enrollment.begin('sms', 'frank', 'frank', { phoneNumber: '+44 7700 900456' }, CTX),
      {
        code: 'slow_down',
      },
    );
    const app = await mfa.enrollment.begin('totp', 'frank', 'frank', undefined, CTX);
    assert.equal(app.kind, 'totp');
    assert.equal(events.filter((e) => e.type === 'code_send_refused').length, 1, 'only the text was refused');
  });

  it('attack: no code is sent to an account locked by wrong codes; audited once', async () => {
    const { mfa, outbox, events, clock } = phoneMfa();
    const methodId = await registerPhone(mfa, outbox, 'alice', 'sms', VICTIM);
    const pendingId = await pendingSignIn(mfa, 'alice');
    for (let i = 0; i < 5; i++) {
      assert.equal((await mfa.verifyPending(pendingId, { code: '000000' }, CTX)).ok, false);
      clock.advance(30_000); // past each back-off: five wrong codes in 15 minutes lock the account
    }
    assert.equal((await mfa.verifyPending(pendingId, { code: lastCode(outbox) }, CTX)).ok, false);
    const before = outbox.messages.length;
    for (let i = 0; i < 3; i++) {
      const sent = await mfa.sendPendingCode(pendingId, methodId, CTX);
      assert.ok(
        !sent.ok && sent.error === 'slow_down' && /Too many wrong codes/.test(sent.message),
        JSON.stringify(sent),
      );
      assert.ok(sent.retryAfterSeconds > 0);
    }
    assert.equal(outbox.messages.length, before, 'nothing sent while locked');
    const refusals = events.filter((e) => e.type === 'code_send_refused' && e.detail === 'locked');
    assert.equal(refusals.length, 1);
  });

  it('a deployment with text messages but no SMS provider is refused at start under NODE_ENV=production', () => {
    const was = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const options = {
        stores: createMemoryStores(),
        issuer: 'Bank',
        sealingKeys: [{ id: 'k', key: Buffer.alloc(32, 2) }],
        methods: [totp, smsMethod()],
      };
      assert.throws(
        () => createMfa(options),
        (error: unknown) => error instanceof ConfigError && /phone\.delivery/.test(error.message),
      );
      createMfa({ ...options, phone: { delivery: { send: async () => {} } } });
    } finally {
      if (was === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = was;
    }
  });
});
