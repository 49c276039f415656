// The codes sent at sign-in and step-up, issued and checked: one per binding (a pending
// sign-in, a session's step-up) and method, kept hashed in the ephemeral store under both, so a
// code sent for one sign-in never verifies another, and a newer send replaces the older code.
// A code lasts `phone.codeLifetimeSeconds` and is accepted once: the first matching submission
// consumes the send's id atomically (consumeOnce), so of fifty racing submissions one succeeds.
import { randomId } from '../../engine/capabilities.ts';
import type { MethodRecord } from '../../store/ports.ts';
import type { MethodServices } from '../method.ts';

/** A sent code as kept: the send's id, the code's keyed hash, and when it lapses. */
interface StoredCode {
  id: string;
  hash: string;
  expiresAt: number;
}

function readStored(raw: string | null): StoredCode | null {
  if (raw === null) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<StoredCode>;
    return typeof parsed.id === 'string' &&
      typeof parsed.hash === 'string' &&
      typeof parsed.expiresAt === 'number'
      ? { id: parsed.id, hash: parsed.hash, expiresAt: parsed.expiresAt }
      : null;
  } catch {
    return null;
  }
}

const PURPOSE = 'phone-code';

export function createPhoneCodes(services: MethodServices) {
  const { ephemeral, hasher, clock, random } = services;
  const lifetimeMs = services.options.phone.codeLifetimeSeconds * 1000;
  const keyOf = (binding: string, methodId: string) => `phone-code:${binding}:${methodId}`;
  // The hash covers the binding and the method too: a stored hash moved under another key never matches.
  const hashed = (binding: string, methodId: string, code: string) => `${binding}\n${methodId}\n${code}`;

  return {
    lifetimeMs,
    /** Keeps `code` as the one code of this binding and method, replacing an earlier one; its expiry. */
    async issue(binding: string, record: MethodRecord, code: string): Promise<number> {
      const expiresAt = clock.now() + lifetimeMs;
      const stored: StoredCode = {
        id: randomId(random, 12),
        hash: hasher.hash(PURPOSE, hashed(binding, record.id, code)),
        expiresAt,
      };
      await ephemeral.put(keyOf(binding, record.id), JSON.stringify(stored), lifetimeMs);
      return expiresAt;
    },

    /** The candidate the code was sent for, consuming it; or why none: `code_mismatch`, `code_used`. */
    async check(
      binding: string,
      candidates: readonly MethodRecord[],
      code: string,
    ): Promise<{ ok: true; record: MethodRecord } | { ok: false; detail: string }> {
      let used = false;
      for (const record of candidates) {
        const stored = readStored(await ephemeral.get(keyOf(binding, record.id)));
        if (stored === null || stored.expiresAt <= clock.now()) continue;
        if (!hasher.matches(PURPOSE, hashed(binding, record.id, code), stored.hash)) continue;
        // The atomic part: only the first submission of this send's code gets through.
        if (await ephemeral.consumeOnce(`phone-code-used:${stored.id}`, lifetimeMs))
          return { ok: true, record };
        used = true;
      }
      return { ok: false, detail: used ? 'code_used' : 'code_mismatch' };
    },
  };
}
