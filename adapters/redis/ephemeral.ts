// Ephemeral state on Redis: each entry is a hash `<prefix>:eph:<key>` of its value `v` and its
// expiry `e` (ms since the epoch on the injected clock). Every operation is one Lua script, so
// each is atomic across all processes sharing the server. An entry is live while the caller's
// `clock.now()` is before `e`; the key's own Redis expiry (PEXPIRE, set to the same ttl) only
// lets Redis drop it, and with the system clock it falls at the same moment.
import type { Clock } from '../../src/engine/capabilities.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import type { EphemeralStore } from '../../src/store/ports.ts';
import type { RedisClient } from './connection.ts';
import { redisCommand } from './failures.ts';
import { integerReply, type LuaScript, luaScript, runScript, stringOrNullReply } from './scripts.ts';

// KEYS[1] the entry. ARGV: now, expiresAt, ttl for PEXPIRE (whole ms ≥ 1).
const CONSUME_ONCE = luaScript(`
local e = redis.call('HGET', KEYS[1], 'e')
if alive(e, ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', '1', 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`);

// KEYS[1] the entry. ARGV: now, expiresAt, ttl for PEXPIRE. A dead entry counts from 0.
const INCREMENT = luaScript(`
local entry = redis.call('HMGET', KEYS[1], 'v', 'e')
local count = 1
if alive(entry[2], ARGV[1]) then count = (tonumber(entry[1]) or 0) + 1 end
redis.call('HSET', KEYS[1], 'v', count, 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return count
`);

// KEYS[1] the entry. ARGV: now. HSET keeps both the stored expiry and the key's PEXPIRE.
const DECREMENT = luaScript(`
local entry = redis.call('HMGET', KEYS[1], 'v', 'e')
if not alive(entry[2], ARGV[1]) then return 0 end
local count = tonumber(entry[1]) or 0
if count <= 0 then return 0 end
redis.call('HSET', KEYS[1], 'v', count - 1)
return count - 1
`);

// KEYS[1] the entry. ARGV: value, expiresAt, ttl for PEXPIRE.
const PUT = luaScript(`
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`);

// KEYS[1] the entry. ARGV: now. The live value, or nil.
const GET = luaScript(`
local entry = redis.call('HMGET', KEYS[1], 'v', 'e')
if alive(entry[2], ARGV[1]) then return entry[1] end
return false
`);

// KEYS[1] the entry. ARGV: now. Deletes it; answers its value if it was live.
const TAKE = luaScript(`
local entry = redis.call('HMGET', KEYS[1], 'v', 'e')
redis.call('DEL', KEYS[1])
if alive(entry[2], ARGV[1]) then return entry[1] end
return false
`);

/** Redis's expiry for an entry: the ttl in whole milliseconds, at least 1 (PEXPIRE 0 would delete it). */
export function redisTtlMs(ttlMs: number): string {
  return String(Math.max(1, Math.ceil(ttlMs)));
}

export class RedisEphemeralStore implements EphemeralStore {
  #client: RedisClient;
  #prefix: string;
  #clock: Clock;

  /** `prefix` keeps this store's keys apart from every other deployment or test run on the server. */
  constructor(client: RedisClient, prefix: string, clock: Clock = systemClock) {
    this.#client = client;
    this.#prefix = `${prefix}:eph:`;
    this.#clock = clock;
  }

  #run(script: LuaScript, key: string, args: string[]) {
    return runScript(this.#client, script, [this.#prefix + key], args);
  }

  /** For an entry written now for `ttlMs`: the clock's now, its expiry and Redis's ttl. */
  #expiry(ttlMs: number) {
    const now = this.#clock.now();
    return { now: String(now), expiresAt: String(now + ttlMs), ttl: redisTtlMs(ttlMs) };
  }

  async consumeOnce(key: string, ttlMs: number) {
    const { now, expiresAt, ttl } = this.#expiry(ttlMs);
    return integerReply(await this.#run(CONSUME_ONCE, key, [now, expiresAt, ttl])) === 1;
  }

  async increment(key: string, ttlMs: number) {
    const { now, expiresAt, ttl } = this.#expiry(ttlMs);
    return integerReply(await this.#run(INCREMENT, key, [now, expiresAt, ttl]));
  }

  async decrement(key: string) {
    return integerReply(await this.#run(DECREMENT, key, [String(this.#clock.now())]));
  }

  async getCount(key: string) {
    const value = await this.get(key);
    return value === null ? 0 : Number(value);
  }

  async put(key: string, value: string, ttlMs: number) {
    const { expiresAt, ttl } = this.#expiry(ttlMs);
    await this.#run(PUT, key, [value, expiresAt, ttl]);
  }

  async get(key: string) {
    return stringOrNullReply(await this.#run(GET, key, [String(this.#clock.now())]));
  }

  async take(key: string) {
    return stringOrNullReply(await this.#run(TAKE, key, [String(this.#clock.now())]));
  }

  async delete(key: string) {
    await redisCommand('delete', () => this.#client.del(this.#prefix + key));
  }
}
