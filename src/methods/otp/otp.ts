// The RFC 4226 (HOTP) and RFC 6238 (TOTP) arithmetic, over raw seed bytes, via otplib 13.
// Pure functions: replay protection (consuming a step or counter) is the caller's job.
import { generateSync as hotpGenerate, verifySync as hotpVerify } from '@otplib/hotp';
import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import { generateSync as totpGenerate, verifySync as totpVerify } from '@otplib/totp';

export type OtpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface OtpParameters {
  algorithm: OtpAlgorithm;
  digits: 6 | 8;
}

const crypto = new NodeCryptoPlugin();

export function totpCode(
  seed: Uint8Array,
  p: OtpParameters & { period: number; epochSeconds: number },
): string {
  return totpGenerate({
    secret: seed,
    crypto,
    algorithm: p.algorithm,
    digits: p.digits,
    period: p.period,
    epoch: p.epochSeconds,
  });
}

/**
 * Finds the time step a TOTP code belongs to, within ±`toleranceSteps` of now.
 * Returns null when it matches none. Comparison is constant-time (otplib).
 */
export function totpMatchStep(
  seed: Uint8Array,
  code: string,
  p: OtpParameters & { period: number; epochSeconds: number; toleranceSteps: number },
): number | null {
  const result = totpVerify({
    secret: seed,
    token: code,
    crypto,
    algorithm: p.algorithm,
    digits: p.digits,
    period: p.period,
    epoch: p.epochSeconds,
    epochTolerance: p.toleranceSteps * p.period,
  });
  return result.valid ? result.timeStep : null;
}

export function hotpCode(seed: Uint8Array, p: OtpParameters & { counter: number }): string {
  return hotpGenerate({ secret: seed, crypto, algorithm: p.algorithm, digits: p.digits, counter: p.counter });
}

/**
 * Finds the counter a HOTP code belongs to in [from, from + lookAhead].
 * Returns null when it matches none.
 */
export function hotpMatchCounter(
  seed: Uint8Array,
  code: string,
  p: OtpParameters & { from: number; lookAhead: number },
): number | null {
  // otplib checks at most 99 counters per call; search longer windows in slices, in order.
  const end = p.from + p.lookAhead;
  for (let from = p.from; from <= end; from += HOTP_SLICE) {
    const result = hotpVerify({
      secret: seed,
      token: code,
      crypto,
      algorithm: p.algorithm,
      digits: p.digits,
      counter: from,
      counterTolerance: [0, Math.min(HOTP_SLICE - 1, end - from)],
    });
    if (result.valid) return from + result.delta;
  }
  return null;
}

const HOTP_SLICE = 50;
