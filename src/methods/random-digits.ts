// Six random digits, the one-time codes that methods send or show (a text message's code, a
// push app's confirmation code): drawn from the engine's randomness without modulo bias.
import type { RandomSource } from '../engine/capabilities.ts';

const CODE_SPACE = 1_000_000;
// The largest multiple of CODE_SPACE below 2^32: draws at or above it are redrawn (no modulo bias).
const UNBIASED_LIMIT = Math.floor(2 ** 32 / CODE_SPACE) * CODE_SPACE;

/** Six random digits. */
export function sixRandomDigits(random: RandomSource): string {
  for (;;) {
    const n = random.bytes(4).readUInt32BE(0);
    if (n < UNBIASED_LIMIT) return String(n % CODE_SPACE).padStart(6, '0');
  }
}
