// Row readers and row-to-record mappers shared by the PostgreSQL stores: the common row accessor
// (adapters/shared/row-reader.ts) over PostgreSQL's own column types, and the mappers both SQL
// adapters share (row-records.ts) reading through it. Times are `bigint` columns, which
// node-postgres hands over as decimal strings unless an application installed its own type
// parser: both are read here. A column that is not what the schema promises fails with a
// StoreError naming PostgreSQL (the message starts with `postgres:`).
import { rowReader } from '../shared/row-reader.ts';
import { rowRecords } from '../shared/row-records.ts';
import { postgresStoreError } from './failures.ts';

export type { Row } from '../shared/row-reader.ts';

const read = rowReader({
  fail: (message) => postgresStoreError(message),
  /** An integer column (`integer` or `bigint`), as a safe JavaScript integer. */
  int(row, column) {
    const value = row[column];
    const number =
      typeof value === 'number'
        ? value
        : typeof value === 'bigint' || (typeof value === 'string' && /^-?\d+$/.test(value))
          ? Number(value)
          : Number.NaN;
    if (!Number.isSafeInteger(number)) throw postgresStoreError(`column ${column} is not an integer`);
    return number;
  },
  bool(row, column) {
    const value = row[column];
    if (typeof value !== 'boolean') throw postgresStoreError(`column ${column} is not a boolean`);
    return value;
  },
  /** A `text[]` column, which node-postgres hands over as an array. */
  list: (row, column) => row[column],
});
export const { text, int, bool, oneOf, asObject } = read;

/** This database's rows as the ports' records (adapters/shared/row-records.ts). */
export const toRecord = rowRecords(read);
