// What a text-message or phone-call method keeps in its record's `data`: the number, sealed
// under a context bound to the user and the method (a sealed number copied to another record
// does not open) — the page shows it masked, opened on the way out — and, when its channel
// asks for one, a secret given with the number (a keypad call's PIN, src/methods/voice/pins.ts),
// sealed the same way under the key and context its channel names (`PhoneSecretField`).
import type { Sealer } from '../../crypto/seal.ts';
import { StoreError } from '../../errors.ts';
import type { MethodRecord } from '../../store/ports.ts';
import type { EnrollmentField } from '../method.ts';

/**
 * A secret a channel keeps sealed in the record besides the number (a keypad call's PIN): where
 * and under which AES-GCM context, and — when registering asks for it — its form field and check.
 */
export interface PhoneSecretField {
  /** The record's `data` key it is sealed under (`sealedPin`). */
  dataKey: string;
  /** The AES-GCM context, bound to the user and the method. */
  context(userId: string, methodId: string): string;
  /** Asked for when registering: the form field (its `name` the input's), and the value checked (a 400 MfaError when it is none). Absent: only kept, and resealed, on records that have it. */
  asked?: { field: EnrollmentField; parse(given: string | undefined): string };
}

/** The AES-GCM context a method's number is sealed under. */
export const sealedNumberContext = (userId: string, methodId: string) => `phone:${userId}:${methodId}`;

/** The record's sealed number; a store error if it is not there. */
export function sealedNumberOf(record: MethodRecord): string {
  const { sealedNumber } = record.data;
  if (typeof sealedNumber === 'string' && sealedNumber.length > 0) return sealedNumber;
  throw new StoreError(`method ${record.id}: its ${record.kind} data is not valid`);
}

/** The record's sealed secret of `secret`, or null when it has none. */
export function sealedSecretOf(
  record: MethodRecord,
  secret: Pick<PhoneSecretField, 'dataKey'>,
): string | null {
  const sealed = record.data[secret.dataKey];
  return typeof sealed === 'string' && sealed.length > 0 ? sealed : null;
}

/** The record's number, E.164. */
export const numberOf = (sealer: Sealer, record: MethodRecord): string =>
  sealer.open(sealedNumberOf(record), sealedNumberContext(record.userId, record.id)).toString('utf8');
