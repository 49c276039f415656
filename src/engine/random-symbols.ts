// Random strings over a small alphabet (Temporary Access Passes, app passwords): each symbol
// drawn from the engine's randomness by rejection sampling, so every symbol is exactly equally
// likely (no modulo bias).
import type { RandomSource } from './capabilities.ts';

/** `length` symbols drawn uniformly from `alphabet` (at most 256 symbols). */
export function randomSymbols(random: RandomSource, alphabet: string, length: number): string {
  // Bytes at or above the largest multiple of the alphabet size are drawn again.
  const acceptBelow = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of random.bytes(length - out.length)) {
      if (byte < acceptBelow) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}
