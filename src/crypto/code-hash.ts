// Keyed hashing for high-entropy one-time secrets (recovery codes, remembered-device cookies,
// Temporary Access Passes). An HMAC under a key derived from each sealing key: a stolen
// database alone does not let anyone test guesses offline. Hashes carry their key id, so every
// configured key can still verify after rotation.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { SealingKey } from './seal.ts';

/** Keyed hashes of secrets, each under a purpose (so one hash never stands for another kind of secret). */
export interface CodeHasher {
  /** Hash under the current key. */
  hash(purpose: string, value: string): string;
  /** Hashes under every configured key (current first), for look-ups after rotation. */
  candidates(purpose: string, value: string): string[];
  /** Constant-time check of `value` against a stored hash. */
  matches(purpose: string, value: string, stored: string): boolean;
}

export function createCodeHasher(keys: readonly SealingKey[]): CodeHasher {
  const derived = keys.map((k) => ({
    id: k.id,
    key: Buffer.from(hkdfSync('sha256', k.key, Buffer.alloc(0), 'mfakit code hashing', 32)),
  }));
  const hashWith = (k: { id: string; key: Buffer }, purpose: string, value: string) =>
    `${k.id}:${createHmac('sha256', k.key).update(purpose).update('\0').update(value).digest('base64url')}`;
  return {
    hash(purpose, value) {
      const first = derived[0];
      if (!first) throw new Error('no key');
      return hashWith(first, purpose, value);
    },
    candidates(purpose, value) {
      return derived.map((k) => hashWith(k, purpose, value));
    },
    matches(purpose, value, stored) {
      const keyId = stored.slice(0, stored.indexOf(':'));
      const k = derived.find((d) => d.id === keyId);
      if (!k) return false;
      return constantTimeEqual(hashWith(k, purpose, value), stored);
    },
  };
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}
