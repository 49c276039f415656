// The number text messages and calls come from (`phone.callerId`, handed to the provider as
// `from`) and their wording (`phone.messages`): every send carries the caller ID, registration
// and sign-in, text and call; templates fill in the code (read digit by digit in a call) and the
// service's name; without either option nothing changes; and every template a deployment could
// get wrong — or an attacker could slip into its configuration (a link, a control character, a
// placeholder that is not one) — stops the start with a ConfigError naming the path.
import assert from 'node:assert/strict';
import { ConfigError, outboxDelivery, totp } from '../../../src/index.ts';
import { messageText } from '../../../src/methods/phone/sender.ts';
import { CTX, lastCode, pendingSignIn, phoneMfa, registerPhone } from '../../helpers/phone.ts';
import { testClock } from '../../helpers/test-clock.ts';
import { createTestMfa } from '../../helpers/test-mfa.ts';

const NUMBER = '+44 7700 900123';
const CALLER = '+44 20 7946 0958';
const CALLER_E164 = '+442079460958';

/** Sends one code to each of alice's text-message and call phones for a sign-in, then a step-up. */
async function everySend(options: Parameters<typeof phoneMfa>[0]) {
  const { mfa, outbox } = phoneMfa(options);
  const sms = await registerPhone(mfa, outbox, 'alice', 'sms', NUMBER);
  const voice = await registerPhone(mfa, outbox, 'alice', 'voice', '+1 (202) 555-0147');
  const pendingId = await pendingSignIn(mfa, 'alice');
  assert.ok((await mfa.sendPendingCode(pendingId, sms, CTX)).ok);
  assert.ok((await mfa.sendPendingCode(pendingId, voice, CTX)).ok);
  const signedIn = await mfa.verifyPending(pendingId, { code: lastCode(outbox) }, CTX);
  assert.ok(signedIn.ok);
  assert.ok((await mfa.sendStepUpCode(signedIn.stamp, sms, CTX)).ok);
  assert.deepEqual(
    outbox.messages.map((m) => m.channel),
    ['sms', 'voice', 'sms', 'voice', 'sms'],
    'registration ×2, sign-in ×2, step-up',
  );
  return outbox.messages;
}

