// Row readers shared by the PostgreSQL stores: each column is checked for the type the schema
// promises, so a database edited around mfakit fails loudly (StoreError) instead of handing a
// wrong type to the engine. Times are `bigint` columns, which node-postgres hands over as decimal
// strings unless an application installed its own type parser: both are read here.

import type { OathTokenRecord, OtpKind } from '../../src/store/ports.ts';
import { postgresStoreError } from './failures.ts';

export type Row = Record<string, unknown>;

export function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== 'string') throw postgresStoreError(`column ${column} is not text`);
  return value;
}

export function textOrNull(row: Row, column: string): string | null {
  return row[column] === null ? null : text(row, column);
}

/** An integer column (`integer` or `bigint`), as a safe JavaScript integer. */
export function int(row: Row, column: string): number {
  const value = row[column];
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'bigint' || (typeof value === 'string' && /^-?\d+$/.test(value))
        ? Number(value)
        : Number.NaN;
  if (!Number.isSafeInteger(number)) throw postgresStoreError(`column ${column} is not an integer`);
  return number;
}

export function intOrNull(row: Row, column: string): number | null {
  return row[column] === null ? null : int(row, column);
}

export function bool(row: Row, column: string): boolean {
  const value = row[column];
  if (typeof value !== 'boolean') throw postgresStoreError(`column ${column} is not a boolean`);
  return value;
}

export function oneOf<T extends string | number>(row: Row, column: string, allowed: readonly T[]): T {
  const value = row[column];
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw postgresStoreError(`column ${column} holds an unexpected value`);
  return found;
}

/** A `text` column holding a JSON object (methods' data, audit data), parsed. */
export function jsonObject(row: Row, column: string): Record<string, unknown> {
  return asObject(JSON.parse(text(row, column)), column);
}

/** Checks that a value read from a JSON column is an object (not an array, not null). */
export function asObject(value: unknown, column: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw postgresStoreError(`column ${column} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** The values the OTP columns of `oath_tokens` may hold (read with `oneOf`). */
export const OTP_KINDS: readonly OtpKind[] = ['totp', 'hotp'];
export const OTP_ALGORITHMS: readonly OathTokenRecord['algorithm'][] = ['sha1', 'sha256', 'sha512'];
export const OTP_DIGITS: readonly OathTokenRecord['digits'][] = [6, 8];
