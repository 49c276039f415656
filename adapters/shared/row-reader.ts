// The row accessor the SQL adapters (sqlite, postgres) read their rows through: each column is
// checked for the type the schema promises, so a database edited around mfakit fails loudly (the
// adapter's StoreError) instead of handing a wrong type to the engine. What differs between the
// databases — how an integer and a boolean come back, and the error naming the store — each
// adapter gives in its rows.ts; the rest is written once here. Not an adapter: no index.ts.

/** A row as the database client hands it over: column name to value. */
export type Row = Record<string, unknown>;

/** Reads a row's columns as the types the schema promises, or throws the adapter's StoreError. */
export interface RowReader {
  text(row: Row, column: string): string;
  textOrNull(row: Row, column: string): string | null;
  /** An integer column, as a JavaScript number. */
  int(row: Row, column: string): number;
  intOrNull(row: Row, column: string): number | null;
  /** A boolean column (however the database stores one). */
  bool(row: Row, column: string): boolean;
  /** A column holding one of `allowed`. */
  oneOf<T extends string | number>(row: Row, column: string, allowed: readonly T[]): T;
  /** A `text` column holding a JSON object (methods' data, audit data), parsed. */
  jsonObject(row: Row, column: string): Record<string, unknown>;
  /** Checks that a value read from a JSON column is an object (not an array, not null). */
  asObject(value: unknown, column: string): Record<string, unknown>;
  /** A column holding a list of strings (an app password's apps), however the database keeps one. */
  textList(row: Row, column: string): string[];
}

/** What a database does its own way: the error it fails with, its integers and booleans. */
export interface ColumnTypes {
  /** The adapter's StoreError for a column that is not what the schema promises. */
  fail(message: string): Error;
  int(row: Row, column: string): number;
  bool(row: Row, column: string): boolean;
  /** A list column as the database hands it over (checked to be strings by the reader). */
  list(row: Row, column: string): unknown;
}

/** The row reader of a database, from what it does its own way. */
export function rowReader({ fail, int, bool, list }: ColumnTypes): RowReader {
  const text = (row: Row, column: string): string => {
    const value = row[column];
    if (typeof value !== 'string') throw fail(`column ${column} is not text`);
    return value;
  };
  const asObject = (value: unknown, column: string): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw fail(`column ${column} is not a JSON object`);
    return value as Record<string, unknown>;
  };
  return {
    text,
    textOrNull: (row, column) => (row[column] === null ? null : text(row, column)),
    int,
    intOrNull: (row, column) => (row[column] === null ? null : int(row, column)),
    bool,
    oneOf<T extends string | number>(row: Row, column: string, allowed: readonly T[]): T {
      const value = row[column];
      const found = allowed.find((a) => a === value);
      if (found === undefined) throw fail(`column ${column} holds an unexpected value`);
      return found;
    },
    jsonObject: (row, column) => asObject(JSON.parse(text(row, column)), column),
    asObject,
    textList(row, column) {
      const value = list(row, column);
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
        throw fail(`column ${column} is not a list of text`);
      return value;
    },
  };
}
