// Places in short-lived counts (the ephemeral store's `increment`/`decrement`), as the send
// limits take them: a send takes one place in each of its counts or in none. A full count is
// seen by a read first (a refusal moves no count, so a flood does not push a window further
// out); a concurrent caller that raced past the limit gives back every place it took.
import type { EphemeralStore } from './ports.ts';

/** One count: at most `max` places in a window of `windowMs` from its latest place. */
export interface CountLimit {
  key: string;
  max: number;
  windowMs: number;
}

export type Reservation<L extends CountLimit> =
  | { ok: true; release(): Promise<void> }
  | { ok: false; full: L };

/** Takes a place in every count, or none: the first full count, else how to give them all back. */
export async function reservePlaces<L extends CountLimit>(
  ephemeral: EphemeralStore,
  limits: readonly L[],
): Promise<Reservation<L>> {
  const release = (taken: readonly L[]) => Promise.all(taken.map((l) => ephemeral.decrement(l.key)));
  for (const limit of limits)
    if ((await ephemeral.getCount(limit.key)) >= limit.max) return { ok: false, full: limit };
  const taken: L[] = [];
  for (const limit of limits) {
    taken.push(limit);
    if ((await ephemeral.increment(limit.key, limit.windowMs)) > limit.max) {
      await release(taken);
      return { ok: false, full: limit };
    }
  }
  return {
    ok: true,
    async release() {
      await release(taken);
    },
  };
}
