// Methods on SQLite: the `methods` table, a method's own fields as one JSON object (`data`). A
// method's last use is the later of its row's own `last_used_at` and the use recorded on its
// counter row (adapters/sqlite/counters.ts writes it there in the statement that moves the
// counter), found by the row's `counter_key`. A lookup key is unique per kind (a partial unique
// index), so two inserts racing for one key cannot both succeed. A method inserted with its
// counter, or removed with what it releases, is one transaction. Expects a migrated database.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { StoreError } from '../../src/errors.ts';
import type { MethodData, MethodRecord, MethodRelease, MethodStore } from '../../src/store/ports.ts';
import { METHOD_COLUMNS } from '../shared/row-records.ts';
import { COUNTER_ADVANCE_SQL } from './counters.ts';
import { int, intOrNull, isConstraintViolation, type Row, toRecord, transaction } from './rows.ts';

/**
 * Methods with their last-used time: the later of the method row's own and the last use
 * recorded on its counter by this method (a token's counter outlives its previous holders).
 */
const METHOD_SELECT = `SELECT m.id, m.user_id, m.kind, m.label, m.data, m.counter_key, m.lookup_key, m.created_at,
  CASE WHEN c.used_at IS NULL THEN m.last_used_at
       WHEN m.last_used_at IS NULL OR c.used_at > m.last_used_at THEN c.used_at
       ELSE m.last_used_at END AS last_used_at
  FROM methods m LEFT JOIN counters c ON c.key = m.counter_key AND c.method_id = m.id`;

export class SqliteMethodStore implements MethodStore {
  #db: DatabaseSync;
  #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  /**
   * Two plain statements rather than one join: the methods by the user index, then each one's
   * counter row for its last use. Every verification lists the methods, and this is about three
   * times faster than the join with its ORDER BY (node:sqlite, measured by npm run bench).
   */
  async listMethods(userId: string, options: { lastUsed?: boolean } = {}) {
    const rows = listedRows(this.#sql.listMethodRows.all(userId));
    const methods = rows.map((row) => {
      const method = toRecord.method(row);
      if (options.lastUsed === false || method.counterKey === null) return { method, rid: int(row, 'rid') };
      const used = this.#sql.counterUse.get({ key: method.counterKey, methodId: method.id });
      const usedAt = used ? intOrNull(used, 'used_at') : null;
      if (usedAt !== null && (method.lastUsedAt === null || usedAt > method.lastUsedAt))
        method.lastUsedAt = usedAt;
      return { method, rid: int(row, 'rid') };
    });
    methods.sort((a, b) => a.method.createdAt - b.method.createdAt || a.rid - b.rid);
    return methods.map((m) => m.method);
  }
  async getMethod(userId: string, methodId: string) {
    const row = this.#sql.getMethod.get({ userId, id: methodId });
    return row ? toRecord.method(row) : null;
  }
  async findMethodByLookupKey(kind: string, lookupKey: string) {
    const row = this.#sql.findByLookupKey.get({ kind, lookupKey });
    return row ? toRecord.method(row) : null;
  }
  async insertMethod(method: MethodRecord, counter?: number) {
    const { counterKey } = method;
    if (counter === undefined || counterKey === null) return this.insert(method);
    transaction(this.#db, () => {
      this.insert(method);
      this.#sql.advanceCounter.run({ key: counterKey, value: counter });
    });
  }
  /** The insert statement alone (the token store runs it inside its assignment's transaction). */
  insert(method: MethodRecord): void {
    try {
      this.#sql.insertMethod.run({
        id: method.id,
        userId: method.userId,
        kind: method.kind,
        label: method.label,
        data: JSON.stringify(method.data),
        counterKey: method.counterKey,
        lookupKey: method.lookupKey,
        createdAt: method.createdAt,
        lastUsedAt: method.lastUsedAt,
      });
    } catch (error) {
      if (isConstraintViolation(error)) throw new Error(`method ${method.id} exists`, { cause: error });
      throw error;
    }
  }
  async markMethodUsed(userId: string, methodId: string, at: number) {
    this.#sql.markUsed.run({ userId, id: methodId, at });
  }
  async listMethodsPage(afterId: string | null, limit: number) {
    const rows =
      afterId === null ? this.#sql.firstPage.all({ limit }) : this.#sql.nextPage.all({ afterId, limit });
    return rows.map(toRecord.method);
  }
  async replaceMethodData(userId: string, methodId: string, expected: MethodData, data: MethodData) {
    const changed = this.#sql.replaceData.run({
      userId,
      id: methodId,
      expected: JSON.stringify(expected),
      data: JSON.stringify(data),
    }).changes;
    return Number(changed) === 1;
  }
  async deleteMethod(userId: string, methodId: string, release?: MethodRelease) {
    const remove = () => Number(this.#sql.deleteMethod.run({ userId, id: methodId }).changes) === 1;
    if (release?.counterKey === undefined && release?.tokenSerial === undefined) return remove();
    return transaction(this.#db, () => {
      if (!remove()) return false;
      if (release.counterKey !== undefined) this.#sql.deleteCounter.run({ key: release.counterKey });
      if (release.tokenSerial !== undefined)
        this.#sql.unassignToken.run({ serial: release.tokenSerial, userId });
      return true;
    });
  }
  async deleteAllMethods(userId: string) {
    return Number(this.#sql.deleteAllMethods.run({ userId }).changes);
  }
}

