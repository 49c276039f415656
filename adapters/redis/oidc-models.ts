// An OpenID provider's models on Redis. Each entry is a hash `<prefix>:oidc:<model>:<id>` of its
// payload JSON `p`, its expiry `e` (ms since the epoch on the injected clock; '' for none), its
// consumed mark `c` and the names of the index keys that point at it (`ku` for the uid, `kc`
// for the user code, `kg` the set of its grant's entries). Every write, and every lookup through
// an index, is one Lua script, so `consume` holds across processes and an index never outlives
// the payload value it was built from. Liveness is judged against the caller's clock; Redis's
// own expiry on the keys (set to the same time from now) only lets it drop dead entries.
import type { Clock } from '../../src/engine/capabilities.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import type { OidcStore } from '../../src/store/ports.ts';
import type { RedisClient } from './connection.ts';
import { redisTtlMs } from './ephemeral.ts';
import { redisStoreError } from './failures.ts';
import { integerReply, luaScript, runScript } from './scripts.ts';

// Helpers of the scripts below. `unindex(entry)` removes the index keys that point at an entry;
// `live(entry, now)` is {payload, consumed} of a live entry, or nil.
const HELPERS = `
local function unindex(entry)
  local refs = redis.call('HMGET', entry, 'ku', 'kc', 'kg')
  for i = 1, 2 do
    if refs[i] and redis.call('GET', refs[i]) == entry then redis.call('DEL', refs[i]) end
  end
  if refs[3] then redis.call('SREM', refs[3], entry) end
end
local function live(entry, now)
  local found = redis.call('HMGET', entry, 'p', 'e', 'c')
  if not alive(found[2], now) then return false end
  return {found[1], found[3]}
end
`;

// KEYS: the entry, its uid index, user code index and grant set ('' for none). ARGV: payload,
// expiresAt ('' for none), ttl for PEXPIRE ('' for none), consumed mark ('' for none).
const UPSERT = luaScript(`${HELPERS}
unindex(KEYS[1])
redis.call('DEL', KEYS[1])
local fields = {'p', ARGV[1], 'e', ARGV[2]}
if ARGV[4] ~= '' then table.insert(fields, 'c'); table.insert(fields, ARGV[4]) end
local refs = {'ku', 'kc', 'kg'}
for i = 2, 4 do
  if KEYS[i] ~= '' then table.insert(fields, refs[i - 1]); table.insert(fields, KEYS[i]) end
end
redis.call('HSET', KEYS[1], unpack(fields))
if ARGV[3] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
for i = 2, 3 do
  if KEYS[i] ~= '' then
    redis.call('SET', KEYS[i], KEYS[1])
    if ARGV[3] ~= '' then redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
  end
end
local grant = KEYS[4]
if grant ~= '' then
  -- The grant's set lives as long as its longest-lived entry.
  local fresh = redis.call('EXISTS', grant) == 0
  redis.call('SADD', grant, KEYS[1])
  if ARGV[3] == '' then
    redis.call('PERSIST', grant)
  else
    local left = redis.call('PTTL', grant)
    if fresh or (left >= 0 and left < tonumber(ARGV[3])) then redis.call('PEXPIRE', grant, ARGV[3]) end
  end
end
return 1
`);

// KEYS[1] the entry. ARGV: now.
const FIND = luaScript(`${HELPERS}
return live(KEYS[1], ARGV[1])
`);

// KEYS[1] a uid or user code index. ARGV: now, the entry's field naming that index.
const FIND_BY_INDEX = luaScript(`${HELPERS}
local entry = redis.call('GET', KEYS[1])
if not entry or redis.call('HGET', entry, ARGV[2]) ~= KEYS[1] then return false end
return live(entry, ARGV[1])
`);

// KEYS[1] the entry. ARGV: now, consumed at (seconds).
const CONSUME = luaScript(`
local found = redis.call('HMGET', KEYS[1], 'e', 'c')
if not alive(found[1], ARGV[1]) or found[2] then return 0 end
redis.call('HSET', KEYS[1], 'c', ARGV[2])
return 1
`);

// KEYS[1] the entry.
const DESTROY = luaScript(`${HELPERS}
unindex(KEYS[1])
redis.call('DEL', KEYS[1])
return 1
`);

