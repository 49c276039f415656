// HOTP generation (hotpCode) and matching (hotpMatchCounter), both on src's one RFC 4226
// computation, agree with otplib — the independent reference, which computed them at run time
// before — on random seeds of every accepted length, SHA-1/256/512, 6 and 8 digits, counters
// past 2^32 and up to 2^53 − 1: the same code, the lowest matching counter of a window (also
// windows longer than otplib's 99), none outside it; and the same guardrails.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { generateSync, verifySync } from '@otplib/hotp';
import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import { hotpCode, hotpMatchCounter, type OtpAlgorithm } from '../../../src/methods/otp/otp.ts';

const crypto = new NodeCryptoPlugin();
const ALGORITHMS: OtpAlgorithm[] = ['sha1', 'sha256', 'sha512'];
const SEED_LENGTHS = [16, 20, 32, 40, 64];
const EDGE_COUNTERS = [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 48 + 3];

type Params = { algorithm: OtpAlgorithm; digits: 6 | 8 };

const otplibCode = (seed: Uint8Array, counter: number, p: Params) =>
  generateSync({ secret: seed, crypto, algorithm: p.algorithm, digits: p.digits, counter });

/** otplib's verify over [from, from + lookAhead] (lookAhead ≤ 98, its cap). */
function otplibMatch(seed: Uint8Array, code: string, p: Params & { from: number; lookAhead: number }) {
  const r = verifySync({
    secret: seed,
    token: code,
    crypto,
    algorithm: p.algorithm,
    digits: p.digits,
    counter: p.from,
    counterTolerance: [0, p.lookAhead],
  });
  return r.valid ? p.from + r.delta : null;
}

/** Case i's parameters: every algorithm × digits × seed length, a random seed of that length. */
function caseOf(i: number) {
  const algorithm = ALGORITHMS[i % 3] as OtpAlgorithm;
  const digits: 6 | 8 = Math.floor(i / 3) % 2 ? 8 : 6;
  const seed = randomBytes(i % 7 === 6 ? randomInt(16, 65) : (SEED_LENGTHS[i % 5] as number));
  return { algorithm, digits, seed };
}

/** Edge counters, small ones, ones around 2^32 and up to 2^53 − 1. */
function counterOf(i: number): number {
  if (i < EDGE_COUNTERS.length) return EDGE_COUNTERS[i] as number;
  if (i % 4 === 0) return randomInt(0, 1000);
  if (i % 4 === 1) return 2 ** 32 + randomInt(-1000, 1000);
  return Math.floor(Math.random() * (Number.MAX_SAFE_INTEGER - 200));
}

