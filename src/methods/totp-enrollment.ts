import QRCode from 'qrcode';
import type { Sealer } from '../crypto/seal.ts';
import { type Clock, type RandomSource, randomId } from '../engine/capabilities.ts';
import type { ResolvedOptions } from '../engine/options.ts';
import type { EphemeralStore, MethodRecord, Repository } from '../store/ports.ts';
import { methodCounterKey } from '../store/ports.ts';
import { base32Encode } from './base32.ts';
import { totpMatchStep } from './otp.ts';
import { sealedSecretContext } from './otp-methods.ts';

/**
 * Authenticator-app enrollment ("proof-up"): a fresh 160-bit seed is kept sealed in a
 * short-lived draft; the method becomes active only when the user types a valid code
 * from it. That code's time step is consumed, so it cannot be replayed at sign-in.
 */
export interface TotpDraft {
  draftId: string;
  secret: string;
  uri: string;
  qrSvg: string;
  algorithm: string;
  digits: number;
  period: number;
  expiresAt: number;
}

export type ConfirmResult =
  | { ok: true; method: MethodRecord }
  | { ok: false; detail: 'draft_expired' | 'code_mismatch' | 'too_many_attempts' };

const DRAFT_TTL_MS = 10 * 60_000;
const DRAFT_MAX_ATTEMPTS = 5;
// RFC 4226 §4 R6: the shared secret length MUST be at least 128 bits; 160 is recommended.
const SEED_BYTES = 20;

export interface TotpEnrollment {
  begin(userId: string, accountName: string): Promise<TotpDraft>;
  /**
   * The same draft again (same secret and QR code) while it lasts, or null: a reloaded or
   * re-linked setup page shows what the user may already have scanned instead of a new secret.
   */
  resume(userId: string, draftId: string, accountName: string): Promise<TotpDraft | null>;
  confirm(userId: string, draftId: string, code: string, label: string): Promise<ConfirmResult>;
}

/** A draft as kept in the ephemeral store: the sealed seed and when it lapses. */
interface StoredDraft {
  sealed: string;
  expiresAt: number;
}

function readDraft(raw: string | null): StoredDraft | null {
  if (raw === null) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<StoredDraft>;
    return typeof parsed.sealed === 'string' && typeof parsed.expiresAt === 'number'
      ? { sealed: parsed.sealed, expiresAt: parsed.expiresAt }
      : null;
  } catch {
    return null;
  }
}

export function createTotpEnrollment(deps: {
  repository: Repository;
  ephemeral: EphemeralStore;
  sealer: Sealer;
  clock: Clock;
  random: RandomSource;
  issuer: string;
  totp: ResolvedOptions['totp'];
}): TotpEnrollment {
  const { repository, ephemeral, sealer, clock, random, issuer, totp } = deps;
  const draftKey = (userId: string, draftId: string) => `enroll:totp:${userId}:${draftId}`;
  const draftContext = (userId: string, draftId: string) => `draft:${userId}:${draftId}`;
  const view = async (draftId: string, seed: Uint8Array, accountName: string, expiresAt: number) => {
    const secret = base32Encode(seed);
    const uri = otpauthUri({ issuer, accountName, secret, ...totp });
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return {
      draftId,
      secret,
      uri,
      qrSvg,
      algorithm: totp.algorithm.toUpperCase(),
      digits: totp.digits,
      period: totp.period,
      expiresAt,
    };
  };

  return {
    async begin(userId, accountName) {
      const draftId = randomId(random, 18);
      const seed = random.bytes(SEED_BYTES);
      const expiresAt = clock.now() + DRAFT_TTL_MS;
      const stored: StoredDraft = { sealed: sealer.seal(seed, draftContext(userId, draftId)), expiresAt };
      await ephemeral.put(draftKey(userId, draftId), JSON.stringify(stored), DRAFT_TTL_MS);
      return view(draftId, seed, accountName, expiresAt);
    },
    async resume(userId, draftId, accountName) {
      const stored = readDraft(await ephemeral.get(draftKey(userId, draftId)));
      if (stored === null || stored.expiresAt <= clock.now()) return null;
      return view(
        draftId,
        sealer.open(stored.sealed, draftContext(userId, draftId)),
        accountName,
        stored.expiresAt,
      );
    },
    async confirm(userId, draftId, code, label) {
      const stored = readDraft(await ephemeral.get(draftKey(userId, draftId)));
      if (stored === null) return { ok: false, detail: 'draft_expired' };
      const attempts = await ephemeral.increment(`${draftKey(userId, draftId)}:attempts`, DRAFT_TTL_MS);
      if (attempts > DRAFT_MAX_ATTEMPTS) {
        await ephemeral.delete(draftKey(userId, draftId));
        return { ok: false, detail: 'too_many_attempts' };
      }
      const seed = sealer.open(stored.sealed, draftContext(userId, draftId));
      const step = totpMatchStep(seed, code, {
        algorithm: totp.algorithm,
        digits: totp.digits,
        period: totp.period,
        epochSeconds: Math.floor(clock.now() / 1000),
        toleranceSteps: totp.toleranceSteps,
      });
      if (step === null) return { ok: false, detail: 'code_mismatch' };
      // Only one confirmation per draft, even when raced.
      if ((await ephemeral.take(draftKey(userId, draftId))) === null)
        return { ok: false, detail: 'draft_expired' };
      const id = randomId(random, 12);
      const method: MethodRecord = {
        id,
        userId,
        kind: 'totp',
        label: label.slice(0, 64) || 'Authenticator app',
        sealedSecret: sealer.seal(seed, sealedSecretContext(userId, id)),
        algorithm: totp.algorithm,
        digits: totp.digits,
        period: totp.period,
        tokenSerial: null,
        createdAt: clock.now(),
        lastUsedAt: clock.now(),
      };
      await repository.insertMethod(method);
      await repository.advance(methodCounterKey(method), step);
      return { ok: true, method };
    },
  };
}

/** Key URI Format (Google Authenticator): otpauth://totp/Issuer:account?secret=…&issuer=…  */
export function otpauthUri(p: {
  issuer: string;
  accountName: string;
  secret: string;
  algorithm: string;
  digits: number;
  period: number;
}): string {
  const label = `${encodeURIComponent(p.issuer)}:${encodeURIComponent(p.accountName)}`;
  // Spaces as %20, not '+': several authenticator apps show a literal '+'.
  const query = [
    `secret=${p.secret}`,
    `issuer=${encodeURIComponent(p.issuer)}`,
    `algorithm=${p.algorithm.toUpperCase()}`,
    `digits=${p.digits}`,
    `period=${p.period}`,
  ].join('&');
  return `otpauth://totp/${label}?${query}`;
}
