// Whether a pending sign-in still stands: the same per-request session check (`isCurrent`:
// session epochs, the Temporary Access Pass that opened it) run on the pending sign-in as if it
// were a stamp signed in at its first factor (`firstFactorAt`, else its start) with its first
// factor's methods. A revocation (revokeSessions, resetUser, a fraud flag) or the pass being
// revoked or replaced after that first factor voids the half-finished sign-in as it voids the
// sessions: it cannot go on to verify a code, register a method or complete. A sign-in whose
// first factor came in the very millisecond of the revocation counts as after it, as for stamps.
//
// The engine's pending store is wrapped once (engine-context.ts), so every read of a pending
// sign-in — the public getPending, verifyPending, the passkey challenges, enrollment begin and
// confirm, and so every integration (Express, Passport, the oidc-provider pages) — sees a voided
// one as gone (and deletes it): the caller answers `pending_expired`. The one read that removes
// it reports it (`onVoided`: the engine audits `signin_voided`), so each voided sign-in is
// recorded once, whoever tries to use it and however often.
//
// What holds under a race. `get` checks before anything is written (a method, a stamp). `take`,
// the step that completes, checks again after the method is written and returns `checkedAt`, the
// time read *before* that check, which the completed stamp uses as its sign-in time: a revocation
// stored before the check is seen by it (so confirm removes the method it just wrote), and one
// whose epoch is later than `checkedAt` is later than the stamp's `authTime`, so the next request's
// `isCurrent` refuses the session. That check reads the stores, not the one-second caches, so a
// revocation another process stored before it is seen too, channel or not. What remains: a
// revocation whose own store write is still under way when the check reads (its epoch no later
// than `checkedAt`) is missed — a window as long as that one store write; and a
// method written before a revocation that came after the last check stays, as one registered
// just before it would (the session does not).

import { firstFactorMethods } from './auth-methods.ts';
import type { Clock } from './capabilities.ts';
import type { CurrentSessionCheck } from './current-session.ts';
import type { PendingPrincipal, PendingStore } from './pending.ts';
import { STAMP_VERSION, type VerifiedStamp } from './stamp.ts';

/** A pending sign-in just taken to complete, and when it was last found current. */
export type CurrentPending = PendingPrincipal & { checkedAt: number };

export interface CurrentPendingStore extends Omit<PendingStore, 'take'> {
  /** Atomically removes it; null when completed, expired, unknown or no longer current. */
  take(id: string): Promise<CurrentPending | null>;
}

/** The pending sign-in as the session check sees a stamp: signed in at its first factor, by it alone. */
export function pendingAsStamp(p: PendingPrincipal): VerifiedStamp {
  return {
    version: STAMP_VERSION,
    userId: p.userId,
    amr: [...p.firstFactorAmr],
    acr: '',
    firstFactorAmr: [...p.firstFactorAmr],
    authTime: p.firstFactorAt ?? p.startedAt,
    mfaAt: null,
    methods: firstFactorMethods(p.firstFactorAmr),
    verifiedAt: {},
    app: p.app,
    clientAppType: p.clientAppType,
    groups: p.groups,
    roles: p.roles,
    risk: p.risk,
  };
}

export function guardPendingStore(
  store: PendingStore,
  isCurrent: CurrentSessionCheck,
  clock: Clock,
  onVoided: (pending: PendingPrincipal) => Promise<void>,
): CurrentPendingStore {
  const pendingIsCurrent = async (p: PendingPrincipal, uncached = false) =>
    await isCurrent(pendingAsStamp(p), { uncached });
  return {
    start: (p) => store.start(p),
    async get(id) {
      const pending = await store.get(id);
      if (pending === null || (await pendingIsCurrent(pending))) return pending;
      // Removed by a take: of two requests finding it void at once, one reports it.
      const removed = await store.take(id);
      if (removed !== null) await onVoided(removed);
      return null;
    },
    async take(id) {
      const checkedAt = clock.now();
      const pending = await store.take(id);
      if (pending === null) return null;
      if (await pendingIsCurrent(pending, true)) return { ...pending, checkedAt };
      await onVoided(pending);
      return null;
    },
    cancel: (id) => store.cancel(id),
    update: (pending) => store.update(pending),
  };
}