describe('HOTP vs otplib', () => {
  it('generates the code otplib generates', () => {
    for (let i = 0; i < 600; i++) {
      const { seed, ...p } = caseOf(i);
      const counter = counterOf(i);
      const code = hotpCode(seed, { ...p, counter });
      assert.equal(code, otplibCode(seed, counter, p), `case ${i}: ${p.algorithm}/${p.digits}, ${counter}`);
      assert.match(code, p.digits === 8 ? /^\d{8}$/ : /^\d{6}$/);
    }
    const top = Number.MAX_SAFE_INTEGER;
    const seed = randomBytes(20);
    assert.equal(
      hotpCode(seed, { algorithm: 'sha1', digits: 8, counter: top }),
      otplibCode(seed, top, { algorithm: 'sha1', digits: 8 }),
    );
  });

  it('finds the counter otplib finds, inside the window and not outside it', () => {
    for (let i = 0; i < 300; i++) {
      const { seed, ...p } = caseOf(i);
      const from = counterOf(i);
      const lookAhead = i % 4 === 0 ? 0 : randomInt(0, 99);
      // A code from a few counters before the window to a few after it.
      const at = from + randomInt(Math.max(-3, -from), lookAhead + 4);
      const code = otplibCode(seed, at, p);
      const q = { ...p, from, lookAhead };
      const expected = otplibMatch(seed, code, q);
      assert.equal(hotpMatchCounter(seed, code, q), expected, `case ${i}: ${from}+${lookAhead}, at ${at}`);
      // otplib finds the lowest counter with this code: `at` itself unless an earlier one collides.
      if (at >= from && at <= from + lookAhead) assert.ok(expected !== null && expected <= at);
      // One digit changed: what otplib says about that code too.
      const other = `${code.slice(0, -1)}${(Number(code.at(-1)) + 1) % 10}`;
      assert.equal(hotpMatchCounter(seed, other, q), otplibMatch(seed, other, q), `case ${i}, altered`);
    }
  });

  it('a guessed code matches exactly when otplib matches it', () => {
    const seed = randomBytes(20);
    const p = { algorithm: 'sha1', digits: 6, from: 2 ** 32 - 5, lookAhead: 10 } as const;
    const window = new Set(Array.from({ length: 11 }, (_, k) => otplibCode(seed, p.from + k, p)));
    let hits = 0;
    for (let n = 0; n < 3000; n++) {
      const guess = n < 11 ? ([...window][n] ?? '') : String(randomInt(0, 1_000_000)).padStart(6, '0');
      const found = hotpMatchCounter(seed, guess, p);
      assert.equal(found !== null, window.has(guess), guess);
      assert.equal(found, otplibMatch(seed, guess, p), guess);
      if (found !== null) hits++;
    }
    assert.ok(hits >= 11);
  });

  it('searches windows longer than otplib’s in one go, lowest counter first', () => {
    // Deterministic seeds, so that the codes that repeat below are the same on every run.
    for (const algorithm of ALGORITHMS) {
      const seed = createHash('sha512').update(`hotp-window/${algorithm}`).digest().subarray(0, 20);
      const p = { algorithm, digits: 6 } as const;
      const from = 1000;
      const codes = Array.from({ length: 5001 }, (_, k) => otplibCode(seed, from + k, p));
      // Counters at and around otplib's old slice edges (50, 99) and the end of a long window.
      for (const k of [0, 49, 50, 51, 98, 99, 100, 101, 999, 1000, 5000]) {
        const code = codes[k] ?? '';
        assert.equal(
          hotpMatchCounter(seed, code, { ...p, from, lookAhead: 5000 }),
          from + codes.indexOf(code),
        );
        assert.equal(hotpMatchCounter(seed, code, { ...p, from: from + k, lookAhead: 0 }), from + k);
        if (k > 0 && !codes.slice(0, k).includes(code))
          assert.equal(hotpMatchCounter(seed, code, { ...p, from, lookAhead: k - 1 }), null);
      }
      // A 6-digit code that occurs twice in 5,001 counters (about a dozen do): the first counter
      // is found from the start, the second once the search starts past the first.
      const first = codes.findIndex((c, k) => codes.indexOf(c, k + 1) !== -1);
      assert.ok(first >= 0, 'a repeated code in the window');
      const code = codes[first] ?? '';
      const second = codes.indexOf(code, first + 1);
      assert.equal(hotpMatchCounter(seed, code, { ...p, from, lookAhead: 5000 }), from + first);
      assert.equal(
        hotpMatchCounter(seed, code, { ...p, from: from + first + 1, lookAhead: 5000 }),
        from + second,
      );
    }
  });

  it('a code that is not exactly `digits` ASCII digits matches nothing (otplib throws)', () => {
    const seed = randomBytes(20);
    for (const digits of [6, 8] as const) {
      const p = { algorithm: 'sha1', digits, from: 7, lookAhead: 20 } as const;
      const code = otplibCode(seed, 7, p);
      assert.equal(hotpMatchCounter(seed, code, p), 7);
      for (const bad of [
        code.slice(1),
        `${code}0`,
        ` ${code.slice(1)}`,
        `${code.slice(0, -1)}a`,
        `${code.slice(0, -1)}\n`,
        '１'.repeat(digits),
        '-'.concat(code.slice(1)),
        '',
      ]) {
        assert.equal(hotpMatchCounter(seed, bad, p), null, JSON.stringify(bad));
        assert.throws(() => otplibMatch(seed, bad, p));
      }
    }
  });

  it('refuses what otplib refuses: seeds under 16 or over 64 bytes, bad counters', () => {
    const p = { algorithm: 'sha1', digits: 6 } as const;
    for (const length of [0, 15, 65]) {
      const seed = randomBytes(length);
      assert.throws(() => hotpCode(seed, { ...p, counter: 0 }), RangeError);
      assert.throws(() => hotpMatchCounter(seed, '123456', { ...p, from: 0, lookAhead: 1 }), RangeError);
      assert.throws(() => otplibCode(seed, 0, p));
    }
    const seed = randomBytes(20);
    for (const counter of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      assert.throws(() => hotpCode(seed, { ...p, counter }), RangeError, String(counter));
      assert.throws(() => otplibCode(seed, counter, p), String(counter));
      assert.throws(
        () => hotpMatchCounter(seed, '123456', { ...p, from: counter, lookAhead: 0 }),
        RangeError,
      );
    }
    for (const lookAhead of [-1, 1.5, Number.NaN])
      assert.throws(() => hotpMatchCounter(seed, '123456', { ...p, from: 5, lookAhead }), RangeError);
    // A window that would run past 2^53 − 1.
    assert.throws(
      () => hotpMatchCounter(seed, '123456', { ...p, from: Number.MAX_SAFE_INTEGER, lookAhead: 1 }),
      RangeError,
    );
  });
});
