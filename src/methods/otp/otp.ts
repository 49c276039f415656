// The RFC 4226 (HOTP) and RFC 6238 (TOTP) arithmetic, over raw seed bytes, via otplib 13 (the
// TOTP check, run on every sign-in, on node:crypto directly: see totpMatchStep).
// Pure functions: replay protection (consuming a step or counter) is the caller's job.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { generateSync as hotpGenerate, verifySync as hotpVerify } from '@otplib/hotp';
import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import { generateSync as totpGenerate } from '@otplib/totp';

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
 * Finds the time step a TOTP code belongs to, within ±`toleranceSteps` of now (oldest first,
 * the first that matches, as otplib's verify). Returns null when it matches none, or when the
 * code is not `digits` decimal digits. Comparison is constant-time (timingSafeEqual).
 *
 * Written on node:crypto rather than through otplib's verify, which every sign-in runs: otplib
 * re-validates its options, re-encodes both codes and allocates per candidate step, about half
 * of its cost (npm run bench). RFC 4226 §5.3 below; test/methods/otp/rfc-vectors and
 * totp-match check it against the RFCs' vectors and against otplib.
 */
export function totpMatchStep(
  seed: Uint8Array,
  code: string,
  p: OtpParameters & { period: number; epochSeconds: number; toleranceSteps: number },
): number | null {
  // otplib's guardrails, kept: a seed of 16–64 bytes, a whole positive period.
  if (seed.length < 16 || seed.length > 64) throw new RangeError('totp: the seed must be 16–64 bytes');
  if (!Number.isSafeInteger(p.period) || p.period < 1) throw new RangeError('totp: bad period');
  if (code.length !== p.digits || !DIGITS.test(code)) return null;
  const given = Buffer.from(code, 'latin1');
  const now = Math.floor(p.epochSeconds / p.period);
  const first = Math.max(0, now - p.toleranceSteps);
  for (let step = first; step <= now + p.toleranceSteps; step++) {
    if (timingSafeEqual(hotpDigits(seed, step, p), given)) return step;
  }
  return null;
}

const DIGITS = /^[0-9]+$/;

/** RFC 4226 §5.3: the `digits`-digit HOTP value of `counter`, as the ASCII bytes of its digits. */
function hotpDigits(key: Uint8Array, counter: number, p: OtpParameters): Buffer {
  const message = Buffer.alloc(8);
  message.writeUInt32BE(Math.floor(counter / 2 ** 32), 0);
  message.writeUInt32BE(counter % 2 ** 32, 4);
  const mac = createHmac(p.algorithm, key).update(message).digest();
  const offset = mac.readUInt8(mac.length - 1) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return Buffer.from(String(binary % 10 ** p.digits).padStart(p.digits, '0'), 'latin1');
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
