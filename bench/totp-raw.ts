// The baseline of the TOTP benchmarks: raw otplib verification (no store, no replay guard) of
// a code for consecutive time steps, as fast as one thread runs it.
import { NodeCryptoPlugin } from '@otplib/plugin-crypto-node';
import { verifySync } from '@otplib/totp';
import { totpCode } from '../src/methods/otp/otp.ts';

const crypto = new NodeCryptoPlugin();
export const STEP_MS = 30_000;

/** The 6-digit SHA-1 code of `seed` at `ms`. */
export const totpAt = (seed: Uint8Array, ms: number) =>
  totpCode(seed, { algorithm: 'sha1', digits: 6, period: 30, epochSeconds: Math.floor(ms / 1000) });

/**
 * Raw otplib verification of `n` codes made beforehand for the steps after `startMs`: call the
 * result with i in 0..n-1 (it throws if a code does not verify).
 */
export function rawTotpVerifier(seed: Uint8Array, startMs: number, n: number): (i: number) => void {
  const codes = Array.from({ length: n }, (_, i) => totpAt(seed, startMs + i * STEP_MS));
  return (i) => {
    const r = verifySync({
      secret: seed,
      token: codes[i % n] ?? '',
      crypto,
      epoch: Math.floor((startMs + (i % n) * STEP_MS) / 1000),
      epochTolerance: 30,
    });
    if (!r.valid) throw new Error('raw verify failed');
  };
}
