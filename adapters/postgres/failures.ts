// How the PostgreSQL stores fail: whatever node-postgres throws while serving (the server
// unreachable or gone, a statement timed out, an error from the server) becomes a StoreError
// naming PostgreSQL as the store, so the integrations recognise an outage, answer 503 and audit
// it, whatever the client's own error class. (Start-up errors are database.ts's.) The one
// exception is a data exception (SQLSTATE class 22: a NUL character in text or jsonb, an invalid
// byte sequence, a value out of range): the server is fine and refused the value, so that is a
// StoreInputError, answered 400 and never audited as an outage.
import { StoreError, StoreInputError } from '../../src/errors.ts';
import { reason } from './database.ts';

/** The name a PostgreSQL store's errors carry (`StoreError.store`). */
export const POSTGRES_STORE = 'postgres';

/** A StoreError of the PostgreSQL stores; the message starts with `postgres:`. */
export function postgresStoreError(message: string, cause?: unknown): StoreError {
  return new StoreError(`postgres: ${message}`, { store: POSTGRES_STORE, cause });
}

/**
 * What a failed call to the server rejects with: a StoreError or StoreInputError as it is, a data
 * exception as a StoreInputError, anything else wrapped in a StoreError (with its SQLSTATE).
 */
export function asPostgresStoreError(error: unknown): StoreError | StoreInputError {
  if (error instanceof StoreError || error instanceof StoreInputError) return error;
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : '';
  if (code.startsWith('22')) return new StoreInputError({ store: POSTGRES_STORE, cause: error });
  const sqlState = /^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : '';
  return postgresStoreError(`${reason(error)}${sqlState}`, error);
}
