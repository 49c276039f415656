// TOTP codes (totpCode) are otplib's, and the TOTP check (totpMatchStep) agrees with otplib's
// verify — the reference both replaced at run time — for every algorithm, length, period and tolerance: the same
// step for a code inside the window, none outside it, near the epoch too; and a code that is not
// all digits of the right length matches nothing rather than failing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import { generateSync, verifySync } from '@otplib/totp';
import { type OtpAlgorithm, totpCode, totpMatchStep } from '../../../src/methods/otp/otp.ts';

const crypto = new NodeCryptoPlugin();
const ALGORITHMS: OtpAlgorithm[] = ['sha1', 'sha256', 'sha512'];
/** An authenticator app's usual parameters, at a fixed time, with one step either side. */
const AUTHENTICATOR_APP = {
  algorithm: 'sha1',
  digits: 6,
  period: 30,
  epochSeconds: 1_800_000_000,
  toleranceSteps: 1,
} as const;

function otplibStep(
  seed: Uint8Array,
  code: string,
  p: { algorithm: OtpAlgorithm; digits: 6 | 8; period: number; epochSeconds: number; toleranceSteps: number },
): number | null {
  const r = verifySync({
    secret: seed,
    token: code,
    crypto,
    algorithm: p.algorithm,
    digits: p.digits,
    period: p.period,
    epoch: p.epochSeconds,
    epochTolerance: p.toleranceSteps * p.period,
  });
  return r.valid ? r.timeStep : null;
}

const otplibCode = (
  seed: Uint8Array,
  p: { algorithm: OtpAlgorithm; digits: 6 | 8; period: number; epochSeconds: number },
) =>
  generateSync({
    secret: seed,
    crypto,
    algorithm: p.algorithm,
    digits: p.digits,
    period: p.period,
    epoch: p.epochSeconds,
  });

describe('TOTP code vs otplib generate', () => {
  it('makes the code otplib makes, for every algorithm, length, period and seed length', () => {
    for (let i = 0; i < 400; i++) {
      const p = {
        algorithm: ALGORITHMS[i % 3] as OtpAlgorithm,
        digits: Math.floor(i / 3) % 2 ? 8 : 6,
        period: [30, 60, 15, 1, 120][i % 5] as number,
        // Now, the epoch, fractions of a second, and times past 2^32 steps of one second.
        epochSeconds: [1_700_000_000 + i * 7919, i, i + 0.75, 2 ** 32 + i * 104_729][i % 4] as number,
      } as const;
      const seed = randomBytes(16 + (i % 49));
      assert.equal(totpCode(seed, p), otplibCode(seed, p), `case ${i}`);
    }
  });

  it('refuses what otplib refuses: a short or long seed, a bad period, a bad time', () => {
    type Params = { algorithm: OtpAlgorithm; digits: 6 | 8; period: number; epochSeconds: number };
    const p: Params = { algorithm: 'sha1', digits: 6, period: 30, epochSeconds: 1_800_000_000 };
    const bad: [Uint8Array, Params][] = [
      [randomBytes(15), p],
      [randomBytes(65), p],
      [randomBytes(20), { ...p, period: 0 }],
      [randomBytes(20), { ...p, period: 1.5 }],
      [randomBytes(20), { ...p, period: -30 }],
      [randomBytes(20), { ...p, epochSeconds: -1 }],
      [randomBytes(20), { ...p, epochSeconds: Number.NaN }],
      [randomBytes(20), { ...p, epochSeconds: Number.POSITIVE_INFINITY }],
    ];
    for (const [seed, q] of bad) {
      assert.throws(() => totpCode(seed, q), RangeError, JSON.stringify(q));
      assert.throws(() => otplibCode(seed, q), JSON.stringify(q));
    }
  });
});

describe('TOTP check vs otplib verify', () => {
  it('finds the same step as otplib for codes inside and outside the window', () => {
    for (let i = 0; i < 300; i++) {
      const algorithm = ALGORITHMS[i % 3] as OtpAlgorithm;
      const digits = i % 2 ? 8 : 6;
      const period = [30, 60, 15][i % 3] as number;
      const toleranceSteps = i % 4;
      const seed = randomBytes(16 + (i % 49));
      const epochSeconds = 1_700_000_000 + i * 7919;
      // A code from up to 5 steps either side of now: inside the window or not.
      const offset = (i % 11) - 5;
      const code = totpCode(seed, {
        algorithm,
        digits,
        period,
        epochSeconds: epochSeconds + offset * period,
      });
      const p = { algorithm, digits, period, epochSeconds, toleranceSteps } as const;
      const expected = otplibStep(seed, code, p);
      assert.equal(totpMatchStep(seed, code, p), expected, `case ${i}`);
      if (Math.abs(offset) <= toleranceSteps)
        assert.equal(expected, Math.floor(epochSeconds / period) + offset);
      else assert.equal(expected, null);
    }
  });

  it('a guessed code is refused as otplib refuses it', () => {
    const seed = randomBytes(20);
    const p = AUTHENTICATOR_APP;
    const now = Math.floor(p.epochSeconds / 30);
    const window = new Set([-1, 0, 1].map((d) => totpCode(seed, { ...p, epochSeconds: (now + d) * 30 })));
    for (let n = 0; n < 2000; n++) {
      const guess = String(n * 499).padStart(6, '0');
      assert.equal(totpMatchStep(seed, guess, p) !== null, window.has(guess));
      assert.equal(totpMatchStep(seed, guess, p), otplibStep(seed, guess, p));
    }
  });

  it('near the epoch the window starts at step 0, as with otplib', () => {
    const seed = randomBytes(20);
    const p = { algorithm: 'sha256', digits: 8, period: 30, epochSeconds: 10, toleranceSteps: 2 } as const;
    const code = totpCode(seed, { ...p, epochSeconds: 0 });
    assert.equal(totpMatchStep(seed, code, p), 0);
    assert.equal(otplibStep(seed, code, p), 0);
  });

  it('a code of the wrong length or with anything but digits matches nothing', () => {
    const seed = randomBytes(20);
    const p = AUTHENTICATOR_APP;
    const code = totpCode(seed, p);
    assert.equal(totpMatchStep(seed, code, p), Math.floor(p.epochSeconds / 30));
    for (const bad of [
      code.slice(1),
      `${code}0`,
      ` ${code.slice(1)}`,
      `${code.slice(0, 5)}a`,
      '１２３４５６',
      '',
    ])
      assert.equal(totpMatchStep(seed, bad, p), null, JSON.stringify(bad));
  });

  it('refuses seeds otplib refuses (under 16 or over 64 bytes)', () => {
    const p = AUTHENTICATOR_APP;
    assert.throws(() => totpMatchStep(randomBytes(15), '123456', p), RangeError);
    assert.throws(() => totpMatchStep(randomBytes(65), '123456', p), RangeError);
  });
});
