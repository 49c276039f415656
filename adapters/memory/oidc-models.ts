// An OpenID provider's models in memory: one map keyed by (model, id), payloads kept as JSON
// text; expired entries are never returned and are swept every `PURGE_EVERY` upserts.
import type { Clock } from '../../src/engine/capabilities.ts';
import type { OidcStore } from '../../src/store/ports.ts';

interface OidcEntry {
  model: string;
  /** The payload as JSON text, so every read is a fresh copy and only JSON is kept (as on SQLite). */
  json: string;
  uid: string | null;
  userCode: string | null;
  grantId: string | null;
  expiresAt: number | null;
}

const oidcKey = (model: string, id: string) => JSON.stringify([model, id]);
const stringOrNull = (value: unknown) => (typeof value === 'string' ? value : null);

export class MemoryOidcStore implements OidcStore {
  static readonly PURGE_EVERY = 500;

  #entries = new Map<string, OidcEntry & { model: string }>();
  #clock: Clock;
  #writes = 0;
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Deletes every expired entry now; returns how many. */
  purgeExpired(): number {
    this.#writes = 0;
    const now = this.#clock.now();
    let n = 0;
    for (const [key, e] of this.#entries) {
      if (e.expiresAt !== null && e.expiresAt <= now) {
        this.#entries.delete(key);
        n++;
      }
    }
    return n;
  }

  #live(key: string) {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt !== null && e.expiresAt <= this.#clock.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }
  #findBy(model: string, field: 'uid' | 'userCode', value: string) {
    for (const [key, e] of this.#entries) {
      if (e.model === model && e[field] === value && this.#live(key)) return JSON.parse(e.json);
    }
    return null;
  }

  async upsert(model: string, id: string, payload: Record<string, unknown>, expiresAtMs: number | null) {
    const json = JSON.stringify(payload);
    if (json === undefined) throw new TypeError('oidc payload is not JSON');
    this.#entries.set(oidcKey(model, id), {
      model,
      json,
      uid: stringOrNull(payload.uid),
      userCode: stringOrNull(payload.userCode),
      grantId: stringOrNull(payload.grantId),
      expiresAt: expiresAtMs,
    });
    if (++this.#writes >= MemoryOidcStore.PURGE_EVERY) this.purgeExpired();
  }
  async find(model: string, id: string) {
    const e = this.#live(oidcKey(model, id));
    return e ? JSON.parse(e.json) : null;
  }
  async findByUid(model: string, uid: string) {
    return this.#findBy(model, 'uid', uid);
  }
  async findByUserCode(model: string, userCode: string) {
    return this.#findBy(model, 'userCode', userCode);
  }
  async consume(model: string, id: string, atSeconds: number) {
    const e = this.#live(oidcKey(model, id));
    if (!e) return false;
    const payload = JSON.parse(e.json);
    if (payload.consumed !== undefined && payload.consumed !== null) return false;
    payload.consumed = atSeconds;
    e.json = JSON.stringify(payload);
    return true;
  }
  async destroy(model: string, id: string) {
    this.#entries.delete(oidcKey(model, id));
  }
  async revokeByGrantId(model: string, grantId: string) {
    for (const [key, e] of this.#entries)
      if (e.grantId === grantId && e.model === model) this.#entries.delete(key);
  }
}
