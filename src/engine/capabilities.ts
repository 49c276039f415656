// The capabilities the engine is given rather than reaching for: a clock and a source of
// randomness (the system's by default; tests inject their own to control time exactly and make
// ids deterministic), and the random identifiers drawn from it.
import { randomBytes } from 'node:crypto';

/** A source of time, injected so tests control it exactly. Milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

/** A source of randomness, injected so tests can make it deterministic. */
export interface RandomSource {
  bytes(length: number): Buffer;
}

export const systemClock: Clock = { now: () => Date.now() };
export const cryptoRandom: RandomSource = { bytes: (length) => randomBytes(length) };

/** A url-safe random identifier with `bytes` bytes of entropy. */
export function randomId(random: RandomSource, bytes = 24): string {
  return random.bytes(bytes).toString('base64url');
}