// KEYS[1] the grant's set of entries (of one model).
const REVOKE_GRANT = luaScript(`${HELPERS}
for _, entry in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('HGET', entry, 'kg') == KEYS[1] then
    unindex(entry)
    redis.call('DEL', entry)
  end
end
redis.call('DEL', KEYS[1])
return 1
`);

const stringOrNull = (value: unknown) => (typeof value === 'string' ? value : null);

export class RedisOidcStore implements OidcStore {
  #client: RedisClient;
  #prefix: string;
  #clock: Clock;

  /** `prefix` keeps this store's keys apart from every other deployment or test run on the server. */
  constructor(client: RedisClient, prefix: string, clock: Clock = systemClock) {
    this.#client = client;
    this.#prefix = `${prefix}:`;
    this.#clock = clock;
  }

  /** A key of one kind for (model, value); the model's length keeps `a:b`+`c` apart from `a`+`b:c`. */
  #key(kind: 'oidc' | 'oidc-uid' | 'oidc-uc' | 'oidc-grant', model: string, value: string) {
    return `${this.#prefix}${kind}:${model.length}:${model}:${value}`;
  }
  #indexKey(kind: 'oidc-uid' | 'oidc-uc' | 'oidc-grant', model: string, value: unknown) {
    const indexed = stringOrNull(value);
    return indexed === null ? '' : this.#key(kind, model, indexed);
  }
  #now() {
    return String(this.#clock.now());
  }

  async upsert(model: string, id: string, payload: Record<string, unknown>, expiresAtMs: number | null) {
    const json = JSON.stringify(payload);
    if (json === undefined) throw new TypeError('oidc payload is not JSON');
    const keys = [
      this.#key('oidc', model, id),
      this.#indexKey('oidc-uid', model, payload.uid),
      this.#indexKey('oidc-uc', model, payload.userCode),
      this.#indexKey('oidc-grant', model, payload.grantId),
    ];
    const consumed =
      payload.consumed === undefined || payload.consumed === null ? '' : JSON.stringify(payload.consumed);
    const expiresAt = expiresAtMs === null ? '' : String(expiresAtMs);
    const ttl = expiresAtMs === null ? '' : redisTtlMs(expiresAtMs - this.#clock.now());
    await runScript(this.#client, UPSERT, keys, [json, expiresAt, ttl, consumed]);
  }

  async find(model: string, id: string) {
    return toPayload(await runScript(this.#client, FIND, [this.#key('oidc', model, id)], [this.#now()]));
  }

  async findByUid(model: string, uid: string) {
    const index = this.#key('oidc-uid', model, uid);
    return toPayload(await runScript(this.#client, FIND_BY_INDEX, [index], [this.#now(), 'ku']));
  }

  async findByUserCode(model: string, userCode: string) {
    const index = this.#key('oidc-uc', model, userCode);
    return toPayload(await runScript(this.#client, FIND_BY_INDEX, [index], [this.#now(), 'kc']));
  }

  async consume(model: string, id: string, atSeconds: number) {
    const key = this.#key('oidc', model, id);
    const reply = await runScript(this.#client, CONSUME, [key], [this.#now(), String(atSeconds)]);
    return integerReply(reply) === 1;
  }

  async destroy(model: string, id: string) {
    await runScript(this.#client, DESTROY, [this.#key('oidc', model, id)], []);
  }

  async revokeByGrantId(model: string, grantId: string) {
    await runScript(this.#client, REVOKE_GRANT, [this.#key('oidc-grant', model, grantId)], []);
  }
}

/** A live entry's reply ({payload, consumed mark} or nil) as the payload the port returns. */
function toPayload(reply: unknown): Record<string, unknown> | null {
  if (reply === null) return null;
  if (!Array.isArray(reply) || typeof reply[0] !== 'string') throw redisStoreError('bad oidc entry reply');
  const payload: unknown = JSON.parse(reply[0]);
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw redisStoreError('oidc payload is not an object');
  }
  const entry = payload as Record<string, unknown>;
  const consumed: unknown = reply[1];
  if (typeof consumed === 'string' && (entry.consumed === undefined || entry.consumed === null)) {
    entry.consumed = JSON.parse(consumed);
  }
  return entry;
}
