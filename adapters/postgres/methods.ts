// Methods on PostgreSQL: the `methods` table, a method's own fields as one JSON object (`data`,
// text). A method's last use is the later of its row's own `last_used_at` and the use recorded
// on its counter row (adapters/postgres/counters.ts writes it there in the statement that moves
// the counter), joined by the row's `counter_key`. A lookup key is unique per kind (a partial
// unique index), so two inserts racing for one key cannot both succeed. A method inserted with
// its counter is one statement (the method's INSERT feeding the counter's), and so is one removed
// with what it releases; a replacement of a method's data (sealing-key rotation) compares and
// writes in one statement. Expects a migrated schema.
import type { MethodData, MethodRecord, MethodRelease, MethodStore } from '../../src/store/ports.ts';
import { METHOD_COLUMNS } from '../shared/row-records.ts';
import { isUniqueViolation, type PostgresDatabase, run, statement } from './queries.ts';
import { toRecord } from './rows.ts';

export class PostgresMethodStore implements MethodStore {
  #db: PostgresDatabase;
  #sql: ReturnType<typeof prepare>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  async listMethods(userId: string, options: { lastUsed?: boolean } = {}) {
    const sql = options.lastUsed === false ? this.#sql.listMethodRows : this.#sql.listMethods;
    return (await run(this.#db.pool, sql, [userId])).rows.map(toRecord.method);
  }
  async getMethod(userId: string, methodId: string) {
    const row = (await run(this.#db.pool, this.#sql.getMethod, [methodId, userId])).rows[0];
    return row ? toRecord.method(row) : null;
  }
  async findMethodByLookupKey(kind: string, lookupKey: string) {
    const row = (await run(this.#db.pool, this.#sql.findByLookupKey, [kind, lookupKey])).rows[0];
    return row ? toRecord.method(row) : null;
  }
  async insertMethod(method: MethodRecord, counter?: number) {
    const withCounter = counter !== undefined && method.counterKey !== null;
    try {
      if (withCounter) await run(this.#db.pool, this.#sql.insertWithCounter, [...methodRow(method), counter]);
      else await run(this.#db.pool, this.#sql.insertMethod, methodRow(method));
    } catch (error) {
      if (isUniqueViolation(error)) throw new Error(`method ${method.id} exists`, { cause: error });
      throw error;
    }
  }
  async markMethodUsed(userId: string, methodId: string, at: number) {
    await run(this.#db.pool, this.#sql.markUsed, [methodId, userId, at]);
  }
  async listMethodsPage(afterId: string | null, limit: number) {
    const page =
      afterId === null
        ? await run(this.#db.pool, this.#sql.firstPage, [limit])
        : await run(this.#db.pool, this.#sql.nextPage, [afterId, limit]);
    return page.rows.map(toRecord.method);
  }
  async replaceMethodData(userId: string, methodId: string, expected: MethodData, data: MethodData) {
    const values = [methodId, userId, JSON.stringify(expected), JSON.stringify(data)];
    return (await run(this.#db.pool, this.#sql.replaceData, values)).rowCount === 1;
  }
  async deleteMethod(userId: string, methodId: string, release?: MethodRelease) {
    if (release?.counterKey === undefined && release?.tokenSerial === undefined)
      return (await run(this.#db.pool, this.#sql.deleteMethod, [methodId, userId])).rowCount === 1;
    const values = [methodId, userId, release.counterKey ?? null, release.tokenSerial ?? null];
    return (await run(this.#db.pool, this.#sql.deleteReleasing, values)).rowCount === 1;
  }
  async deleteAllMethods(userId: string) {
    return (await run(this.#db.pool, this.#sql.deleteAllMethods, [userId])).rowCount ?? 0;
  }
}

/** A method's values for METHOD_COLUMNS ($1…$9 of a statement that writes one). */
export function methodRow(method: MethodRecord): unknown[] {
  return [
    method.id,
    method.userId,
    method.kind,
    method.label,
    JSON.stringify(method.data),
    method.counterKey,
    method.lookupKey,
    method.createdAt,
    method.lastUsedAt,
  ];
}

function prepare(db: PostgresDatabase) {
  const methods = db.table('methods');
  const counters = db.table('counters');
  /**
   * Methods with their last-used time: the later of the method row's own and the last use
   * recorded on its counter by this method (a token's counter outlives its previous holders).
   * GREATEST ignores NULLs.
   */
  const select = `SELECT m.id, m.user_id, m.kind, m.label, m.data, m.counter_key, m.lookup_key, m.created_at,
      GREATEST(m.last_used_at, c.used_at) AS last_used_at
    FROM ${methods} m LEFT JOIN ${counters} c ON c.key = m.counter_key AND c.method_id = m.id`;
  return {
    listMethods: statement(`${select} WHERE m.user_id = $1 ORDER BY m.created_at, m.seq`),
    listMethodRows: statement(
      `SELECT ${METHOD_COLUMNS} FROM ${methods} WHERE user_id = $1 ORDER BY created_at, seq`,
    ),
    getMethod: statement(`${select} WHERE m.id = $1 AND m.user_id = $2`),
    findByLookupKey: statement(`${select} WHERE m.kind = $1 AND m.lookup_key = $2`),
    insertMethod: statement(
      `INSERT INTO ${methods} (${METHOD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    ),
    // The counter moves as `advance` would; both rows or neither.
    insertWithCounter: statement(
      `WITH method AS (
         INSERT INTO ${methods} (${METHOD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING counter_key
       )
       INSERT INTO ${counters} AS c (key, value) SELECT counter_key, $10::bigint FROM method
       ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE c.value < excluded.value`,
    ),
    markUsed: statement(
      `UPDATE ${methods} SET last_used_at = $3
       WHERE id = $1 AND user_id = $2 AND (last_used_at IS NULL OR last_used_at < $3)`,
    ),
    // In the column's own collation, so the primary key's index serves each page: the order only
    // has to be the same from one page to the next.
    firstPage: statement(`SELECT ${METHOD_COLUMNS} FROM ${methods} ORDER BY id LIMIT $1`),
    nextPage: statement(`SELECT ${METHOD_COLUMNS} FROM ${methods} WHERE id > $1 ORDER BY id LIMIT $2`),
    // One statement: the row lock makes a concurrent replacement wait, then re-check the data.
    replaceData: statement(
      `UPDATE ${methods} SET data = $4 WHERE id = $1 AND user_id = $2 AND data::jsonb = $3::jsonb`,
    ),
    deleteMethod: statement(`DELETE FROM ${methods} WHERE id = $1 AND user_id = $2`),
    // The counter and the token go only with the method; a row comes back when it went.
    deleteReleasing: statement(
      `WITH method AS (DELETE FROM ${methods} WHERE id = $1 AND user_id = $2 RETURNING id),
       counter AS (DELETE FROM ${counters} WHERE key = $3::text AND EXISTS (SELECT 1 FROM method)),
       token AS (
         UPDATE ${db.table('oath_tokens')} SET assigned_to = NULL
         WHERE serial = $4::text AND assigned_to = $2 AND EXISTS (SELECT 1 FROM method)
       )
       SELECT id FROM method`,
    ),
    deleteAllMethods: statement(`DELETE FROM ${methods} WHERE user_id = $1`),
  };
}
