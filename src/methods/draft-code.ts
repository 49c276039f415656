// Confirming a registration draft with a typed code, written once for the methods that do it
// (a phone's code sent to it, a push app's confirmation code): at most five attempts per draft
// (then the draft is gone), the code compared by its keyed hash, and one confirmation per draft
// even when raced (the draft is taken atomically).
import type { CodeHasher } from '../crypto/code-hash.ts';
import type { EphemeralStore } from '../store/ports.ts';

const DRAFT_MAX_ATTEMPTS = 5;

export type DraftCodeCheck =
  | { ok: true }
  | { ok: false; detail: 'too_many_attempts' | 'code_mismatch' | 'draft_expired' };

/** Takes the draft at `key` if `typed` (as hashed for `purpose`) matches `storedHash`, within the attempts allowed. */
export async function takeDraftByCode(
  deps: { ephemeral: EphemeralStore; hasher: CodeHasher },
  draft: { key: string; ttlMs: number; purpose: string; typed: string; storedHash: string },
): Promise<DraftCodeCheck> {
  const { ephemeral, hasher } = deps;
  if ((await ephemeral.increment(`${draft.key}:attempts`, draft.ttlMs)) > DRAFT_MAX_ATTEMPTS) {
    await ephemeral.delete(draft.key);
    return { ok: false, detail: 'too_many_attempts' };
  }
  if (!hasher.matches(draft.purpose, draft.typed, draft.storedHash))
    return { ok: false, detail: 'code_mismatch' };
  // Only one confirmation per draft, even when raced.
  if ((await ephemeral.take(draft.key)) === null) return { ok: false, detail: 'draft_expired' };
  return { ok: true };
}
