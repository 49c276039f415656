// Recovery codes: `recoveryCodes.count` single-use codes of 50 random bits each
// (`xxxxx-xxxxx`), shown once, stored only as keyed hashes. Regenerating replaces the whole set.
import type { MethodServices } from '../method.ts';

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789'; // 32 symbols, no l/o/0/1
const PURPOSE = 'recovery-code';
export const RECOVERY_CODE_PATTERN = /^[a-z2-9]{5}-?[a-z2-9]{5}$/;

export function normalizeRecoveryCode(input: string): string {
  return input.trim().toLowerCase().replace(/[\s-]/g, '');
}

export interface RecoveryCodes {
  /** Returns the plain codes, to show once. */
  regenerate(userId: string): Promise<string[]>;
  /** Consumes a code atomically; true for the first use only. */
  consume(userId: string, code: string): Promise<boolean>;
  remaining(userId: string): Promise<number>;
}

export function createRecoveryCodes(
  services: Pick<MethodServices, 'repository' | 'hasher' | 'clock' | 'random' | 'options'>,
): RecoveryCodes {
  const { repository, hasher, clock, random } = services;
  const { count } = services.options.recoveryCodes;
  const material = (userId: string, code: string) => `${userId}\0${code}`;
  const makeCode = () => {
    const bytes = random.bytes(10);
    let s = '';
    for (const b of bytes) s += ALPHABET[b & 31];
    return `${s.slice(0, 5)}-${s.slice(5)}`;
  };
  return {
    async regenerate(userId) {
      const codes = Array.from({ length: count }, makeCode);
      const hashes = codes.map((c) => hasher.hash(PURPOSE, material(userId, normalizeRecoveryCode(c))));
      await repository.replaceRecoveryCodes(userId, hashes, clock.now());
      return codes;
    },
    async consume(userId, code) {
      const normalized = normalizeRecoveryCode(code);
      if (!/^[a-z2-9]{10}$/.test(normalized)) return false;
      for (const candidate of hasher.candidates(PURPOSE, material(userId, normalized))) {
        if (await repository.consumeRecoveryCode(userId, candidate, clock.now())) return true;
      }
      return false;
    },
    remaining: (userId) => repository.countRecoveryCodes(userId),
  };
}
