// Which refusals to audit. A refused attempt (a throttle or a lockout saying no) costs the
// client nothing — no password hash, no code check — so a client can send them as fast as the
// network allows, and each would otherwise be a durable audit row. Instead the first refusal of
// a kind in a minute is audited and the others are only counted; the next audited refusal of
// that kind carries the count (`unreported`), so the trail still says how hard the attack was.
// The caller chooses the kind so that an attacker cannot multiply it by rotating what they send
// (an address bucket, never the address; an account's budget, never the address).
//
// The scheme, on the ephemeral store's atomic primitives: `consumeOnce(mark, 1 min)` picks the
// one refusal to audit; every other refusal `increment`s a tally; the audited one `take`s the
// tally (reads and deletes it in one step) and reports it. A tally is taken by one caller only,
// and an increment lands either before the take (reported now) or after it (a new tally,
// reported next time), so no refusal is reported twice or lost, across processes too. The tally
// lasts `tallyTtlMs` after its last increment, so a pause in an attack longer than a minute
// still gets its count reported by the next audited refusal.
import type { EphemeralStore } from '../store/ports.ts';

/** At most one audited refusal of a kind in this long. */
export const REFUSAL_AUDIT_INTERVAL_MS = 60_000;

/** Audit this refusal, with how many of its kind were refused unaudited before it; null: don't. */
export type RefusalAudit = { unreported: number } | null;

/** Decides for one refusal of `kind`: audited (the first this minute) or counted. */
export type RefusalAuditor = (kind: string) => Promise<RefusalAudit>;

export function createRefusalAuditor(
  ephemeral: EphemeralStore,
  namespace: string,
  tallyTtlMs: number,
): RefusalAuditor {
  return async (kind) => {
    const tally = `${namespace}:refused-n:${kind}`;
    if (!(await ephemeral.consumeOnce(`${namespace}:refused:${kind}`, REFUSAL_AUDIT_INTERVAL_MS))) {
      await ephemeral.increment(tally, tallyTtlMs);
      return null;
    }
    // A count is stored as its decimal value in every store: `take` reads it and clears it.
    return { unreported: Number((await ephemeral.take(tally)) ?? 0) };
  };
}
