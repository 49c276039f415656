// The in-process cache the per-request session checks share (session epochs, remembered
// devices, Temporary Access Passes): an answer is kept for `cacheMs` (another process sharing the
// store sees a change within that time), at most 10,000 entries, and a `forget` is seen at once
// in this process — including by a read that was already under way: every forget bumps a
// generation, and a read that began before it answers its caller but is not cached, so a
// revocation is never hidden by an answer fetched just before it.
import type { Clock } from './capabilities.ts';

const CACHE_MAX = 10_000;

export interface FreshCache<V> {
  /** The cached value while fresh, else undefined. */
  peek(key: string): V | undefined;
  /** Fetches the value and caches it, unless something was forgotten meanwhile. */
  load(key: string, fetch: () => Promise<V>): Promise<V>;
  forget(key: string): void;
  /** Forgets every entry whose value matches. */
  forgetWhere(match: (value: V) => boolean): void;
}

export function createFreshCache<V>(clock: Clock, cacheMs: number): FreshCache<V> {
  const entries = new Map<string, { value: V; fetchedAt: number }>();
  let generation = 0;
  return {
    peek(key) {
      const hit = entries.get(key);
      return hit && clock.now() - hit.fetchedAt < cacheMs ? hit.value : undefined;
    },
    async load(key, fetch) {
      const began = generation;
      const value = await fetch();
      if (began === generation) {
        if (entries.size >= CACHE_MAX) entries.delete(entries.keys().next().value ?? '');
        entries.set(key, { value, fetchedAt: clock.now() });
      }
      return value;
    },
    forget(key) {
      generation++;
      entries.delete(key);
    },
    forgetWhere(match) {
      generation++;
      for (const [key, entry] of entries) if (match(entry.value)) entries.delete(key);
    },
  };
}
