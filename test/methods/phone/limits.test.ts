// What stops abuse of text messages and phone calls: malformed and oversized numbers (a clear
// 400, nothing sent), the send limits per user and per number (429 slow_down with the wait,
// refusals audited once a minute), a provider that fails (503, audited, nothing counted), the
// policies (a send is refused where the code would be; `otpOrBetter` is never met by a text),
// and the options' bounds.
import assert from 'node:assert/strict';
import { ConfigError, MfaError, SlowDownError } from '../../../src/index.ts';
import { codeFor } from '../../helpers/app.ts';
import { CTX, lastCode, pendingSignIn, phoneMfa, registerPhone } from '../../helpers/phone.ts';

const NUMBER = '+44 7700 900123';

const otpOrBetterEverywhere = {
  policies: [
    {
      id: 'otp-or-better',
      name: 'An app or better',
      state: 'on',
      assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
      grant: { controls: [{ authenticationStrength: 'otpOrBetter' }] },
    },
  ],
};

describe('text message and phone call: limits and refusals', () => {
  it('refuses a malformed or oversized number with a clear 400 and sends nothing', async () => {
    const { mfa, outbox } = phoneMfa();
    for (const phoneNumber of [
      '',
      '07700 900123',
      '+0 7700 900123',
      '+44 77',
      '+1234567890123456',
      '+44 7700 9001a3',
      '+44\u00007700900123',
      `+44 ${'7'.repeat(40)}`,
      '+44 7700 900123; drop table',
    ]) {
      await assert.rejects(
        mfa.enrollment.begin('sms', 'alice', 'alice', { phoneNumber }, CTX),
        (err: unknown) =>
          err instanceof MfaError && err.status === 400 && err.code === 'invalid_phone_number',
        `refused: ${JSON.stringify(phoneNumber)}`,
      );
    }
    await assert.rejects(mfa.enrollment.begin('sms', 'alice', 'alice', {}, CTX), /phoneNumber is required/);
    assert.equal(outbox.messages.length, 0);
    // Spaces, dashes, dots and parentheses are only punctuation.
    await mfa.enrollment.begin('voice', 'alice', 'alice', { phoneNumber: ' +1 (202) 555.0147 ' }, CTX);
    assert.equal(outbox.last()?.to, '+12025550147');
  });

  it('sends at most 5 codes per user in 5 minutes: then 429 slow_down, audited once a minute', async () => {
    const { mfa, outbox, events, clock } = phoneMfa({ pendingTtlSeconds: 900 });
    const methodId = await registerPhone(mfa, outbox, 'alice', 'sms', NUMBER);
    const pendingId = await pendingSignIn(mfa, 'alice');
    // The registration's message was the first of five.
    for (let i = 0; i < 4; i++) assert.ok((await mfa.sendPendingCode(pendingId, methodId, CTX)).ok);
    const sent = outbox.messages.length;
    const refused = await mfa.sendPendingCode(pendingId, methodId, CTX);
    assert.deepEqual(refused, {
      ok: false,
      error: 'slow_down',
      retryAfterSeconds: 300,
      message: 'Too many codes were sent. Wait 300 seconds and try again.',
    });
    for (let i = 0; i < 5; i++) await mfa.sendPendingCode(pendingId, methodId, CTX);
    assert.equal(outbox.messages.length, sent, 'nothing more sent');
    const refusals = () => events.filter((e) => e.type === 'code_send_refused' && e.detail === 'slow_down');
    assert.equal(refusals().length, 1, 'audited once in the minute');
    clock.advance(61_000);
    await mfa.sendPendingCode(pendingId, methodId, CTX);
    assert.equal(refusals().length, 2);
    const second = refusals()[1];
    assert.deepEqual(second?.type === 'code_send_refused' ? second.data : null, { unreported: 5 });
    // The window passes: a code again, and it works.
    clock.advance(300_000);
    assert.ok((await mfa.sendPendingCode(pendingId, methodId, CTX)).ok);
    assert.ok((await mfa.verifyPending(pendingId, { code: lastCode(outbox) }, CTX)).ok);
  });

  it('bounds the codes sent to one number, whoever asks (registration included)', async () => {
    const { mfa, outbox } = phoneMfa({ phone: { perNumber: { max: 2, windowSeconds: 3600 } } });
    await registerPhone(mfa, outbox, 'alice', 'sms', NUMBER);
    await registerPhone(mfa, outbox, 'bob', 'voice', NUMBER);
    await assert.rejects(
      mfa.enrollment.begin('sms', 'carol', 'carol', { phoneNumber: NUMBER }, CTX),
      (err: unknown) => err instanceof SlowDownError && err.status === 429 && err.retryAfterSeconds === 3600,
    );
    assert.equal(outbox.messages.length, 2);
    // Another number is not held up.
    await registerPhone(mfa, outbox, 'carol', 'sms', '+44 7700 900555');
  });

  it('a provider that fails: 503 delivery_failed, audited, the send not counted and the older code kept', async () => {
    let failing = false;
    const { mfa, outbox, events } = phoneMfa({
      phone: {
        delivery: {
          async send(message) {
            if (failing) throw new Error('provider down');
            await outbox.send(message);
          },
        },
      },
    });
    const methodId = await registerPhone(mfa, outbox, 'alice', 'sms', NUMBER);
    const pendingId = await pendingSignIn(mfa, 'alice');
    assert.ok((await mfa.sendPendingCode(pendingId, methodId, CTX)).ok);
    const code = lastCode(outbox);
    failing = true;
    for (let i = 0; i < 6; i++)
      assert.deepEqual(await mfa.sendPendingCode(pendingId, methodId, CTX), {
        ok: false,
        error: 'delivery_failed',
      });
    assert.ok(events.some((e) => e.type === 'code_send_failed' && e.methodId === methodId));
    await assert.rejects(
      mfa.enrollment.begin('sms', 'bob', 'bob', { phoneNumber: NUMBER }, CTX),
      (err: unknown) => err instanceof MfaError && err.status === 503 && err.code === 'delivery_failed',
    );
    failing = false;
    assert.ok((await mfa.verifyPending(pendingId, { code }, CTX)).ok, 'the code sent before still works');
    // Seven failures cost nothing: two sends so far, three more are allowed.
    const next = await pendingSignIn(mfa, 'alice');
    for (let i = 0; i < 3; i++) assert.ok((await mfa.sendPendingCode(next, methodId, CTX)).ok);
    assert.equal((await mfa.sendPendingCode(next, methodId, CTX)).ok, false);
  });

  it('under otpOrBetter a text is not offered, cannot be sent and does not complete a sign-in', async () => {
    const { mfa, outbox, clock } = phoneMfa({ policies: otpOrBetterEverywhere });
    const draft = await mfa.enrollment.begin('totp', 'alice', 'alice');
    const app = await mfa.enrollment.confirm(
      'totp',
      'alice',
      draft.draftId,
      { code: codeFor(String(draft.fields.secret), clock) },
      '',
      CTX,
    );
    assert.ok(app.ok);
    const smsId = await registerPhone(mfa, outbox, 'alice', 'sms', NUMBER);
    const pendingId = await pendingSignIn(mfa, 'alice');
    assert.deepEqual((await mfa.pendingPrompt(pendingId)).senders, []);
    const sent = outbox.messages.length;
    assert.deepEqual(await mfa.sendPendingCode(pendingId, smsId, CTX), {
      ok: false,
      error: 'unknown_method',
    });
    assert.equal(outbox.messages.length, sent);

    // Bob has only a phone: the text proves it is him (interrupt mode), then he must register a
    // stronger method; the text alone never completes his sign-in.
    const bobs = await registerPhone(mfa, outbox, 'bob', 'sms', '+44 7700 900456');
    const started = await mfa.beginSignIn({ userId: 'bob', amr: ['pwd'], ip: CTX.ip });
    assert.equal(started.status, 'mfa');
    if (started.status !== 'mfa') return;
    assert.equal(started.decision.step, 'register_method');
    assert.ok((await mfa.sendPendingCode(started.pending.id, bobs, CTX)).ok);
    assert.deepEqual(await mfa.verifyPending(started.pending.id, { code: lastCode(outbox) }, CTX), {
      ok: false,
      error: 'must_enroll',
    });
    assert.deepEqual(
      (await mfa.pendingEnrollmentKinds(started.pending.id)).map((m) => m.kind),
      ['totp'],
      'only a method that meets otpOrBetter may be registered',
    );
  });

  it('validates the phone options at start-up', () => {
    for (const phone of [
      { codeLifetimeSeconds: 601 },
      { codeLifetimeSeconds: 30 },
      { delivery: {} },
      { senderName: 'Acme\nClick http://evil' },
      { perUser: { max: 0 } },
    ])
      assert.throws(() => phoneMfa({ phone: phone as never }), ConfigError, JSON.stringify(phone));
  });

  it('names the service as configured, and says nothing else', async () => {
    const { mfa, outbox } = phoneMfa({ phone: { senderName: 'Acme Payroll' } });
    await mfa.enrollment.begin('sms', 'alice', 'alice', { phoneNumber: NUMBER }, CTX);
    const message = outbox.last();
    assert.equal(message?.text, `${message?.code} is your Acme Payroll verification code.`);
  });
});
