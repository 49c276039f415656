import type { Sealer } from '../crypto/seal.ts';
import type { Clock } from '../engine/capabilities.ts';
import { type MethodRecord, methodCounterKey, type Repository } from '../store/ports.ts';
import { hotpMatchCounter, totpMatchStep } from './otp.ts';

/**
 * Verifies a one-time code against a user's TOTP and HOTP methods (authenticator apps and
 * OATH hardware tokens) and consumes it atomically: a TOTP time step, or a HOTP counter,
 * is accepted at most once per method, and never one older than the last accepted.
 */
export type OtpCheck =
  | { ok: true; method: MethodRecord }
  | { ok: false; detail: 'no_otp_method' | 'code_mismatch' | 'replayed_step' | 'unknown_method' };

export const sealedSecretContext = (userId: string, methodId: string) => `method:${userId}:${methodId}`;

const OPENED_SEEDS_MAX = 10_000;

export interface OtpMethods {
  /** `allowed`: only these method ids may match (what the policies accept); others count as a mismatch. */
  check(userId: string, code: string, methodId?: string, allowed?: ReadonlySet<string>): Promise<OtpCheck>;
  /** Open a method's seed (for resynchronisation and tests). */
  seed(method: MethodRecord): Buffer;
}

export function createOtpMethods(deps: {
  repository: Repository;
  sealer: Sealer;
  clock: Clock;
  totpToleranceSteps: number;
  hotpLookAhead: number;
}): OtpMethods {
  const { repository, sealer, clock } = deps;
  // Opened seeds, by sealed value: opening (AES-GCM) costs more than the OTP check itself. The
  // process holds the sealing keys anyway; a sealed value never changes, so entries never go stale.
  const opened = new Map<string, Buffer>();
  const seed = (m: MethodRecord) => {
    const cacheKey = `${m.userId}\0${m.id}\0${m.sealedSecret}`;
    let value = opened.get(cacheKey);
    if (!value) {
      value = sealer.open(m.sealedSecret, sealedSecretContext(m.userId, m.id));
      if (opened.size >= OPENED_SEEDS_MAX) opened.delete(opened.keys().next().value ?? '');
      opened.set(cacheKey, value);
    }
    return value;
  };

  const matchOne = async (m: MethodRecord, code: string): Promise<number | null> => {
    if (code.length !== m.digits) return null;
    if (m.kind === 'totp') {
      return totpMatchStep(seed(m), code, {
        algorithm: m.algorithm,
        digits: m.digits,
        period: m.period,
        epochSeconds: Math.floor(clock.now() / 1000),
        toleranceSteps: deps.totpToleranceSteps,
      });
    }
    const last = (await repository.getCounter(methodCounterKey(m))) ?? -1;
    return hotpMatchCounter(seed(m), code, {
      algorithm: m.algorithm,
      digits: m.digits,
      from: last + 1,
      lookAhead: deps.hotpLookAhead,
    });
  };

  return {
    seed,
    async check(userId, code, methodId, allowed) {
      const all = (await repository.listMethods(userId, { lastUsed: false })).filter(
        (m) => (m.kind === 'totp' || m.kind === 'hotp') && (allowed === undefined || allowed.has(m.id)),
      );
      const methods = methodId === undefined ? all : all.filter((m) => m.id === methodId);
      if (methodId !== undefined && methods.length === 0) return { ok: false, detail: 'unknown_method' };
      if (methods.length === 0) return { ok: false, detail: 'no_otp_method' };
      let replayed = false;
      for (const m of methods) {
        const position = await matchOne(m, code);
        if (position === null) continue;
        // The atomic part: only the first submission of this step/counter moves it.
        if (
          await repository.recordUse({
            counterKey: methodCounterKey(m),
            value: position,
            methodId: m.id,
            at: clock.now(),
          })
        ) {
          return { ok: true, method: m };
        }
        replayed = true;
      }
      return { ok: false, detail: replayed ? 'replayed_step' : 'code_mismatch' };
    },
  };
}
