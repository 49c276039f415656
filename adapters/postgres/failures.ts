// How the PostgreSQL stores fail: whatever node-postgres throws while serving (the server
// unreachable or gone, a statement timed out, an error from the server) becomes a StoreError
// naming PostgreSQL as the store, so the integrations recognise an outage, answer 503 and audit
// it, whatever the client's own error class. (Start-up errors are database.ts's.)
import { StoreError } from '../../src/errors.ts';
import { reason } from './database.ts';

/** The name a PostgreSQL store's errors carry (`StoreError.store`). */
export const POSTGRES_STORE = 'postgres';

/** A StoreError of the PostgreSQL stores; the message starts with `postgres:`. */
export function postgresStoreError(message: string, cause?: unknown): StoreError {
  return new StoreError(`postgres: ${message}`, { store: POSTGRES_STORE, cause });
}

/** What a failed call to the server rejects with: a StoreError as it is, anything else wrapped (with its SQLSTATE). */
export function asPostgresStoreError(error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : '';
  const sqlState = /^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : '';
  return postgresStoreError(`${reason(error)}${sqlState}`, error);
}