function prepare(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    // Positional, and rows as arrays (read back by listedRows): node:sqlite builds each row object
    // as a slow-mode object with its own map, and matches named parameters by name on every call.
    listMethodRows: arrayRows(sql(`SELECT ${LISTED_COLUMNS.join(', ')} FROM methods WHERE user_id = ?`)),
    counterUse: sql('SELECT used_at FROM counters WHERE key = :key AND method_id = :methodId'),
    getMethod: sql(`${METHOD_SELECT} WHERE m.id = :id AND m.user_id = :userId`),
    findByLookupKey: sql(`${METHOD_SELECT} WHERE m.kind = :kind AND m.lookup_key = :lookupKey`),
    insertMethod: sql(
      `INSERT INTO methods (${METHOD_COLUMNS}) VALUES
       (:id, :userId, :kind, :label, :data, :counterKey, :lookupKey, :createdAt, :lastUsedAt)`,
    ),
    advanceCounter: sql(COUNTER_ADVANCE_SQL),
    markUsed: sql(
      `UPDATE methods SET last_used_at = :at
       WHERE id = :id AND user_id = :userId AND (last_used_at IS NULL OR last_used_at < :at)`,
    ),
    // By the primary key's order (BINARY: UTF-8 bytes, i.e. code points).
    firstPage: sql(`SELECT ${METHOD_COLUMNS} FROM methods ORDER BY id LIMIT :limit`),
    nextPage: sql(`SELECT ${METHOD_COLUMNS} FROM methods WHERE id > :afterId ORDER BY id LIMIT :limit`),
    // One statement: the comparison and the write cannot be split by another writer. json()
    // compares the stored text minified, as written by JSON.stringify.
    replaceData: sql(
      `UPDATE methods SET data = :data
       WHERE id = :id AND user_id = :userId AND json(data) = json(:expected)`,
    ),
    deleteMethod: sql('DELETE FROM methods WHERE id = :id AND user_id = :userId'),
    deleteCounter: sql('DELETE FROM counters WHERE key = :key'),
    unassignToken: sql(
      'UPDATE oath_tokens SET assigned_to = NULL WHERE serial = :serial AND assigned_to = :userId',
    ),
    deleteAllMethods: sql('DELETE FROM methods WHERE user_id = :userId'),
  };
}

/** The columns `listMethods` reads, in order: the rowid (the tie-breaker of its sort), then the method's. */
const LISTED_COLUMNS = ['rowid', ...METHOD_COLUMNS.split(', ')];
const LISTED_NAMES = ['rid', ...METHOD_COLUMNS.split(', ')];

function arrayRows(statement: StatementSync): StatementSync {
  statement.setReturnArrays(true);
  return statement;
}

/** Rows read as arrays (listMethodRows), as rows by column name for the shared mappers. */
function listedRows(arrays: unknown[]): Row[] {
  return arrays.map((values) => {
    if (!Array.isArray(values)) throw new StoreError('sqlite: a listed method row is not an array');
    const row: Row = {};
    for (let i = 0; i < LISTED_NAMES.length; i++) row[LISTED_NAMES[i] as string] = values[i] as Row[string];
    return row;
  });
}
