// What a one-time-password method (an authenticator app, an OATH hardware token) keeps in its
// record's `data`: the sealed seed, the RFC 4226/6238 parameters and, for a hardware token, its
// serial. Written here and checked field by field when read back, so a record the store hands
// back without them is refused rather than half-trusted. A token's counter is keyed by its
// serial, so it outlives reassignment: codes a previous holder used never work again.
import type { Sealer } from '../../crypto/seal.ts';
import { StoreError } from '../../errors.ts';
import type { MethodRecord, OtpKind } from '../../store/ports.ts';

export interface OtpData {
  sealedSecret: string;
  algorithm: 'sha1' | 'sha256' | 'sha512';
  digits: 6 | 8;
  /** TOTP period in seconds (0 for HOTP). */
  period: number;
  /** Serial number of an OATH hardware token, when the method is one. */
  tokenSerial: string | null;
}

/**
 * Whether a record's data has every OTP field with a valid value. Written out rather than a zod
 * schema: every code check reads a record's data several times, and this builds no copy.
 */
function isOtpData(d: MethodRecord['data']): boolean {
  return (
    typeof d.sealedSecret === 'string' &&
    d.sealedSecret.length > 0 &&
    (d.algorithm === 'sha1' || d.algorithm === 'sha256' || d.algorithm === 'sha512') &&
    (d.digits === 6 || d.digits === 8) &&
    typeof d.period === 'number' &&
    Number.isInteger(d.period) &&
    d.period >= 0 &&
    (d.tokenSerial === null || typeof d.tokenSerial === 'string')
  );
}

/** The OTP fields of a record of kind `totp` or `hotp`; a store error if they are not all there. */
export function otpDataOf(record: MethodRecord): OtpData {
  // Checked field by field above; the record's data is read-only JSON, so it is the value itself.
  if (isOtpData(record.data)) return record.data as unknown as OtpData;
  throw new StoreError(`method ${record.id}: its ${record.kind} data is not valid`);
}

/** The AES-GCM context a method's seed is sealed under: bound to the user and the method. */
export const sealedSecretContext = (userId: string, methodId: string) => `method:${userId}:${methodId}`;

/** A new OTP record: its counter is the token's (by serial) or its own. */
export function otpRecord(p: {
  id: string;
  userId: string;
  kind: OtpKind;
  label: string;
  data: OtpData;
  createdAt: number;
  lastUsedAt: number | null;
}): MethodRecord {
  return {
    id: p.id,
    userId: p.userId,
    kind: p.kind,
    label: p.label,
    data: { ...p.data },
    counterKey: p.data.tokenSerial !== null ? `token:${p.data.tokenSerial}` : `${p.kind}:${p.id}`,
    lookupKey: null,
    createdAt: p.createdAt,
    lastUsedAt: p.lastUsedAt,
  };
}

const OPENED_SEEDS_MAX = 10_000;

/**
 * Opens seeds, keeping them by sealed value: opening (AES-GCM) costs more than the OTP check
 * itself. The process holds the sealing keys anyway; a sealed value never changes, so entries
 * never go stale. Keyed by the sealed value alone (no key string built per check); an entry
 * serves only the user and method it was opened for, as the seal's context binds it to them.
 */
export function createSeedOpener(sealer: Sealer) {
  const opened = new Map<string, { userId: string; methodId: string; seed: Buffer }>();
  return (record: MethodRecord, data: OtpData): Buffer => {
    const entry = opened.get(data.sealedSecret);
    if (entry && entry.userId === record.userId && entry.methodId === record.id) return entry.seed;
    const seed = sealer.open(data.sealedSecret, sealedSecretContext(record.userId, record.id));
    if (!entry && opened.size >= OPENED_SEEDS_MAX) opened.delete(opened.keys().next().value ?? '');
    opened.set(data.sealedSecret, { userId: record.userId, methodId: record.id, seed });
    return seed;
  };
}
