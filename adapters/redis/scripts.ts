// The Lua scripts the Redis stores run: each store operation that reads and then writes is one
// script, which Redis runs atomically (no other command runs in between), so one-time rules hold
// across every process sharing the server. Scripts are sent by digest (EVALSHA) and, when the
// server does not know them yet (first use, restart, SCRIPT FLUSH, failover), in full (EVAL,
// which also caches them). Every script starts with the same prelude: liveness is judged
// against the caller's clock, passed in as an argument, never against Redis's own time.
import { createHash } from 'node:crypto';
import type { RedisClient } from './connection.ts';
import { redisCommand, redisStoreError } from './failures.ts';

/**
 * Shared by every script. `alive(expiresAt, now)`: an entry whose stored expiry (ms since the
 * epoch; '' for none) is after `now`; false for a missing one.
 */
const PRELUDE = `
local function alive(expiresAt, now)
  if not expiresAt then return false end
  return expiresAt == '' or tonumber(expiresAt) > tonumber(now)
end
`;

export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

/** A script whose body can call the prelude's helpers. */
export function luaScript(body: string): LuaScript {
  const source = `${PRELUDE}\n${body}`;
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * Runs `script` atomically on the server with its KEYS and ARGV; resolves to the raw reply.
 * Rejects with a StoreError when Redis cannot run it (unreachable, timed out, an error reply).
 */
export function runScript(
  client: RedisClient,
  script: LuaScript,
  keys: string[],
  args: string[],
): Promise<unknown> {
  const options = { keys, arguments: args };
  return redisCommand('script', async () => {
    try {
      return await client.evalSha(script.sha1, options);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(script.source, options);
    }
  });
}

/** A script's integer reply. */
export function integerReply(reply: unknown): number {
  if (typeof reply !== 'number') throw redisStoreError(`expected an integer reply, got ${typeof reply}`);
  return reply;
}

/** A script's string-or-nil reply. */
export function stringOrNullReply(reply: unknown): string | null {
  if (reply === null || typeof reply === 'string') return reply;
  throw redisStoreError(`expected a string or nil reply, got ${typeof reply}`);
}
