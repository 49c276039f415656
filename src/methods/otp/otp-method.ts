// The part of a one-time-password method that TOTP and HOTP share, written once: a typed code of
// 6–8 digits is checked against each candidate record (its own matcher finds the time step or
// counter it belongs to) and consumed atomically — the step or counter moves forward at most
// once, so a code is accepted once and never one older than the last accepted. A hardware
// token counts as `hardwareOath` (amr `otp hwk`), an app as `totp` (amr `otp`).
import type { AuthMethod } from '../../policy/model.ts';
import type { MethodRecord, OtpKind } from '../../store/ports.ts';
import { codeOf, type MethodEnrollment, type MethodServices, type SignInMethod } from '../method.ts';
import { createSeedOpener, type OtpData, otpDataOf, sealedSecretContext } from './otp-record.ts';

/** Finds the position (time step, counter) a code belongs to for one record, or null. */
export type OtpMatcher = (
  seed: Buffer,
  code: string,
  data: OtpData,
  record: MethodRecord,
) => Promise<number | null> | number | null;

const CODE = /^\d{6,8}$/;

export function createOtpMethod(
  services: MethodServices,
  spec: {
    kind: OtpKind;
    /** What a record of this kind is called when it is not a hardware token. */
    softwareDescription: string;
    match: OtpMatcher;
    enrollment?: MethodEnrollment;
  },
): SignInMethod {
  const { repository, sealer, clock } = services;
  const seedOf = createSeedOpener(sealer);
  const isToken = (record: MethodRecord) => otpDataOf(record).tokenSerial !== null;
  const strength = (record: MethodRecord): AuthMethod => (isToken(record) ? 'hardwareOath' : 'totp');
  const amr = (record: MethodRecord) => (isToken(record) ? ['otp', 'hwk'] : ['otp']);
  return {
    kind: spec.kind,
    provides: spec.kind === 'totp' ? ['totp', 'hardwareOath'] : ['hardwareOath'],
    keepsRecords: true,
    accepts: (input) => CODE.test(codeOf(input) ?? ''),
    async verify(_userId, input, candidates) {
      const code = codeOf(input) ?? '';
      let replayed = false;
      for (const record of candidates) {
        const data = otpDataOf(record);
        if (code.length !== data.digits || record.counterKey === null) continue;
        const position = await spec.match(seedOf(record, data), code, data, record);
        if (position === null) continue;
        // The atomic part: only the first submission of this step/counter moves it.
        if (
          await repository.recordUse({
            counterKey: record.counterKey,
            value: position,
            methodId: record.id,
            at: clock.now(),
          })
        )
          return { ok: true, record, amr: amr(record), strength: strength(record) };
        replayed = true;
      }
      return { ok: false, detail: replayed ? 'replayed_step' : 'code_mismatch' };
    },
    strength,
    amr,
    describe(record) {
      const { tokenSerial } = otpDataOf(record);
      return {
        description: tokenSerial !== null ? `Hardware token ${tokenSerial}` : spec.softwareDescription,
        details: { tokenSerial },
      };
    },
    released(record) {
      // A hardware token's counter stays with the token (keyed by serial), so a later holder cannot replay.
      const { tokenSerial } = otpDataOf(record);
      if (tokenSerial !== null) return { tokenSerial };
      return record.counterKey !== null ? { counterKey: record.counterKey } : {};
    },
    reseal(record, reseal) {
      const data = otpDataOf(record);
      return {
        ...data,
        sealedSecret: reseal(data.sealedSecret, sealedSecretContext(record.userId, record.id)),
      };
    },
    ...(spec.enrollment ? { enrollment: spec.enrollment } : {}),
  };
}
