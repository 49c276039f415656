import type { Clock } from '../../src/engine/capabilities.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import type {
  AccessPassRecord,
  AuditEventRecord,
  EphemeralStore,
  MethodRecord,
  OathTokenRecord,
  OidcStore,
  PolicyDocumentRecord,
  RememberedDeviceRecord,
  Repository,
  SightingKind,
  Stores,
  UserMfaState,
} from '../../src/store/ports.ts';

/**
 * In-process stores for tests and single-process demos. Every operation runs to completion
 * without awaiting in between, so each is atomic within the process.
 */
export function createMemoryStores(options: { clock?: Clock } = {}): Stores {
  return {
    repository: new MemoryRepository(),
    ephemeral: new MemoryEphemeralStore(options.clock ?? systemClock),
    oidc: new MemoryOidcStore(options.clock ?? systemClock),
  };
}

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryRepository implements Repository {
  #methods = new Map<string, MethodRecord>();
  #counters = new Map<string, number>();
  #recovery = new Map<string, Map<string, number | null>>();
  #devices = new Map<string, RememberedDeviceRecord>();
  #tokens = new Map<string, OathTokenRecord>();
  #states = new Map<string, UserMfaState>();
  #audit: AuditEventRecord[] = [];
  #policy: PolicyDocumentRecord | null = null;
  /** Keyed by `sightingKey()`: a JSON triple, so no user id or key can collide with another. */
  #sightings = new Map<string, number>();
  #fraudFlags = new Map<string, number>();
  #accessPasses = new Map<string, AccessPassRecord>();

  async listMethods(userId: string) {
    return [...this.#methods.values()]
      .filter((m) => m.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(copy);
  }
  async getMethod(userId: string, methodId: string) {
    const m = this.#methods.get(methodId);
    return m && m.userId === userId ? copy(m) : null;
  }
  async insertMethod(method: MethodRecord) {
    if (this.#methods.has(method.id)) throw new Error(`method ${method.id} exists`);
    this.#methods.set(method.id, copy(method));
  }
  async deleteMethod(userId: string, methodId: string) {
    const m = this.#methods.get(methodId);
    if (!m || m.userId !== userId) return false;
    return this.#methods.delete(methodId);
  }
  async deleteAllMethods(userId: string) {
    let n = 0;
    for (const [id, m] of this.#methods) {
      if (m.userId === userId) {
        this.#methods.delete(id);
        n++;
      }
    }
    return n;
  }

  async advance(key: string, value: number) {
    const current = this.#counters.get(key) ?? -1;
    if (value <= current) return false;
    this.#counters.set(key, value);
    return true;
  }
  async recordUse(use: { counterKey: string; value: number; methodId: string; at: number }) {
    const current = this.#counters.get(use.counterKey) ?? -1;
    if (!(use.value > current)) return false;
    this.#counters.set(use.counterKey, use.value);
    const m = this.#methods.get(use.methodId);
    if (m) m.lastUsedAt = use.at;
    return true;
  }
  async getCounter(key: string) {
    return this.#counters.get(key) ?? null;
  }
  async deleteCounter(key: string) {
    this.#counters.delete(key);
  }

  async replaceRecoveryCodes(userId: string, hashes: string[]) {
    this.#recovery.set(userId, new Map(hashes.map((h) => [h, null])));
  }
  async consumeRecoveryCode(userId: string, hash: string, at: number) {
    const codes = this.#recovery.get(userId);
    if (!codes?.has(hash) || codes.get(hash) !== null) return false;
    codes.set(hash, at);
    return true;
  }
  async countRecoveryCodes(userId: string) {
    const codes = this.#recovery.get(userId);
    return codes ? [...codes.values()].filter((v) => v === null).length : 0;
  }
  async deleteRecoveryCodes(userId: string) {
    this.#recovery.delete(userId);
  }

  async insertDevice(device: RememberedDeviceRecord) {
    if (this.#devices.has(device.id)) throw new Error(`device ${device.id} exists`);
    this.#devices.set(device.id, copy(device));
  }
  async getDevice(id: string) {
    const d = this.#devices.get(id);
    return d ? copy(d) : null;
  }
  async listDevices(userId: string) {
    return [...this.#devices.values()]
      .filter((d) => d.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(copy);
  }
  async touchDevice(id: string, at: number) {
    const d = this.#devices.get(id);
    if (d) d.lastUsedAt = at;
  }
  async revokeDevice(userId: string, id: string, at: number) {
    const d = this.#devices.get(id);
    if (!d || d.userId !== userId || d.revokedAt !== null) return false;
    d.revokedAt = at;
    return true;
  }
  async revokeAllDevices(userId: string, at: number) {
    let n = 0;
    for (const d of this.#devices.values()) {
      if (d.userId === userId && d.revokedAt === null) {
        d.revokedAt = at;
        n++;
      }
    }
    return n;
  }

  async importTokens(tokens: OathTokenRecord[]) {
    const seen = new Set<string>();
    for (const t of tokens) {
      if (this.#tokens.has(t.serial) || seen.has(t.serial)) throw new Error(`token ${t.serial} exists`);
      seen.add(t.serial);
    }
    for (const t of tokens) this.#tokens.set(t.serial, copy(t));
  }
  async getToken(serial: string) {
    const t = this.#tokens.get(serial);
    return t ? copy(t) : null;
  }
  async listTokens() {
    return [...this.#tokens.values()].sort((a, b) => a.serial.localeCompare(b.serial)).map(copy);
  }
  async assignToken(serial: string, userId: string) {
    const t = this.#tokens.get(serial);
    if (!t || t.assignedTo !== null) return false;
    t.assignedTo = userId;
    return true;
  }
  async unassignToken(serial: string, userId: string) {
    const t = this.#tokens.get(serial);
    if (!t || t.assignedTo !== userId) return false;
    t.assignedTo = null;
    return true;
  }
  async unassignTokens(userId: string) {
    let n = 0;
    for (const t of this.#tokens.values()) {
      if (t.assignedTo === userId) {
        t.assignedTo = null;
        n++;
      }
    }
    return n;
  }

  async getUserState(userId: string) {
    return this.#states.get(userId) ?? null;
  }
  async setUserState(userId: string, state: UserMfaState) {
    this.#states.set(userId, state);
  }

  async appendAudit(event: AuditEventRecord) {
    this.#audit.push(copy(event));
  }
  async listAudit(filter: { userId?: string; limit: number }) {
    if (filter.limit <= 0) return [];
    return this.#audit
      .filter((e) => filter.userId === undefined || e.userId === filter.userId)
      .slice(-filter.limit)
      .reverse()
      .map(copy);
  }

  async getPolicyDocument() {
    return this.#policy ? copy(this.#policy) : null;
  }
  async putPolicyDocument(document: unknown, expectedVersion: number, at: number, by: string | null) {
    // The SQLite adapter stores JSON text; refuse what it could not store, so both behave alike.
    if (JSON.stringify(document) === undefined) throw new TypeError('policy document is not JSON');
    const current = this.#policy?.version ?? 0;
    if (expectedVersion !== current) return null;
    this.#policy = { version: current + 1, document: copy(document), updatedAt: at, updatedBy: by };
    return copy(this.#policy);
  }

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

  async putAccessPass(record: AccessPassRecord) {
    const replaced = this.#accessPasses.get(record.userId) ?? null;
    this.#accessPasses.set(record.userId, copy(record));
    return replaced;
  }
  async getAccessPass(userId: string) {
    const pass = this.#accessPasses.get(userId);
    return pass ? copy(pass) : null;
  }
  async consumeAccessPass(userId: string, id: string, at: number) {
    const pass = this.#accessPasses.get(userId);
    if (!pass || pass.id !== id || pass.usedAt !== null) return false;
    pass.usedAt = at;
    return true;
  }
  async deleteAccessPass(userId: string) {
    return this.#accessPasses.delete(userId);
  }
}

const sightingKey = (userId: string, kind: SightingKind, key: string) => JSON.stringify([userId, kind, key]);

export class MemoryEphemeralStore implements EphemeralStore {
  #entries = new Map<string, { value: string; expiresAt: number }>();
  #clock: Clock;
  constructor(clock: Clock) {
    this.#clock = clock;
  }
  #live(key: string) {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.#clock.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }
  async consumeOnce(key: string, ttlMs: number) {
    if (this.#live(key)) return false;
    this.#entries.set(key, { value: '1', expiresAt: this.#clock.now() + ttlMs });
    return true;
  }
  async increment(key: string, ttlMs: number) {
    const e = this.#live(key);
    const count = (e ? Number(e.value) : 0) + 1;
    this.#entries.set(key, { value: String(count), expiresAt: this.#clock.now() + ttlMs });
    return count;
  }
  async decrement(key: string) {
    const e = this.#live(key);
    if (!e) return 0;
    const count = Math.max(0, Number(e.value) - 1);
    e.value = String(count);
    return count;
  }
  async getCount(key: string) {
    const e = this.#live(key);
    return e ? Number(e.value) : 0;
  }
  async put(key: string, value: string, ttlMs: number) {
    this.#entries.set(key, { value, expiresAt: this.#clock.now() + ttlMs });
  }
  async get(key: string) {
    return this.#live(key)?.value ?? null;
  }
  async take(key: string) {
    const e = this.#live(key);
    this.#entries.delete(key);
    return e?.value ?? null;
  }
  async delete(key: string) {
    this.#entries.delete(key);
  }
}

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
