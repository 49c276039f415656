// Keypad-call fixtures for the integration tests (`voiceMethod({ answer: 'keypad' })`): the
// methods (an authenticator app, a phone call answered on the keypad, recovery codes), an engine
// and the test Express app with them, their calls and codes in an outbox the test reads, a phone
// registered through the engine (the code call read from the outbox, the PIN in PIN mode), and
// the phone's keypad: the keys the user presses during a call, handed over as a provider's
// webhook does.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import {
  type KeypadCall,
  type Mfa,
  type Outbox,
  outboxDelivery,
  recoveryCode,
  totp,
  voiceMethod,
} from '../../src/index.ts';
import { makeApp } from './app.ts';
import { CTX, lastCode } from './phone.ts';
import { testClock } from './test-clock.ts';
import { createTestMfa } from './test-mfa.ts';

export const PHONE_NUMBER = '+44 7700 900123';
/** The button that places a call to PHONE_NUMBER. */
export const CALL_BUTTON = 'Call +•• ••• ••23';
/** A PIN the rules accept (no digit repeated, no run). */
export const PIN = '2580';
/** The fixtures' options for PIN mode (`voiceMethod({ answer: 'keypad', pin: true })`). */
export const PIN_MODE = { pin: true } as const;
/** The address a provider's webhook calls from. */
export const WEBHOOK_CTX = { ip: '203.0.113.40' };

/** TOTP, a phone call answered on the keypad (`pin`: PIN mode) and recovery codes. */
export const keypadMethods = (options: { pin?: boolean } = {}) => [
  totp,
  voiceMethod({ answer: 'keypad', pin: options.pin ?? false }),
  recoveryCode,
];

/** The test app (test/helpers/app.ts) with keypad calls, its calls and codes in an outbox. */
export function makeKeypadApp(options: { pin?: boolean } = {}) {
  const outbox = outboxDelivery({ print: false });
  const built = makeApp({ methods: keypadMethods(options), phone: { delivery: outbox } });
  return { ...built, outbox };
}

/** An engine with keypad calls (and what radiusHarness takes), its calls and codes in an outbox. */
export function keypadCallMfa(options: { pin?: boolean } = {}) {
  const clock = testClock();
  const outbox = outboxDelivery({ print: false });
  const stores = createMemoryStores({ clock });
  const { mfa, events } = createTestMfa(
    { methods: keypadMethods(options), phone: { delivery: outbox }, stores },
    { clock, issuer: 'Test Co', keyFill: 5 },
  );
  return { mfa, outbox, clock, events, stores };
}

/** Registers PHONE_NUMBER (with PIN in PIN mode) for `userId` through the engine: its method id. */
export async function registerKeypadPhone(
  mfa: Mfa,
  outbox: Outbox,
  userId: string,
  options: { pin?: boolean } = {},
): Promise<string> {
  const fields = { phoneNumber: PHONE_NUMBER, ...(options.pin ? { pin: PIN } : {}) };
  const draft = await mfa.enrollment.begin('voice', userId, userId, fields, CTX);
  const code = lastCode(outbox);
  const confirmed = await mfa.enrollment.confirm('voice', userId, draft.draftId, { code }, '', CTX);
  assert.ok(confirmed.ok, 'the phone is registered');
  return confirmed.method.id;
}

/** The last keypad call placed (it must have been). */
export function lastCall(outbox: Outbox): KeypadCall {
  const call = outbox.lastCall();
  assert.ok(call, 'a call was placed');
  return call;
}

/**
 * The user presses `keys` (then #) during `call` (default: the last one placed), as the provider's
 * webhook hands them to the engine: the outcome the call then says.
 */
export function pressKeys(mfa: Mfa, outbox: Outbox, keys: string, call: KeypadCall = lastCall(outbox)) {
  return mfa.phoneCalls.keypad({ callId: call.callId, keys: `${keys}#` }, WEBHOOK_CTX);
}

/** Keys that approve the page's `number`: the PIN first in PIN mode. */
export const approvingKeys = (number: string, options: { pin?: boolean } = {}) =>
  `${options.pin ? PIN : ''}${number}`;

/** A two-digit number that is not `number`. */
export const otherNumber = (number: string) => (number === '42' ? '43' : '42');
