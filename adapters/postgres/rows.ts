// Row readers shared by the PostgreSQL stores: the common row accessor
// (adapters/shared/row-reader.ts) over PostgreSQL's own column types. Times are `bigint` columns,
// which node-postgres hands over as decimal strings unless an application installed its own type
// parser: both are read here. A column that is not what the schema promises fails with a
// StoreError naming PostgreSQL (the message starts with `postgres:`).
import type { OathTokenRecord, OtpKind } from '../../src/store/ports.ts';
import { rowReader } from '../shared/row-reader.ts';
import { postgresStoreError } from './failures.ts';

export type { Row } from '../shared/row-reader.ts';

/** The PostgreSQL row reader. */
export const read = rowReader({
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
});
export const { text, textOrNull, int, intOrNull, bool, oneOf, jsonObject, asObject } = read;

/** The values the OTP columns of `oath_tokens` may hold (read with `oneOf`). */
export const OTP_KINDS: readonly OtpKind[] = ['totp', 'hotp'];
export const OTP_ALGORITHMS: readonly OathTokenRecord['algorithm'][] = ['sha1', 'sha256', 'sha512'];
export const OTP_DIGITS: readonly OathTokenRecord['digits'][] = [6, 8];
