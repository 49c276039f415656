// How the Redis stores fail: whatever node-redis throws (the connection refused or lost, the
// client offline while it reconnects, a command timed out, an error reply) becomes a StoreError
// naming Redis as the store, so the integrations recognise an outage, answer 503 and audit it,
// whatever the client's own error class.
import { StoreError } from '../../src/errors.ts';

/** The name a Redis store's errors carry (`StoreError.store`). */
export const REDIS_STORE = 'redis';

/** A StoreError of the Redis stores; the message starts with `redis:`. */
export function redisStoreError(message: string, cause?: unknown): StoreError {
  return new StoreError(`redis: ${message}`, { store: REDIS_STORE, cause });
}

/** Runs one command (or script) of `operation`; anything it throws is a StoreError. */
export async function redisCommand<T>(operation: string, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    if (error instanceof StoreError) throw error;
    const reason = error instanceof Error ? error.message || error.name : String(error);
    throw redisStoreError(`${operation} failed: ${reason}`, error);
  }
}
