// Row readers and the write transaction shared by the SQLite stores. The readers are the common
// row accessor (adapters/shared/row-reader.ts) over SQLite's own column types: integers come back
// as numbers, a boolean is an integer 0 or 1, and a column that is not what the schema promises
// fails with a StoreError whose message starts with `sqlite:`.
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import { StoreError } from '../../src/errors.ts';
import type { OathTokenRecord, OtpKind } from '../../src/store/ports.ts';
import { type Row as AnyRow, rowReader } from '../shared/row-reader.ts';

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

const fail = (message: string) => new StoreError(`sqlite: ${message}`);

function int(row: AnyRow, column: string): number {
  const value = row[column];
  if (typeof value !== 'number') throw fail(`column ${column} is not a number`);
  return value;
}

/** The SQLite row reader. */
export const read = rowReader({
  fail,
  int,
  bool(row, column) {
    const value = int(row, column);
    if (value !== 0 && value !== 1) throw fail(`column ${column} is not 0 or 1`);
    return value === 1;
  },
});
export const { text, textOrNull, intOrNull, oneOf } = read;
export { int };

/** The values the OTP columns of `oath_tokens` may hold (read with `oneOf`). */
export const OTP_KINDS: readonly OtpKind[] = ['totp', 'hotp'];
export const OTP_ALGORITHMS: readonly OathTokenRecord['algorithm'][] = ['sha1', 'sha256', 'sha512'];
export const OTP_DIGITS: readonly OathTokenRecord['digits'][] = [6, 8];
