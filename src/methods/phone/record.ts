// What a text-message or phone-call method keeps in its record's `data`: the number, sealed
// under a context bound to the user and the method (a sealed number copied to another record
// does not open), and for a phone call in PIN mode the user's PIN, sealed the same way
// (src/methods/voice/pins.ts) — the page shows the number masked, opened on the way out.
import type { Sealer } from '../../crypto/seal.ts';
import { StoreError } from '../../errors.ts';
import type { MethodRecord } from '../../store/ports.ts';

export interface PhoneData {
  sealedNumber: string;
  /** The call PIN, sealed (PIN mode only). */
  sealedPin?: string;
}

/** The AES-GCM context a method's number is sealed under. */
export const sealedNumberContext = (userId: string, methodId: string) => `phone:${userId}:${methodId}`;

/** The AES-GCM context a method's call PIN is sealed under. */
export const sealedPinContext = (userId: string, methodId: string) => `call-pin:${userId}:${methodId}`;

/** The phone fields of a record; a store error if they are not there. */
export function phoneDataOf(record: MethodRecord): PhoneData {
  const { sealedNumber, sealedPin } = record.data;
  if (typeof sealedNumber === 'string' && sealedNumber.length > 0)
    return typeof sealedPin === 'string' && sealedPin.length > 0
      ? { sealedNumber, sealedPin }
      : { sealedNumber };
  throw new StoreError(`method ${record.id}: its ${record.kind} data is not valid`);
}

/** The record's number, E.164. */
export const numberOf = (sealer: Sealer, record: MethodRecord): string =>
  sealer
    .open(phoneDataOf(record).sealedNumber, sealedNumberContext(record.userId, record.id))
    .toString('utf8');
