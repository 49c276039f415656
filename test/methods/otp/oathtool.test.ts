import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createMemoryStores } from '../../../adapters/memory/index.ts';
import { createMfa, type MfaOptions } from '../../../src/index.ts';
import { base32Decode } from '../../../src/methods/otp/base32.ts';
import {
  hotpCode,
  hotpMatchCounter,
  type OtpAlgorithm,
  totpCode,
  totpMatchStep,
} from '../../../src/methods/otp/otp.ts';
import { totpSecretOf } from '../../helpers/totp-now.ts';

/**
 * Cross-checks against an independent implementation: OATH Toolkit's `oathtool` (Debian
 * package `oathtool`). Under CI=true a missing binary fails the suite; elsewhere it skips.
 */

const OATHTOOL = 'oathtool';
const inCi = (() => {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
})();

function oathtoolAvailable(): boolean {
  try {
    execFileSync(OATHTOOL, ['--version'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

function oathtool(args: string[]): string {
  return execFileSync(OATHTOOL, args, { encoding: 'utf8', timeout: 5000 }).trim();
}

/** `--now` value oathtool (gnulib parse_datetime) reads unambiguously: "2009-02-13 23:31:30 UTC". */
const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** Deterministic seeds of the given length (not the RFC ones, so both implementations see fresh input). */
const seedOf = (label: string, length: number) =>
  createHash('sha512').update(label).digest().subarray(0, length);

const ALGORITHMS: OtpAlgorithm[] = ['sha1', 'sha256', 'sha512'];
const SEED_BYTES: Record<OtpAlgorithm, number[]> = { sha1: [20, 16], sha256: [32, 20], sha512: [64, 40] };
const TIMES = [59, 1111111109, 1234567890, 1700000015, 2000000000, 4102444799];

describe('oathtool cross-check', function () {
  this.timeout(60_000);

  before(function () {
    if (oathtoolAvailable()) return;
    if (inCi)
      throw new Error('oathtool is not installed (Debian package oathtool); it is required when CI=true');
    this.skip();
  });

  describe('TOTP codes equal oathtool --totp', () => {
    for (const algorithm of ALGORITHMS) {
      for (const seedBytes of SEED_BYTES[algorithm]) {
        for (const digits of [6, 8] as const) {
          for (const period of [30, 60]) {
            it(`${algorithm}, ${seedBytes}-byte seed, ${digits} digits, ${period} s`, () => {
              const seed = seedOf(`${algorithm}/${seedBytes}`, seedBytes);
              for (const time of TIMES) {
                const expected = oathtool([
                  `--totp=${algorithm}`,
                  `--digits=${digits}`,
                  `--time-step-size=${period}s`,
                  `--now=${utc(time * 1000)}`,
                  seed.toString('hex'),
                ]);
                assert.match(expected, new RegExp(`^\\d{${digits}}$`));
                const p = { algorithm, digits, period };
                assert.equal(totpCode(seed, { ...p, epochSeconds: time }), expected, `T=${time}`);
                assert.equal(
                  totpMatchStep(seed, expected, { ...p, epochSeconds: time, toleranceSteps: 0 }),
                  Math.floor(time / period),
                  `T=${time}`,
                );
              }
            });
          }
        }
      }
    }

    it('the RFC 6238 SHA-256 seed at T=1234567890 (sanity check of the harness)', () => {
      const seed = Buffer.from('12345678901234567890123456789012', 'ascii');
      const now = utc(1234567890 * 1000);
      assert.equal(now, '2009-02-13 23:31:30 UTC');
      assert.equal(
        oathtool(['--totp=sha256', '--digits=8', `--now=${now}`, seed.toString('hex')]),
        '91819424',
      );
    });
  });

  describe('HOTP codes equal oathtool --hotp', () => {
    const counters = [0, 1, 9, 10, 255, 256, 65_535, 1_000_000, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7];
    for (const seedBytes of [16, 20, 32]) {
      for (const digits of [6, 8] as const) {
        it(`${seedBytes}-byte seed, ${digits} digits`, () => {
          const seed = seedOf(`hotp/${seedBytes}`, seedBytes);
          for (const counter of counters) {
            const expected = oathtool([
              '--hotp',
              `--digits=${digits}`,
              '-c',
              String(counter),
              seed.toString('hex'),
            ]);
            assert.equal(
              hotpCode(seed, { algorithm: 'sha1', digits, counter }),
              expected,
              `counter ${counter}`,
            );
            assert.equal(
              hotpMatchCounter(seed, expected, { algorithm: 'sha1', digits, from: counter, lookAhead: 0 }),
              counter,
              `counter ${counter}`,
            );
          }
        });
      }
    }

    it('a window longer than otplib’s 99 counters maps to the first counter of each code', () => {
      const seed = seedOf('hotp/long-window', 20);
      const from = 2 ** 32 - 100;
      const codes = oathtool(['--hotp', '-c', String(from), '-w', '300', seed.toString('hex')]).split('\n');
      assert.equal(codes.length, 301);
      codes.forEach((code, i) => {
        assert.equal(
          hotpMatchCounter(seed, code, { algorithm: 'sha1', digits: 6, from, lookAhead: 300 }),
          from + codes.indexOf(code),
        );
        assert.equal(
          hotpMatchCounter(seed, code, { algorithm: 'sha1', digits: 6, from: from + i, lookAhead: 0 }),
          from + i,
        );
      });
    });

    it('a window of oathtool codes maps to their counters', () => {
      const seed = seedOf('hotp/window', 20);
      // `-w 5` prints the codes for counters c..c+5.
      const codes = oathtool(['--hotp', '-c', '100', '-w', '5', seed.toString('hex')]).split('\n');
      assert.equal(codes.length, 6);
      codes.forEach((code, i) => {
        assert.equal(
          hotpMatchCounter(seed, code, { algorithm: 'sha1', digits: 6, from: 100, lookAhead: 5 }),
          100 + i,
        );
      });
    });
  });

  describe('oathtool codes work in a full mfakit flow', () => {
    const flows: {
      name: string;
      totp: NonNullable<MfaOptions['totp']>;
      algorithm: OtpAlgorithm;
      digits: 6 | 8;
      period: number;
    }[] = [
      { name: 'defaults (SHA1, 6 digits, 30 s)', totp: {}, algorithm: 'sha1', digits: 6, period: 30 },
      {
        name: 'SHA256, 8 digits, 60 s',
        totp: { algorithm: 'sha256', digits: 8, period: 60 },
        algorithm: 'sha256',
        digits: 8,
        period: 60,
      },
      {
        name: 'SHA512, 6 digits, 30 s',
        totp: { algorithm: 'sha512', digits: 6, period: 30 },
        algorithm: 'sha512',
        digits: 6,
        period: 30,
      },
    ];

    for (const flow of flows) {
      it(`enrol, sign in and step up with oathtool codes: ${flow.name}`, async () => {
        let now = Date.UTC(2025, 2, 14, 9, 26, 5);
        const clock = { now: () => now };
        const mfa = createMfa({
          stores: createMemoryStores({ clock }),
          clock,
          issuer: 'Test',
          sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 7) }],
          audit: () => {},
          lockout: { backoffBaseMs: 0 },
          totp: flow.totp,
        });
        const ctx = { ip: '198.51.100.7' };
        const toolArgs = [
          `--totp=${flow.algorithm}`,
          `--digits=${flow.digits}`,
          `--time-step-size=${flow.period}s`,
        ];
        const fromHex = (hex: string) => oathtool([...toolArgs, `--now=${utc(now)}`, hex]);
        const fromBase32 = (b32: string) => oathtool([...toolArgs, `--now=${utc(now)}`, '-b', b32]);

        const draft = await mfa.enrollment.begin('totp', 'alice', 'alice@example.com');
        assert.equal(draft.fields.algorithm, flow.algorithm.toUpperCase());
        assert.equal(draft.fields.digits, flow.digits);
        assert.equal(draft.fields.period, flow.period);
        assert.match(String(draft.fields.uri), new RegExp(`secret=${totpSecretOf(draft)}&`));
        const hex = base32Decode(totpSecretOf(draft)).toString('hex');
        assert.equal(hex.length, 40, '160-bit seed');

        // Enrollment: oathtool reads the same secret from hex and from base32.
        const enrolCode = fromHex(hex);
        assert.equal(fromBase32(totpSecretOf(draft)), enrolCode);
        const confirmed = await mfa.enrollment.confirm(
          'totp',
          'alice',
          draft.draftId,
          { code: enrolCode },
          'Phone',
          ctx,
        );
        assert.ok(confirmed.ok, 'oathtool code confirms the enrollment');

        // The enrollment code's time step is consumed: it cannot sign in.
        const start = await mfa.beginSignIn({ userId: 'alice', amr: ['pwd'], ip: ctx.ip });
        assert.equal(start.status, 'mfa');
        if (start.status !== 'mfa') return;
        assert.equal(start.pending.mustEnroll, false);
        assert.deepEqual(await mfa.verifyPending(start.pending.id, { code: enrolCode }, ctx), {
          ok: false,
          error: 'invalid_code',
        });

        // Two time steps later, a fresh oathtool code signs in.
        now += 2 * flow.period * 1000;
        const signInCode = fromBase32(totpSecretOf(draft));
        assert.notEqual(signInCode, enrolCode);
        const signedIn = await mfa.verifyPending(start.pending.id, { code: signInCode }, ctx);
        assert.ok(signedIn.ok, 'oathtool code signs in');
        if (!signedIn.ok) return;
        assert.deepEqual(signedIn.stamp.amr, ['pwd', 'otp', 'mfa']);
        assert.equal(signedIn.stamp.mfaAt, now);

        // Replayed (same step) at step-up: refused.
        now += 1000;
        assert.deepEqual(await mfa.stepUp(signedIn.stamp, { code: signInCode }, ctx), {
          ok: false,
          error: 'invalid_code',
        });
        // A code from three steps in the future: refused (tolerance is one step).
        const future = oathtool([...toolArgs, `--now=${utc(now + 3 * flow.period * 1000)}`, hex]);
        assert.deepEqual(await mfa.stepUp(signedIn.stamp, { code: future }, ctx), {
          ok: false,
          error: 'invalid_code',
        });

        // The next step's oathtool code: accepted, and mfaAt renewed.
        now += flow.period * 1000;
        const stepUpCode = fromHex(hex);
        const stepped = await mfa.stepUp(signedIn.stamp, { code: stepUpCode }, ctx);
        assert.ok(stepped.ok, 'oathtool code steps up');
        if (!stepped.ok) return;
        assert.equal(stepped.stamp.mfaAt, now);
        // …and once only.
        assert.deepEqual(await mfa.stepUp(stepped.stamp, { code: stepUpCode }, ctx), {
          ok: false,
          error: 'invalid_code',
        });
      });
    }
  });
});
