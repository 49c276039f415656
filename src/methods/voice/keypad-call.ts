// Phone call answered on the keypad (`voiceMethod({ answer: 'keypad' })`), as Azure MFA's phone
// call is: the prompt's "Call" button places a call to the registered phone and the page shows a
// two-digit number; the call asks for it (after the user's PIN in PIN mode), then #. The
// provider hands the keys to `mfa.phoneCalls.keypad`, which records them as the request's
// answer; the page's Continue then finds the approval bound to this sign-in and uses it once.
// The requests are the approval requests push notifications use (src/methods/approvals/): one
// waiting per phone at a time (another sign-in's call is refused meanwhile, so the call that
// rings is the one whose number the user's page shows), short-lived, answered once, used once.
// A wrong number or PIN ends the request as denied; 0# reports fraud. The number to type is never
// said in the call: someone who only holds the password cannot get a tired "#" out of the user.
// Calls count in the phone send limits (per user and number; the engine adds the client
// address), and a user reported for fraud is called no more until the flag is cleared.
import { ConfigError, DeliveryError, SendBlockedError, SlowDownError } from '../../errors.ts';
import type { MethodRecord } from '../../store/ports.ts';
import { createApprovalFlow, isApprovalInput } from '../approvals/approval-flow.ts';
import { createApprovalRequests } from '../approvals/requests.ts';
import type { KeypadAnswer, MethodServices, SignInMethod } from '../method.ts';
import { maskPhoneNumber } from '../phone/number.ts';
import { numberOf } from '../phone/record.ts';
import { createPhoneSender } from '../phone/sender.ts';
import type { KeypadWords, ResolvedVoiceOptions } from './options.ts';
import { type CallPins, createCallPins } from './pins.ts';

/** The keys of a call, without the closing `#`: digits and `*`, at most 16. */
const KEYS = /^[0-9*]{0,16}#?$/;
const CALL_ID = /^[A-Za-z0-9_-]{16,64}$/;
const FRAUD_KEYS = '0';
const NUMBER_DIGITS = 2;

/**
 * The base phone-call method (registration, description, resealing) made to sign in by keypad:
 * its sends place keypad calls, and its proofs are approvals.
 */
export function keypadCallMethod(
  services: MethodServices,
  options: ResolvedVoiceOptions,
  base: SignInMethod,
): SignInMethod {
  const { repository, sealer } = services;
  const sender = createPhoneSender(services);
  if (!sender.placesCalls)
    throw new ConfigError(
      "voiceMethod({ answer: 'keypad' }): phone.delivery needs call(call), which places a keypad call (see KeypadCall)",
    );
  const pins: CallPins | null = options.pin ? createCallPins(services) : null;
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
  });
  const say = (moment: keyof KeypadWords) => options.words[moment].replaceAll('{service}', sender.service);
  const ended = (detail: string, userId?: string): KeypadAnswer => ({
    ok: false,
    error: 'call_ended',
    detail,
    say: say('ended'),
    ...(userId !== undefined ? { userId } : {}),
  });

  /** Why keys that are no fraud report do not approve `record`'s request for `number`, or null. */
  const refusalOf = (record: MethodRecord, keys: string, number: string): string | null => {
    if (pins === null) return keys === number ? null : 'number_mismatch';
    const pin = keys.slice(0, -NUMBER_DIGITS);
    if (!pins.matches(record, pin)) return 'pin_mismatch';
    return keys.slice(-NUMBER_DIGITS) === number ? null : 'number_mismatch';
  };

  return {
    ...base,
    accepts: isApprovalInput,
    awaiting: approvals.awaiting,
    verify: (_userId, _input, candidates, binding) => approvals.verify(candidates, binding),
    amr: () => [...amr],
    sends: {
      label: (record) => `Call ${nameOf(record)}`,
      async send(record, binding) {
        if ((await repository.getFraudFlag(record.userId)) !== null)
          throw new SendBlockedError(
            'Calls are paused because a sign-in request was reported as fraud. Contact your administrator.',
          );
        if (pins !== null && !pins.has(record))
          throw new SendBlockedError(
            'Sign-in calls now need a PIN, and this phone has none. Use another method, then register the phone again to set one.',
          );
        const number = numberOf(sealer, record);
        const reserved = await sender.reserve(record.userId, number, 'sign-in');
        const issued = await requests.issue(record, binding, null);
        if (!issued.ok) {
          await reserved.release();
          const seconds = Math.max(1, Math.ceil(issued.busyForMs / 1000));
          throw new SlowDownError(
            `A sign-in call to this phone is already waiting for an answer. Answer it, or wait ${seconds} seconds and try again.`,
            seconds,
          );
        }
        const { tx } = issued;
        try {
          await sender.placeCall({
            to: number,
            callId: tx.id,
            greeting: say('greeting'),
            prompt: say(pins === null ? 'prompt' : 'pinPrompt'),
            maxDigits: pins === null ? NUMBER_DIGITS : pins.maxLength + NUMBER_DIGITS,
            expiresAt: tx.expiresAt,
          });
        } catch (err) {
          // Not placed: nothing is left to answer, and the call costs the user nothing.
          await requests.cancel(tx);
          await reserved.release();
          throw new DeliveryError({ cause: err });
        }
        return { channel: 'voice', to: nameOf(record), expiresAt: tx.expiresAt, number: tx.number };
      },
    },
    keypad: {
      async answer(callId, keys) {
        if (!CALL_ID.test(callId) || !KEYS.test(keys)) return ended('keys_malformed');
        const tx = await requests.byId(callId);
        if (tx === null) return ended('call_unknown');
        // Only the phone's newest request is its to answer: one replaced by a newer call is not.
        if ((await requests.newestOf(tx.methodId))?.id !== tx.id) return ended('call_replaced', tx.userId);
        const record = await repository.getMethod(tx.userId, tx.methodId);
        if (record === null) return ended('method_removed', tx.userId);
        const typed = keys.replace(/#$/, '');
        const fraud = typed === FRAUD_KEYS;
        const recorded = await approvals.record(
          tx,
          fraud ? 'fraud' : 'approved',
          fraud ? null : refusalOf(record, typed, tx.number),
        );
        if (!recorded.ok)
          return {
            ok: false,
            error: 'already_answered',
            detail: 'already_answered',
            say: say('ended'),
            userId: tx.userId,
          };
        const { answer, detail } = recorded;
        return { ok: true, userId: tx.userId, methodId: tx.methodId, answer, detail, say: say(answer) };
      },
    },
  };
}
