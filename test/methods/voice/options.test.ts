// voiceMethod()'s options: every mistake a ConfigError naming its path, found when the method is
// listed, not at the first call; keypad mode refused without a provider that places calls; the
// custom words used as given, with the service's name.
import assert from 'node:assert/strict';
import { ConfigError, type VoiceOptions, voiceMethod } from '../../../src/index.ts';
import { CTX, keypadMfa, pendingSignIn, registerPhone } from '../../helpers/phone.ts';

describe('voiceMethod options', () => {
  const refused: [string, VoiceOptions, RegExp][] = [
    ['pin without keypad', { pin: true }, /pin: pin needs answer: 'keypad'/],
    ['an unknown answer', { answer: 'press' as 'code' }, /answer:/],
    ['a lifetime too short', { answer: 'keypad', lifetimeSeconds: 10 }, /lifetimeSeconds:/],
    ['a lifetime too long', { answer: 'keypad', lifetimeSeconds: 301 }, /lifetimeSeconds:/],
    [
      'a placeholder but {service}',
      { answer: 'keypad', words: { greeting: 'Your code is {code}' } },
      /words\.greeting: unknown placeholder \{code\}: only \{service\} is filled in/,
    ],
    [
      'a brace that opens no placeholder',
      { answer: 'keypad', words: { greeting: 'This is {service. Hello' } },
      /words\.greeting: a brace that opens or closes no placeholder/,
    ],
    [
      'a brace that closes no placeholder',
      { answer: 'keypad', words: { prompt: 'Press } now' } },
      /words\.prompt: a brace that opens or closes no placeholder/,
    ],
    [
      'a link',
      { answer: 'keypad', words: { approved: 'Done. See https://evil.example' } },
      /words\.approved: no links/,
    ],
    ['a www link', { answer: 'keypad', words: { fraud: 'Call WWW.evil.example' } }, /words\.fraud: no links/],
    [
      'a control character',
      { answer: 'keypad', words: { prompt: 'Press\u0007 #' } },
      /words\.prompt: no control or invisible characters/,
    ],
    [
      'a right-to-left override',
      { answer: 'keypad', words: { greeting: 'Hello \u202e' } },
      /words\.greeting: no control or invisible/,
    ],
    [
      'a bare domain',
      { answer: 'keypad', words: { approved: 'Done. Visit evil.example/r' } },
      /words\.approved: no links/,
    ],
    [
      'a full-width link',
      { answer: 'keypad', words: { approved: 'Go to ｗｗｗ．evil' } },
      /words\.approved: no links/,
    ],
    [
      'a Hangul filler',
      { answer: 'keypad', words: { greeting: 'Hello\u3164' } },
      /words\.greeting: no control or invisible/,
    ],
    [
      'a variation selector',
      { answer: 'keypad', words: { greeting: 'Hello\ufe0f' } },
      /words\.greeting: no control or invisible/,
    ],
    [
      'too long even before {service} is filled in',
      { answer: 'keypad', words: { denied: `{service}${'x'.repeat(501)}` } },
      /words\.denied: at most 500 characters/,
    ],
    ['empty', { answer: 'keypad', words: { ended: '' } }, /words\.ended:/],
    ['an unknown moment', { answer: 'keypad', words: { goodbye: 'Bye' } as VoiceOptions['words'] }, /words:/],
    ['an unknown option', { answer: 'keypad', pinLength: 6 } as VoiceOptions, /pinLength|Unrecognized/],
  ];
  for (const [what, options, message] of refused)
    it(`refuses ${what}`, () => {
      assert.throws(
        () => voiceMethod(options),
        (err: unknown) =>
          err instanceof ConfigError && message.test(err.message) && /voiceMethod options/.test(err.message),
      );
    });

  it('refuses keypad mode with a provider that cannot place calls, when the engine is built', () => {
    assert.throws(
      () => keypadMfa({}, { phone: { delivery: { send: async () => {} } } }),
      (err: unknown) => err instanceof ConfigError && /phone\.delivery needs call\(call\)/.test(err.message),
    );
  });

  it('refuses words longer than 500 characters once {service} is filled in, when the engine is built', () => {
    assert.throws(
      () =>
        keypadMfa(
          { words: { greeting: '{service}'.repeat(44) } },
          { phone: { senderName: 'Acme IT Security Services' } },
        ),
      (err: unknown) =>
        err instanceof ConfigError && /words\.greeting is longer than 500 characters/.test(err.message),
    );
  });

  it('refuses words that make a link with the service’s name, when the engine is built', () => {
    assert.throws(
      () =>
        keypadMfa({ words: { approved: 'Done. See {service}/help' } }, { phone: { senderName: 'Acme.com' } }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /words\.approved once \{service\} is filled in with "Acme\.com": no links/.test(err.message),
    );
  });

  it('says the custom words, with the service’s name, and answers with them', async () => {
    const { mfa, outbox } = keypadMfa(
      {
        words: {
          greeting: 'Welcome to {service} security.',
          prompt: 'Type the number on your screen, then hash. Zero hash if it is not you.',
          approved: 'Approved by {service}.',
        },
      },
      { phone: { senderName: 'Acme IT' } },
    );
    const methodId = await registerPhone(mfa, outbox, 'alice', 'voice', '+44 7700 900123');
    const pendingId = await pendingSignIn(mfa, 'alice');
    const sent = await mfa.sendPendingCode(pendingId, methodId, CTX);
    assert.ok(sent.ok && sent.number !== undefined);
    const placed = outbox.lastCall();
    assert.equal(placed?.greeting, 'Welcome to Acme IT security.');
    assert.equal(placed?.prompt, 'Type the number on your screen, then hash. Zero hash if it is not you.');
    const answered = await mfa.phoneCalls.keypad({ callId: placed?.callId, keys: sent.number }, CTX);
    assert.deepEqual(answered, { outcome: 'approved', say: 'Approved by Acme IT.' });
    // The words not given keep their defaults.
    const again = await mfa.phoneCalls.keypad({ callId: placed?.callId, keys: sent.number }, CTX);
    assert.equal(again.say, 'This sign-in request has ended. Goodbye.');
  });

  it('writes a service name that looks like a placeholder or a replacement pattern as it is', async () => {
    const service = "Acme {service} $& $' Co";
    const { mfa, outbox } = keypadMfa({ words: { approved: 'Approved by {service}.' } }, { issuer: service });
    const methodId = await registerPhone(mfa, outbox, 'alice', 'voice', '+44 7700 900123');
    const sent = await mfa.sendPendingCode(await pendingSignIn(mfa, 'alice'), methodId, CTX);
    assert.ok(sent.ok && sent.number !== undefined);
    const placed = outbox.lastCall();
    assert.equal(placed?.greeting, `Hello. This is ${service}, with a sign-in request for your account.`);
    const answered = await mfa.phoneCalls.keypad({ callId: placed?.callId, keys: sent.number }, CTX);
    assert.equal(answered.say, `Approved by ${service}.`);
  });

  it('without keypad mode, calls read a code as before and keys are taken by no call', async () => {
    const { mfa, outbox } = keypadMfa({ answer: 'code' });
    const methodId = await registerPhone(mfa, outbox, 'alice', 'voice', '+44 7700 900123');
    const sent = await mfa.sendPendingCode(await pendingSignIn(mfa, 'alice'), methodId, CTX);
    assert.ok(sent.ok && sent.number === undefined);
    assert.equal(outbox.calls.length, 0);
    assert.equal(mfa.phoneCalls.enabled, false);
    assert.equal((await mfa.phoneCalls.keypad({ callId: 'a'.repeat(24), keys: '12' })).outcome, 'ended');
  });
});
