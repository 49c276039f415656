// Row readers and the write transaction shared by the SQLite stores: each column is checked for
// the type the schema promises, so a database edited around mfakit fails loudly (StoreError)
// instead of handing a wrong type to the engine.
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import { StoreError } from '../../src/errors.ts';
import type { OathTokenRecord, OtpKind } from '../../src/store/ports.ts';

/** Runs `body` in a `BEGIN IMMEDIATE` transaction: the write lock is taken (or waited for) up front. */
export function transaction<T>(db: DatabaseSync, body: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = body();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

export type Row = Record<string, SQLOutputValue>;

export function isConstraintViolation(error: unknown): boolean {
  // node:sqlite errors carry the extended result code; SQLITE_CONSTRAINT is 19 in the low byte.
  return (
    error instanceof Error &&
    'errcode' in error &&
    typeof error.errcode === 'number' &&
    (error.errcode & 0xff) === 19
  );
}

export function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw new StoreError(`sqlite: column ${column} is not text`);
  return value;
}

export function textOrNull(row: Row, column: string): string | null {
  return row[column] === null ? null : text(row, column);
}

export function int(row: Row, column: string): number {
  const value = row[column];
  if (typeof value !== 'number') throw new StoreError(`sqlite: column ${column} is not a number`);
  return value;
}

export function intOrNull(row: Row, column: string): number | null {
  return row[column] === null ? null : int(row, column);
}

export function oneOf<T extends string | number>(row: Row, column: string, allowed: readonly T[]): T {
  const value = row[column];
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new StoreError(`sqlite: column ${column} holds an unexpected value`);
  return found;
}

/** The values the OTP columns of `oath_tokens` may hold (read with `oneOf`). */
export const OTP_KINDS: readonly OtpKind[] = ['totp', 'hotp'];
export const OTP_ALGORITHMS: readonly OathTokenRecord['algorithm'][] = ['sha1', 'sha256', 'sha512'];
export const OTP_DIGITS: readonly OathTokenRecord['digits'][] = [6, 8];
