// Methods on SQLite: the `methods` table. A method's last use is the later of its row's own
// `last_used_at` and the use recorded on its counter row (adapters/sqlite/counters.ts writes
// it there in the statement that moves the counter), found by `methodCounterKey`. Expects a
// migrated database.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { type MethodRecord, type MethodStore, methodCounterKey } from '../../src/store/ports.ts';
import {
  int,
  intOrNull,
  isConstraintViolation,
  OTP_ALGORITHMS,
  OTP_DIGITS,
  OTP_KINDS,
  oneOf,
  type Row,
  text,
  textOrNull,
} from './rows.ts';

function toMethod(row: Row): MethodRecord {
  return {
    id: text(row, 'id'),
    userId: text(row, 'user_id'),
    kind: oneOf(row, 'kind', OTP_KINDS),
    label: text(row, 'label'),
    sealedSecret: text(row, 'sealed_secret'),
    algorithm: oneOf(row, 'algorithm', OTP_ALGORITHMS),
    digits: oneOf(row, 'digits', OTP_DIGITS),
    period: int(row, 'period'),
    tokenSerial: textOrNull(row, 'token_serial'),
    createdAt: int(row, 'created_at'),
    lastUsedAt: intOrNull(row, 'last_used_at'),
  };
}

const METHOD_COLUMNS =
  'id, user_id, kind, label, sealed_secret, algorithm, digits, period, token_serial, created_at, last_used_at';
/**
 * Methods with their last-used time: the later of the method row's own and the last use
 * recorded on its counter by this method (a token's counter outlives its previous holders).
 */
const METHOD_SELECT = `SELECT m.id, m.user_id, m.kind, m.label, m.sealed_secret, m.algorithm, m.digits, m.period,
  m.token_serial, m.created_at,
  CASE WHEN c.used_at IS NULL THEN m.last_used_at
       WHEN m.last_used_at IS NULL OR c.used_at > m.last_used_at THEN c.used_at
       ELSE m.last_used_at END AS last_used_at
  FROM methods m LEFT JOIN counters c
    ON c.key = (CASE WHEN m.token_serial IS NOT NULL THEN 'token:' || m.token_serial ELSE m.kind || ':' || m.id END)
   AND c.method_id = m.id`;

export class SqliteMethodStore implements MethodStore {
  #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#sql = prepare(db);
  }

  /**
   * Two plain statements rather than one join: the methods by the user index, then each one's
   * counter row for its last use. Every verification lists the methods, and this is about three
   * times faster than the join with its ORDER BY (node:sqlite, measured by npm run bench).
   */
  async listMethods(userId: string, options: { lastUsed?: boolean } = {}) {
    const rows = this.#sql.listMethodRows.all({ userId });
    const methods = rows.map((row) => {
      const method = toMethod(row);
      if (options.lastUsed === false) return { method, rid: int(row, 'rid') };
      const used = this.#sql.counterUse.get({ key: methodCounterKey(method), methodId: method.id });
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
    return row ? toMethod(row) : null;
  }
  async insertMethod(method: MethodRecord) {
    try {
      this.#sql.insertMethod.run({
        id: method.id,
        userId: method.userId,
        kind: method.kind,
        label: method.label,
        sealedSecret: method.sealedSecret,
        algorithm: method.algorithm,
        digits: method.digits,
        period: method.period,
        tokenSerial: method.tokenSerial,
        createdAt: method.createdAt,
        lastUsedAt: method.lastUsedAt,
      });
    } catch (error) {
      if (isConstraintViolation(error)) throw new Error(`method ${method.id} exists`, { cause: error });
      throw error;
    }
  }
  async deleteMethod(userId: string, methodId: string) {
    return Number(this.#sql.deleteMethod.run({ userId, id: methodId }).changes) === 1;
  }
  async deleteAllMethods(userId: string) {
    return Number(this.#sql.deleteAllMethods.run({ userId }).changes);
  }
}

function prepare(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    listMethodRows: sql(`SELECT rowid AS rid, ${METHOD_COLUMNS} FROM methods WHERE user_id = :userId`),
    counterUse: sql('SELECT used_at FROM counters WHERE key = :key AND method_id = :methodId'),
    getMethod: sql(`${METHOD_SELECT} WHERE m.id = :id AND m.user_id = :userId`),
    insertMethod: sql(
      `INSERT INTO methods (${METHOD_COLUMNS}) VALUES
       (:id, :userId, :kind, :label, :sealedSecret, :algorithm, :digits, :period, :tokenSerial, :createdAt, :lastUsedAt)`,
    ),
    deleteMethod: sql('DELETE FROM methods WHERE id = :id AND user_id = :userId'),
    deleteAllMethods: sql('DELETE FROM methods WHERE user_id = :userId'),
  };
}
