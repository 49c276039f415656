// PIN mode for keypad calls (`voiceMethod({ answer: 'keypad', pin: true })`): the user chooses
// a PIN of 4 to 8 digits when registering the phone and types it before the page's number, so a
// phone in someone else's hand does not approve alone. The PIN is sealed in the record
// (`sealedPin`, AES-GCM bound to the user and the method, like the number — so `mfakit reseal`
// moves it to a new key; a keyed hash of so few digits would be no harder to test with the key
// and could not be moved), never shown, and compared in constant time. PINs anyone would guess
// first (one digit repeated, a run up or down: 0000, 1234, 98765) are refused. A wrong PIN denies
// the call and counts against the phone, durably: after `pinAttempts` wrong PINs in a row the
// phone is called no more until it is registered again (a correct PIN clears the count; nothing
// else does — not a sign-in by another method), so a phone in someone else's hand cannot be
// guessed through, however slowly.
import { createHash, timingSafeEqual } from 'node:crypto';
import { MfaError } from '../../errors.ts';
import type { MethodRecord } from '../../store/ports.ts';
import type { EnrollmentField, MethodServices } from '../method.ts';
import { type PhoneSecretField, sealedSecretOf } from '../phone/record.ts';

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

/** Where the PIN is sealed: the record's `sealedPin`, under a context bound to the user and the method. */
const PIN_SEALED: Pick<PhoneSecretField, 'dataKey' | 'context'> = {
  dataKey: 'sealedPin',
  context: (userId, methodId) => `call-pin:${userId}:${methodId}`,
};

/** The PIN as the phone method keeps it: resealed always, asked for when registering in PIN mode (`asked`). */
export const pinSecret = (asked: boolean): PhoneSecretField => ({
  ...PIN_SEALED,
  ...(asked ? { asked: { field: PIN_FIELD, parse: parsePin } } : {}),
});

export function createCallPins(services: Pick<MethodServices, 'sealer' | 'repository'>, attempts: number) {
  const { sealer, repository } = services;
  const failuresKey = (record: MethodRecord) => `call-pin-failures:${record.userId}:${record.id}`;
  const sealedOf = (record: MethodRecord) => sealedSecretOf(record, PIN_SEALED);
  return {
    maxLength: PIN_MAX_LENGTH,
    /** The shortest keys that can hold a PIN and the page's two digits. */
    minKeys: PIN_MIN_LENGTH + 2,
    /** The durable count of wrong PINs in a row, removed with the record. */
    failuresKey,
    /** Whether the phone took `attempts` wrong PINs in a row: it is called no more. */
    async blocked(record: MethodRecord): Promise<boolean> {
      return ((await repository.getCounter(failuresKey(record))) ?? 0) >= attempts;
    },
    /** Counts a wrong PIN against the phone (one atomic step). */
    async failed(record: MethodRecord): Promise<void> {
      await repository.incrementCounter(failuresKey(record));
    },
    /** A correct PIN: the count starts again (no write when there was none). */
    async succeeded(record: MethodRecord): Promise<void> {
      if (((await repository.getCounter(failuresKey(record))) ?? 0) > 0)
        await repository.deleteCounter(failuresKey(record));
    },
    /** Whether the record has a PIN set. */
    has: (record: MethodRecord) => sealedOf(record) !== null,
    /** Whether `pin` is the record's PIN (compared in constant time); false when it has none. */
    matches(record: MethodRecord, pin: string): boolean {
      const sealed = sealedOf(record);
      if (sealed === null || !PIN.test(pin)) return false;
      const stored = sealer.open(sealed, PIN_SEALED.context(record.userId, record.id)).toString('utf8');
      return timingSafeEqual(digest(stored), digest(pin));
    },
  };
}

export type CallPins = ReturnType<typeof createCallPins>;
