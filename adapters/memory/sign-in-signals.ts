// Sign-in signals in memory: sightings keyed by a JSON triple (so no user id or key can collide
// with another) holding the latest time seen, and fraud flags by user id.
import type { SightingKind, SignInSignalStore } from '../../src/store/ports.ts';

const sightingKey = (userId: string, kind: SightingKind, key: string) => JSON.stringify([userId, kind, key]);

export class MemorySignInSignalStore implements SignInSignalStore {
  #sightings = new Map<string, number>();
  #fraudFlags = new Map<string, number>();

  async getSighting(userId: string, kind: SightingKind, key: string) {
    return this.#sightings.get(sightingKey(userId, kind, key)) ?? null;
  }
  async recordSighting(userId: string, kind: SightingKind, key: string, at: number) {
    const k = sightingKey(userId, kind, key);
    const stored = this.#sightings.get(k);
    if (stored === undefined || at > stored) this.#sightings.set(k, at);
  }

  async getFraudFlag(userId: string) {
    return this.#fraudFlags.get(userId) ?? null;
  }
  async setFraudFlag(userId: string, at: number | null) {
    if (at === null) this.#fraudFlags.delete(userId);
    else this.#fraudFlags.set(userId, at);
  }
}
