// Row readers, row-to-record mappers and the write transaction shared by the SQLite stores. The
// readers are the common row accessor (adapters/shared/row-reader.ts) over SQLite's own column
// types: integers come back as numbers, a boolean is an integer 0 or 1, and a column that is not
// what the schema promises fails with a StoreError whose message starts with `sqlite:`. The
// records are read through them by the mappers both SQL adapters share (row-records.ts).
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import { StoreError } from '../../src/errors.ts';
import { type Row as AnyRow, rowReader } from '../shared/row-reader.ts';
import { rowRecords } from '../shared/row-records.ts';

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

const read = rowReader({
  fail,
  int,
  bool(row, column) {
    const value = int(row, column);
    if (value !== 0 && value !== 1) throw fail(`column ${column} is not 0 or 1`);
    return value === 1;
  },
  /** A list is kept as JSON text (SQLite has no arrays). */
  list(row, column) {
    const value = row[column];
    if (typeof value !== 'string') throw fail(`column ${column} is not text`);
    return JSON.parse(value);
  },
});
export const { text, intOrNull, oneOf } = read;
export { int };

/** This database's rows as the ports' records (adapters/shared/row-records.ts). */
export const toRecord = rowRecords(read);
