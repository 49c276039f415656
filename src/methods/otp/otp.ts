// The RFC 4226 (HOTP) and RFC 6238 (TOTP) arithmetic, over raw seed bytes, on node:crypto: one
// HOTP computation (hotpDigits) under every code made and checked, TOTP and HOTP alike.
// otplib, which computed them before, stays as the tests' independent reference
// (test/methods/otp/), beside the RFCs' vectors and oathtool.
// Pure functions: replay protection (consuming a step or counter) is the caller's job.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type OtpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface OtpParameters {
  algorithm: OtpAlgorithm;
  digits: 6 | 8;
}

export function totpCode(
  seed: Uint8Array,
  p: OtpParameters & { period: number; epochSeconds: number },
): string {
  checkSeed(seed);
  checkPeriod(p.period);
  if (!Number.isFinite(p.epochSeconds) || p.epochSeconds < 0)
    throw new RangeError('totp: the time must be a finite number of seconds ≥ 0');
  return hotpDigits(seed, Math.floor(p.epochSeconds / p.period), p).toString('latin1');
}

/**
 * Finds the time step a TOTP code belongs to, within ±`toleranceSteps` of now (oldest first,
 * the first that matches, as otplib's verify). Returns null when it matches none, or when the
 * code is not `digits` decimal digits. Comparison is constant-time (timingSafeEqual).
 *
 * Every sign-in runs this: otplib's verify, which it replaced, re-validated its options,
 * re-encoded both codes and allocated per candidate step, about half of its cost (npm run
 * bench). test/methods/otp/rfc-vectors and totp-match check it against the RFCs' vectors and
 * against otplib.
 */
export function totpMatchStep(
  seed: Uint8Array,
  code: string,
  p: OtpParameters & { period: number; epochSeconds: number; toleranceSteps: number },
): number | null {
  checkSeed(seed);
  checkPeriod(p.period);
  if (!isCode(code, p.digits)) return null;
  const given = Buffer.from(code, 'latin1');
  const now = Math.floor(p.epochSeconds / p.period);
  const first = Math.max(0, now - p.toleranceSteps);
  for (let step = first; step <= now + p.toleranceSteps; step++) {
    if (timingSafeEqual(hotpDigits(seed, step, p), given)) return step;
  }
  return null;
}

export function hotpCode(seed: Uint8Array, p: OtpParameters & { counter: number }): string {
  checkSeed(seed);
  return hotpDigits(seed, p.counter, p).toString('latin1');
}

/**
 * Finds the counter a HOTP code belongs to in [from, from + lookAhead]: the lowest that
 * matches, or null when none does or the code is not `digits` decimal digits. Comparison is
 * constant-time (timingSafeEqual). test/methods/otp/rfc-vectors and hotp-match check it against
 * RFC 4226's vectors and against otplib's verify.
 */
export function hotpMatchCounter(
  seed: Uint8Array,
  code: string,
  p: OtpParameters & { from: number; lookAhead: number },
): number | null {
  checkSeed(seed);
  const end = p.from + p.lookAhead;
  if (!isCounter(p.from) || !isCounter(p.lookAhead) || !isCounter(end))
    throw new RangeError('hotp: from and lookAhead must be safe integers ≥ 0');
  if (!isCode(code, p.digits)) return null;
  const given = Buffer.from(code, 'latin1');
  for (let counter = p.from; counter <= end; counter++) {
    if (timingSafeEqual(hotpDigits(seed, counter, p), given)) return counter;
  }
  return null;
}

/**
 * RFC 4226 §5.3, the one place it is computed: the `digits`-digit HOTP value of `counter`
 * (an 8-byte big-endian integer), as the ASCII bytes of its digits.
 */
function hotpDigits(key: Uint8Array, counter: number, p: OtpParameters): Buffer {
  if (!isCounter(counter)) throw new RangeError('otp: the counter must be a safe integer ≥ 0');
  const message = Buffer.alloc(8);
  message.writeUInt32BE(Math.floor(counter / 2 ** 32), 0);
  message.writeUInt32BE(counter % 2 ** 32, 4);
  const mac = createHmac(p.algorithm, key).update(message).digest();
  const offset = mac.readUInt8(mac.length - 1) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return Buffer.from(String(binary % 10 ** p.digits).padStart(p.digits, '0'), 'latin1');
}

// otplib's guardrails, kept: a seed of 16–64 bytes, a whole positive period, counters that are
// safe integers ≥ 0; a code that is not exactly `digits` ASCII digits matches nothing.
function checkSeed(seed: Uint8Array): void {
  if (seed.length < 16 || seed.length > 64) throw new RangeError('otp: the seed must be 16–64 bytes');
}

function checkPeriod(period: number): void {
  if (!Number.isSafeInteger(period) || period < 1) throw new RangeError('totp: bad period');
}

const isCounter = (n: number) => Number.isSafeInteger(n) && n >= 0;

const DIGITS = /^[0-9]+$/;
const isCode = (code: string, digits: number) => code.length === digits && DIGITS.test(code);
