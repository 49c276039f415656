import assert from 'node:assert/strict';
import { generateSync, verifySync } from '@otplib/hotp';
import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import {
  hotpCode,
  hotpMatchCounter,
  type OtpAlgorithm,
  totpCode,
  totpMatchStep,
} from '../../../src/methods/otp/otp.ts';

/** The published test vectors of RFC 4226 (HOTP) Appendix D and RFC 6238 (TOTP) Appendix B. */

const HOTP_SEED = Buffer.from('12345678901234567890', 'ascii');

// RFC 4226 Appendix D: HOTP values for counters 0..9, SHA-1, 6 digits.
const HOTP_VECTORS = [
  '755224',
  '287082',
  '359152',
  '969429',
  '338314',
  '254676',
  '287922',
  '162583',
  '399871',
  '520489',
];

// RFC 4226 Appendix D: the truncated values (DT(HMAC), 31 bits) of those counters, in hexadecimal
// and decimal; a code of d digits is the decimal value mod 10^d, so its 8-digit codes are these too.
const HOTP_TRUNCATED: [hex: string, decimal: number][] = [
  ['4c93cf18', 1284755224],
  ['41397eea', 1094287082],
  ['82fef30', 137359152],
  ['66ef7655', 1726969429],
  ['61c5938a', 1640338314],
  ['33c083d4', 868254676],
  ['7256c032', 1918287922],
  ['4e5b397', 82162583],
  ['2823443f', 673399871],
  ['2679dc69', 645520489],
];

const otplib = new NodeCryptoPlugin();

// RFC 6238 Appendix B: seeds are the ASCII strings of the reference implementation.
const TOTP_SEEDS: Record<OtpAlgorithm, Buffer> = {
  sha1: Buffer.from('12345678901234567890', 'ascii'),
  sha256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
};

const TOTP_VECTORS: { time: number; step: number; codes: Record<OtpAlgorithm, string> }[] = [
  { time: 59, step: 0x1, codes: { sha1: '94287082', sha256: '46119246', sha512: '90693936' } },
  { time: 1111111109, step: 0x23523ec, codes: { sha1: '07081804', sha256: '68084774', sha512: '25091201' } },
  { time: 1111111111, step: 0x23523ed, codes: { sha1: '14050471', sha256: '67062674', sha512: '99943326' } },
  { time: 1234567890, step: 0x273ef07, codes: { sha1: '89005924', sha256: '91819424', sha512: '93441116' } },
  { time: 2000000000, step: 0x3f940aa, codes: { sha1: '69279037', sha256: '90698825', sha512: '38618901' } },
  {
    time: 20000000000,
    step: 0x27bc86aa,
    codes: { sha1: '65353130', sha256: '77737706', sha512: '47863826' },
  },
];

const ALGORITHMS: OtpAlgorithm[] = ['sha1', 'sha256', 'sha512'];

describe('RFC 4226 Appendix D (HOTP)', () => {
  it('seed lengths are the RFC ones', () => {
    assert.equal(HOTP_SEED.length, 20);
    assert.equal(TOTP_SEEDS.sha1.length, 20);
    assert.equal(TOTP_SEEDS.sha256.length, 32);
    assert.equal(TOTP_SEEDS.sha512.length, 64);
  });

  HOTP_VECTORS.forEach((expected, counter) => {
    it(`counter ${counter} → ${expected}`, () => {
      assert.equal(hotpCode(HOTP_SEED, { algorithm: 'sha1', digits: 6, counter }), expected);
      // Found at its own counter when the search starts at 0 and covers all ten…
      assert.equal(
        hotpMatchCounter(HOTP_SEED, expected, { algorithm: 'sha1', digits: 6, from: 0, lookAhead: 9 }),
        counter,
      );
      // …and when the search starts exactly there with no look-ahead.
      assert.equal(
        hotpMatchCounter(HOTP_SEED, expected, { algorithm: 'sha1', digits: 6, from: counter, lookAhead: 0 }),
        counter,
      );
      // Never once the counter has moved past it (the window is forward only).
      assert.equal(
        hotpMatchCounter(HOTP_SEED, expected, {
          algorithm: 'sha1',
          digits: 6,
          from: counter + 1,
          lookAhead: 9 - counter,
        }),
        null,
      );
    });
  });

  HOTP_TRUNCATED.forEach(([hex, decimal], counter) => {
    const code6 = String(decimal % 1e6).padStart(6, '0');
    const code8 = String(decimal % 1e8).padStart(8, '0');
    it(`counter ${counter}, 8 digits → ${code8}; otplib agrees`, () => {
      assert.equal(Number.parseInt(hex, 16), decimal);
      assert.equal(code6, HOTP_VECTORS[counter]);
      assert.equal(hotpCode(HOTP_SEED, { algorithm: 'sha1', digits: 8, counter }), code8);
      assert.equal(
        hotpMatchCounter(HOTP_SEED, code8, { algorithm: 'sha1', digits: 8, from: 0, lookAhead: 9 }),
        counter,
      );
      // A 6-digit code is not an 8-digit one's suffix as far as matching goes.
      assert.equal(
        hotpMatchCounter(HOTP_SEED, code6, { algorithm: 'sha1', digits: 8, from: 0, lookAhead: 9 }),
        null,
      );
      // The reference the tests hold src against (test/methods/otp/hotp-match) gets the RFC's values.
      for (const [digits, code] of [
        [6, code6],
        [8, code8],
      ] as const) {
        assert.equal(generateSync({ secret: HOTP_SEED, crypto: otplib, digits, counter }), code);
        const r = verifySync({
          secret: HOTP_SEED,
          crypto: otplib,
          digits,
          token: code,
          counter: 0,
          counterTolerance: [0, 9],
        });
        assert.deepEqual(r, { valid: true, delta: counter });
      }
    });
  });

  it('the look-ahead bounds the search', () => {
    const code9 = HOTP_VECTORS[9] ?? '';
    assert.equal(
      hotpMatchCounter(HOTP_SEED, code9, { algorithm: 'sha1', digits: 6, from: 0, lookAhead: 8 }),
      null,
    );
    assert.equal(
      hotpMatchCounter(HOTP_SEED, code9, { algorithm: 'sha1', digits: 6, from: 0, lookAhead: 9 }),
      9,
    );
  });

  it('refuses a code that differs in one digit', () => {
    assert.equal(
      hotpMatchCounter(HOTP_SEED, '755225', { algorithm: 'sha1', digits: 6, from: 0, lookAhead: 0 }),
      null,
    );
  });
});

describe('RFC 6238 Appendix B (TOTP, 8 digits, 30 s)', () => {
  for (const { time, step, codes } of TOTP_VECTORS) {
    for (const algorithm of ALGORITHMS) {
      const expected = codes[algorithm];
      const seed = TOTP_SEEDS[algorithm];
      it(`${algorithm.toUpperCase()} at T=${time} → ${expected}`, () => {
        const p = { algorithm, digits: 8 as const, period: 30 };
        assert.equal(totpCode(seed, { ...p, epochSeconds: time }), expected);
        assert.equal(totpMatchStep(seed, expected, { ...p, epochSeconds: time, toleranceSteps: 0 }), step);
        assert.equal(step, Math.floor(time / 30));
        // One step later it still maps to its own step within a tolerance of one, and not without.
        assert.equal(
          totpMatchStep(seed, expected, { ...p, epochSeconds: time + 30, toleranceSteps: 1 }),
          step,
        );
        assert.equal(
          totpMatchStep(seed, expected, { ...p, epochSeconds: time + 30, toleranceSteps: 0 }),
          null,
        );
      });
    }
  }
});
