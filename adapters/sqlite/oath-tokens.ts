// The OATH token inventory on SQLite: the `oath_tokens` table. An import is one `BEGIN
// IMMEDIATE` transaction (all or nothing); assigning is one conditional UPDATE (only a free
// token), so one of any number of concurrent callers gets it, in one transaction with the insert
// of the token's method when there is one. Expects a migrated database.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { MethodRecord, OathTokenRecord, OathTokenStore } from '../../src/store/ports.ts';
import { TOKEN_COLUMNS } from '../shared/row-records.ts';
import type { SqliteMethodStore } from './methods.ts';
import { isConstraintViolation, toRecord, transaction } from './rows.ts';

export class SqliteOathTokenStore implements OathTokenStore {
  #db: DatabaseSync;
  #sql: ReturnType<typeof prepare>;
  #methods: SqliteMethodStore;

  constructor(db: DatabaseSync, methods: SqliteMethodStore) {
    this.#db = db;
    this.#sql = prepare(db);
    this.#methods = methods;
  }

  async importTokens(tokens: OathTokenRecord[]) {
    transaction(this.#db, () => {
      for (const token of tokens) {
        try {
          this.#sql.insertToken.run({
            serial: token.serial,
            kind: token.kind,
            sealedSecret: token.sealedSecret,
            algorithm: token.algorithm,
            digits: token.digits,
            period: token.period,
            assignedTo: token.assignedTo,
            importedAt: token.importedAt,
          });
        } catch (error) {
          if (isConstraintViolation(error)) throw new Error(`token ${token.serial} exists`, { cause: error });
          throw error;
        }
      }
    });
  }
  async getToken(serial: string) {
    const row = this.#sql.getToken.get({ serial });
    return row ? toRecord.token(row) : null;
  }
  async listTokens() {
    return this.#sql.listTokens.all().map(toRecord.token);
  }
  async assignToken(serial: string, userId: string, method?: MethodRecord) {
    if (!method) return Number(this.#sql.assignToken.run({ serial, userId }).changes) === 1;
    return transaction(this.#db, () => {
      if (Number(this.#sql.assignToken.run({ serial, userId }).changes) !== 1) return false;
      this.#methods.insert(method);
      return true;
    });
  }
  async unassignToken(serial: string, userId: string) {
    return Number(this.#sql.unassignToken.run({ serial, userId }).changes) === 1;
  }
  async unassignTokens(userId: string) {
    return Number(this.#sql.unassignTokens.run({ userId }).changes);
  }
  async replaceTokenSecret(serial: string, expected: string, sealed: string) {
    return Number(this.#sql.replaceSecret.run({ serial, expected, sealed }).changes) === 1;
  }
}

function prepare(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    insertToken: sql(
      `INSERT INTO oath_tokens (${TOKEN_COLUMNS}) VALUES
       (:serial, :kind, :sealedSecret, :algorithm, :digits, :period, :assignedTo, :importedAt)`,
    ),
    getToken: sql(`SELECT ${TOKEN_COLUMNS} FROM oath_tokens WHERE serial = :serial`),
    listTokens: sql(`SELECT ${TOKEN_COLUMNS} FROM oath_tokens ORDER BY serial`),
    assignToken: sql(
      'UPDATE oath_tokens SET assigned_to = :userId WHERE serial = :serial AND assigned_to IS NULL',
    ),
    unassignToken: sql(
      'UPDATE oath_tokens SET assigned_to = NULL WHERE serial = :serial AND assigned_to = :userId',
    ),
    unassignTokens: sql('UPDATE oath_tokens SET assigned_to = NULL WHERE assigned_to = :userId'),
    replaceSecret: sql(
      'UPDATE oath_tokens SET sealed_secret = :sealed WHERE serial = :serial AND sealed_secret = :expected',
    ),
  };
}