describe('text message and phone call: caller ID and wording', () => {
  it('sends every text and call from phone.callerId, as E.164', async () => {
    const messages = await everySend({ phone: { callerId: CALLER } });
    for (const message of messages) assert.equal(message.from, CALLER_E164, message.channel);
  });

  it('without phone.callerId, no `from` at all: the provider uses its own number', async () => {
    const messages = await everySend({});
    for (const message of messages) assert.ok(!('from' in message), message.channel);
  });

  it('the development outbox prints the caller ID, and prints as before without one', async () => {
    const printed: string[] = [];
    const log = console.log;
    console.log = (line: string) => printed.push(line);
    try {
      const outbox = outboxDelivery();
      await outbox.send({ channel: 'voice', to: '+12025550147', from: CALLER_E164, text: 'hi', code: '1' });
      await outbox.send({ channel: 'sms', to: '+447700900123', text: 'hello', code: '2' });
      assert.equal(outbox.last('+12025550147')?.from, CALLER_E164, 'kept');
    } finally {
      console.log = log;
    }
    assert.deepEqual(printed, [
      'mfakit outbox (voice from +442079460958 to +12025550147): hi',
      'mfakit outbox (sms to +447700900123): hello',
    ]);
  });

  it('fills a text template with the code and the sender name, and the code signs in', async () => {
    const { mfa, outbox } = phoneMfa({
      phone: {
        senderName: 'Acme Payroll',
        messages: { sms: '{service}: {code} is your code. {service} never asks for it.' },
      },
    });
    const methodId = await registerPhone(mfa, outbox, 'alice', 'sms', NUMBER);
    const pendingId = await pendingSignIn(mfa, 'alice');
    assert.ok((await mfa.sendPendingCode(pendingId, methodId, CTX)).ok);
    const message = outbox.last();
    assert.equal(
      message?.text,
      `Acme Payroll: ${message?.code} is your code. Acme Payroll never asks for it.`,
    );
    assert.ok((await mfa.verifyPending(pendingId, { code: lastCode(outbox) }, CTX)).ok);
  });

  it('fills a call template with the code read digit by digit, the issuer as the service', async () => {
    const { mfa, outbox } = phoneMfa({
      phone: { messages: { call: 'Hello from {service}. Your code: {code}.' } },
    });
    await mfa.enrollment.begin('voice', 'alice', 'alice', { phoneNumber: NUMBER }, CTX);
    const message = outbox.last();
    const spoken = message?.code.split('').join(' ');
    assert.match(spoken ?? '', /^\d \d \d \d \d \d$/);
    assert.equal(message?.text, `Hello from Test Co. Your code: ${spoken}.`);
    // Only the call was given: a text keeps the built-in words.
    await mfa.enrollment.begin('sms', 'bob', 'bob', { phoneNumber: '+44 7700 900456' }, CTX);
    assert.equal(outbox.last()?.text, `${outbox.last()?.code} is your Test Co verification code.`);
  });

  it('says exactly what it said before when no template is given', async () => {
    assert.equal(messageText('sms', 'Acme', '123456'), '123456 is your Acme verification code.');
    assert.equal(
      messageText('voice', 'Acme', '123456'),
      'This is Acme. Your verification code is 1 2 3 4 5 6. Again, your code is 1 2 3 4 5 6.',
    );
    // A name that looks like a placeholder or a replacement pattern is written as it is.
    assert.equal(
      messageText('sms', "Acme {code} $& $' Co", '123456'),
      "123456 is your Acme {code} $& $' Co verification code.",
    );
    const { mfa, outbox } = phoneMfa({});
    await mfa.enrollment.begin('voice', 'alice', 'alice', { phoneNumber: NUMBER }, CTX);
    const { code, text } = outbox.last() ?? { code: '', text: '' };
    const spoken = code.split('').join(' ');
    assert.equal(
      text,
      `This is Test Co. Your verification code is ${spoken}. Again, your code is ${spoken}.`,
    );
  });

  it('bounds a filled-in text at 140 characters and a call at 500, counting the service name', () => {
    // "123456 Test Co " is 15 characters: 125 more make 140.
    const text = (n: number) => `{code} {service} ${'x'.repeat(n)}`;
    assert.doesNotThrow(() => phoneMfa({ phone: { messages: { sms: text(125) } } }));
    assert.throws(
      () => phoneMfa({ phone: { messages: { sms: text(126) } } }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.includes('phone.messages.sms: 141 characters') &&
        err.message.includes('at most 140'),
    );
    // The same template fits with the sender name "A" and not with the issuer "Test Co".
    assert.doesNotThrow(() => phoneMfa({ phone: { senderName: 'A', messages: { sms: text(131) } } }));
    assert.throws(
      () => phoneMfa({ phone: { messages: { sms: text(131) } } }),
      /phone\.messages\.sms: 146 characters/,
    );
    // A call's code is read as "1 2 3 4 5 6" (11 characters): 489 more make 500.
    const call = (n: number) => `{code} ${'x'.repeat(n)}`;
    assert.doesNotThrow(() => phoneMfa({ phone: { messages: { call: call(488) } } }));
    assert.throws(
      () => phoneMfa({ phone: { messages: { call: call(489) } } }),
      /phone\.messages\.call: 501 characters/,
    );
  });

  it('refuses a caller ID or a template it cannot use, naming the path and what is wrong', () => {
    const refused: [unknown, RegExp][] = [
      [{ callerId: '020 7946 0958' }, /phone\.callerId: a phone number in E\.164/],
      [{ callerId: 'tel:+442079460958' }, /phone\.callerId: a phone number in E\.164/],
      [{ callerId: '+44 20 7946 0958 ext 12' }, /phone\.callerId/],
      [{ callerId: `+44 ${'7'.repeat(40)}` }, /phone\.callerId/],
      [{ callerId: '' }, /phone\.callerId/],
      [{ messages: { sms: 'Your Acme code is here.' } }, /phone\.messages\.sms: must contain \{code\}/],
      [{ messages: { call: 'This is {service}.' } }, /phone\.messages\.call: must contain \{code\}/],
      [{ messages: { sms: '' } }, /phone\.messages\.sms: must contain \{code\}/],
      [{ messages: { sms: '{code} for {user}' } }, /phone\.messages\.sms: unknown placeholder \{user\}/],
      [{ messages: { call: '{code} {Code}' } }, /phone\.messages\.call: unknown placeholder \{Code\}/],
      [{ messages: { sms: '{code} {}' } }, /phone\.messages\.sms: unknown placeholder \{\}/],
      [
        { messages: { sms: '{code} {service' } },
        /phone\.messages\.sms: a brace that opens or closes no placeholder/,
      ],
      [
        { messages: { sms: '{co{code}de}' } },
        /phone\.messages\.sms: a brace that opens or closes no placeholder/,
      ],
      [{ messages: { sms: '{code} at https://acme.example' } }, /phone\.messages\.sms: no links/],
      [{ messages: { sms: '{code} at HTTP://acme.example' } }, /phone\.messages\.sms: no links/],
      [{ messages: { sms: '{code} see WWW.acme.example' } }, /phone\.messages\.sms: no links/],
      [{ messages: { call: 'Go to www.acme.example, {code}' } }, /phone\.messages\.call: no links/],
      [
        { messages: { sms: '{code}\nClick below' } },
        /phone\.messages\.sms: no control or invisible characters/,
      ],
      [{ messages: { sms: '{code}\tis yours' } }, /phone\.messages\.sms: no control or invisible/],
      [{ messages: { sms: '{code} \u0007' } }, /phone\.messages\.sms: no control or invisible/],
      // A right-to-left override makes "moc.elpmaxe" read as "example.com" on the phone.
      [{ messages: { sms: '{code} \u202emoc.elpmaxe' } }, /phone\.messages\.sms: no control or invisible/],
      [{ messages: { call: '{code}\u200b' } }, /phone\.messages\.call: no control or invisible/],
      [{ messages: { sms: '{code} at acme.example/verify' } }, /phone\.messages\.sms: no links/],
      [{ messages: { sms: '{code} at 192.0.2.7/login' } }, /phone\.messages\.sms: no links/],
      [{ messages: { sms: '{code} at t.co?x' } }, /phone\.messages\.sms: no links/],
      [{ messages: { sms: '{code} at evil.example#x' } }, /phone\.messages\.sms: no links/],
      [{ messages: { sms: '{code} at evil.example:8080' } }, /phone\.messages\.sms: no links/],
      [{ messages: { sms: '{code} from 192.0.2.7' } }, /phone\.messages\.sms: no links/],
      [{ messages: { sms: '{code} at acme。example/x' } }, /phone\.messages\.sms: no links/],
      [{ messages: { voice: '{code}' } }, /phone\.messages: Unrecognized key: "voice"/],
      [{ messages: { sms: 123456 } }, /phone\.messages\.sms/],
    ];
    for (const [phone, reason] of refused)
      assert.throws(
        () => phoneMfa({ phone: phone as never }),
        (err: unknown) => err instanceof ConfigError && reason.test(err.message),
        JSON.stringify(phone),
      );
  });

  it('takes words that only look like hidden characters or links: joiners in words, emoji, versions; a service named like a host', () => {
    for (const sms of [
      '{code} می‌خواهید',
      '{code} 👍\ufe0f 👨\u200d👩\u200d👧',
      '{code} is version 2.0.1 of your code',
    ]) {
      const { mfa } = phoneMfa({ phone: { messages: { sms } } });
      assert.ok(mfa, sms);
    }
    // A service's own name may be a bare host name, said through {service}.
    const booking = phoneMfa({
      issuer: 'Booking.com',
      phone: { messages: { sms: '{service}: {code} is your code' } },
    });
    assert.ok(booking.mfa);
  });

  it('refuses a link however it hides: a bare host, an e-mail address, a joiner inside it, or made with the service name', () => {
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ messages: { sms: '{code}: visit secure-login.com now' } }, /phone\.messages\.sms: no links/],
      [{ messages: { sms: '{code}: write to help@evil.example' } }, /phone\.messages\.sms: no links/],
      [{ messages: { sms: '{code} at evil.co\u200dm/login' } }, /phone\.messages\.sms: no links/],
      [
        { senderName: 'Acme.com', messages: { sms: '{code} from {service}/login' } },
        /phone\.messages\.sms: once \{service\} is filled in with "Acme\.com": no links/,
      ],
    ];
    for (const [phone, reason] of refused)
      assert.throws(
        () => phoneMfa({ phone: phone as never }),
        (err: unknown) => err instanceof ConfigError && reason.test(err.message),
        JSON.stringify(phone),
      );
  });

  it('an issuer that texts and calls would say must be words too, unless phone.senderName is set', () => {
    for (const issuer of ['https://idp.example.com', 'Acme\nClick here', 'Acme 198.51.100.7'])
      assert.throws(
        () => phoneMfa({ issuer }),
        (err: unknown) =>
          err instanceof ConfigError &&
          /phone\.senderName: texts and calls name the service by the issuer/.test(err.message),
        issuer,
      );
    assert.ok(phoneMfa({ issuer: 'https://idp.example.com', phone: { senderName: 'Acme' } }).mfa);
    // Without text messages or calls, the issuer is only an authenticator app's label.
    assert.ok(
      createTestMfa(
        { issuer: 'https://idp.example.com', methods: [totp] },
        { clock: testClock(), issuer: 'x', keyFill: 3 },
      ).mfa,
    );
  });
});
