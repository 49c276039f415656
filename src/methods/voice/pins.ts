// PIN mode for keypad calls (`voiceMethod({ answer: 'keypad', pin: true })`): the user chooses
// a PIN of 4 to 8 digits when registering the phone and types it before the page's number, so a
// phone in someone else's hand does not approve alone. The PIN is sealed in the record
// (`sealedPin`, AES-GCM bound to the user and the method, like the number — so `mfakit reseal`
// moves it to a new key; a keyed hash of so few digits would be no harder to test with the key
// and could not be moved), never shown, and compared in constant time. PINs anyone would guess
// first (one digit repeated, a run up or down: 0000, 1234, 98765) are refused. A wrong PIN denies
// the call and counts as a failed attempt under the lockout, like a wrong code.
import { createHash, timingSafeEqual } from 'node:crypto';
import { MfaError } from '../../errors.ts';
import type { MethodRecord } from '../../store/ports.ts';
import type { EnrollmentField, MethodServices } from '../method.ts';
import { sealedPinContext } from '../phone/record.ts';

export const PIN_MIN_LENGTH = 4;
export const PIN_MAX_LENGTH = 8;
const PIN = new RegExp(`^\\d{${PIN_MIN_LENGTH},${PIN_MAX_LENGTH}}$`);

/** What registering a phone in PIN mode asks for besides the number. */
export const PIN_FIELD: EnrollmentField = {
  name: 'pin',
  label: 'PIN for sign-in calls',
  hint: `${PIN_MIN_LENGTH} to ${PIN_MAX_LENGTH} digits, not one digit repeated or digits in a row. You will type it on the phone's keypad.`,
  inputType: 'password',
  inputMode: 'numeric',
  autocomplete: 'new-password',
  maxLength: PIN_MAX_LENGTH + 8,
};

/** Whether every digit is the one before plus `step` (mod 10): 1234, 8901, 4321 for -1. */
const isRun = (pin: string, step: number) =>
  [...pin].every((d, i) => i === 0 || Number(d) === (Number(pin[i - 1]) + step + 10) % 10);

/** The PIN given, checked: a 400 saying what a PIN may be when it is not one. */
export function parsePin(given: string | undefined): string {
  const pin = (given ?? '').trim();
  if (!PIN.test(pin))
    throw new MfaError(
      'invalid_pin',
      `The PIN is ${PIN_MIN_LENGTH} to ${PIN_MAX_LENGTH} digits, typed on the phone's keypad.`,
      400,
    );
  if (isRun(pin, 0) || isRun(pin, 1) || isRun(pin, -1))
    throw new MfaError(
      'weak_pin',
      'That PIN is too easy to guess (one digit repeated, or digits in a row). Choose another.',
      400,
    );
  return pin;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function createCallPins(services: Pick<MethodServices, 'sealer'>) {
  const { sealer } = services;
  const sealedOf = (record: MethodRecord) =>
    typeof record.data.sealedPin === 'string' && record.data.sealedPin.length > 0
      ? record.data.sealedPin
      : null;
  return {
    maxLength: PIN_MAX_LENGTH,
    /** Whether the record has a PIN set. */
    has: (record: MethodRecord) => sealedOf(record) !== null,
    /** Whether `pin` is the record's PIN (compared in constant time); false when it has none. */
    matches(record: MethodRecord, pin: string): boolean {
      const sealed = sealedOf(record);
      if (sealed === null || !PIN.test(pin)) return false;
      const stored = sealer.open(sealed, sealedPinContext(record.userId, record.id)).toString('utf8');
      return timingSafeEqual(digest(stored), digest(pin));
    },
  };
}

export type CallPins = ReturnType<typeof createCallPins>;
