// WebAuthn challenges, kept in the ephemeral store under their binding (a pending sign-in, a
// session's step-up, a passwordless sign-in, a registration draft) — and, for sign-in prompts,
// their own value, so two pages of one binding each keep theirs (at most 20 outstanding) — and
// taken atomically by the verification that uses them: each is single use, short-lived, and
// never verifies for another binding or user.
import { z } from 'zod';
import type { EphemeralStore } from '../../store/ports.ts';

const storedSchema = z.object({
  challenge: z.string(),
  /** The user it was begun for; null for a passwordless sign-in (the credential names the user). */
  userId: z.string().nullable(),
  /** For a registration: the user handle the new credential is created with. */
  userHandle: z.string().optional(),
});

export type StoredChallenge = z.infer<typeof storedSchema>;

export function createChallengeStore(ephemeral: EphemeralStore, ttlMs: number) {
  const key = (binding: string) => `webauthn:challenge:${binding}`;
  return {
    async put(binding: string, value: StoredChallenge): Promise<void> {
      await ephemeral.put(key(binding), JSON.stringify(value), ttlMs);
    },
    /** The binding's challenge, once: a second take (a replay, a race) gets null. */
    async take(binding: string): Promise<StoredChallenge | null> {
      const raw = await ephemeral.take(key(binding));
      if (raw === null) return null;
      try {
        const parsed = storedSchema.safeParse(JSON.parse(raw));
        return parsed.success ? parsed.data : null;
      } catch {
        return null;
      }
    },
  };
}

export type ChallengeStore = ReturnType<typeof createChallengeStore>;
