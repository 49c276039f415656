// Phone call answered on the keypad (`voiceMethod({ answer: 'keypad' })`), as Azure MFA's phone
// call is: the prompt's "Call" button places a call to the registered phone and the page shows a
// two-digit number; the call asks for it (after the user's PIN in PIN mode), then #. The
// provider hands the keys to `mfa.phoneCalls.keypad`, which records them as the request's
// answer; the page's Continue then finds the approval bound to this sign-in and uses it once.
// The requests, and their sending, are those push notifications use (src/methods/approvals/): one
// waiting per phone at a time (another sign-in's call is refused meanwhile, so the call that
// rings is the one whose number the user's page shows), short-lived, answered once, used once.
// A wrong number or PIN ends the request as denied; 0# reports fraud (keypad-answers.ts). The
// number to type is never said in the call: someone who only holds the password cannot get a
// tired "#" out of the user. Calls count in the phone send limits (per user and number; the
// engine adds the client address); a user reported for fraud, and in PIN mode a phone without a
// PIN or past its wrong PINs (pins.ts), is called no more.
import { ConfigError } from '../../errors.ts';
import type { MethodRecord } from '../../store/ports.ts';
import { createApprovalFlow, isApprovalInput } from '../approvals/approval-flow.ts';
import { createApprovalRequests } from '../approvals/requests.ts';
import type { MethodServices, SignInMethod } from '../method.ts';
import { fillPlaceholders, messageLength, wordingProblem } from '../phone/message-template.ts';
import { maskPhoneNumber } from '../phone/number.ts';
import { numberOf } from '../phone/record.ts';
import { createPhoneSender } from '../phone/sender.ts';
import { createKeypadAnswers, NUMBER_DIGITS } from './keypad-answers.ts';
import { KEYPAD_WORDS_MAX, type KeypadWords, type ResolvedVoiceOptions } from './options.ts';
import { type CallPins, createCallPins } from './pins.ts';

/**
 * The base phone-call method (registration, description, resealing) made to sign in by keypad:
 * its sends place keypad calls, and its proofs are approvals.
 */
export function keypadCallMethod(
  services: MethodServices,
  options: ResolvedVoiceOptions,
  base: SignInMethod,
): SignInMethod {
  const { sealer } = services;
  const sender = createPhoneSender(services);
  if (!sender.placesCalls)
    throw new ConfigError(
      "voiceMethod({ answer: 'keypad' }): phone.delivery needs call(call), which places a keypad call (see KeypadCall)",
    );
  const pins: CallPins | null = options.pin ? createCallPins(services, options.pinAttempts) : null;
  const requests = createApprovalRequests(services, {
    prefix: 'call',
    lifetimeMs: options.lifetimeSeconds * 1000,
  });
  const nameOf = (record: MethodRecord) => maskPhoneNumber(numberOf(sealer, record));
  const amr = pins === null ? ['tel'] : ['tel', 'pin'];
  const approvals = createApprovalFlow(services, requests, {
    channel: 'voice',
    detailPrefix: 'call',
    nameOf,
    amr,
    strength: 'voice',
    words: {
      paused: 'Calls are paused because a sign-in request was reported as fraud. Contact your administrator.',
      busy: (seconds) =>
        `A sign-in call to this phone is already waiting for an answer. Answer it, or wait ${seconds} seconds and try again.`,
    },
  });
  const say = (moment: keyof KeypadWords) =>
    fillPlaceholders(options.words[moment], { service: sender.service });
  for (const moment of Object.keys(options.words) as (keyof KeypadWords)[]) {
    if (messageLength(say(moment)) > KEYPAD_WORDS_MAX)
      throw new ConfigError(
        `voiceMethod options: words.${moment} is longer than ${KEYPAD_WORDS_MAX} characters once {service} is filled in`,
      );
    // Nor may the words and the service's name make a link together (`{service}/login`).
    const problem = wordingProblem(say(moment), false);
    if (problem !== null)
      throw new ConfigError(
        `voiceMethod options: words.${moment} once {service} is filled in with "${sender.service}": ${problem}`,
      );
  }
  const answers = createKeypadAnswers({ ...services, requests, approvals, pins, say });

  return {
    ...base,
    accepts: isApprovalInput,
    awaiting: approvals.awaiting,
    verify: (_userId, _input, candidates, binding) => approvals.verify(candidates, binding),
    amr: () => [...amr],
    sends: {
      label: (record) => `Call ${nameOf(record)}`,
      send: (record, binding) => {
        const number = numberOf(sealer, record);
        return approvals.send(record, binding, null, {
          blockedFor: async (phone) => {
            if (pins === null) return null;
            if (!pins.has(phone))
              return 'Sign-in calls now need a PIN, and this phone has none. Use another method, then register the phone again to set one.';
            if (await pins.blocked(phone))
              return 'Too many wrong PINs were typed in calls to this phone. Use another method, then register the phone again to set a new PIN.';
            return null;
          },
          reserve: () => sender.reserve(record.userId, number, 'sign-in', 'call'),
          async deliver(tx) {
            await sender.placeCall({
              to: number,
              callId: tx.id,
              greeting: say('greeting'),
              prompt: say(pins === null ? 'prompt' : 'pinPrompt'),
              maxDigits: pins === null ? NUMBER_DIGITS : pins.maxLength + NUMBER_DIGITS,
              expiresAt: tx.expiresAt,
            });
            // Placed: its 0 reports fraud for a while even after it lapsed (never one that did not ring).
            await answers.placed(tx);
          },
        });
      },
    },
    keypad: { answer: answers.answer },
    // Removing the phone removes its count of wrong PINs with it.
    ...(pins !== null
      ? { released: (record: MethodRecord) => ({ counterKey: pins.failuresKey(record) }) }
      : {}),
  };
}
