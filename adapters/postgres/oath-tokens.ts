// The OATH token inventory on PostgreSQL: the `oath_tokens` table. An import is one INSERT of
// every token (all or nothing: an existing or repeated serial fails the whole statement);
// assigning is one conditional UPDATE (only a free token), so one of any number of concurrent
// callers, in any process, gets it — feeding the INSERT of the token's method in the same
// statement when there is one; so is replacing a sealed secret (only the one read). Expects a
// migrated schema.
import type { MethodRecord, OathTokenRecord, OathTokenStore } from '../../src/store/ports.ts';
import { METHOD_COLUMNS, TOKEN_COLUMNS } from '../shared/row-records.ts';
import { methodRow } from './methods.ts';
import { isUniqueViolation, type PostgresDatabase, run, statement } from './queries.ts';
import { toRecord } from './rows.ts';

export class PostgresOathTokenStore implements OathTokenStore {
  #db: PostgresDatabase;
  #sql: ReturnType<typeof prepare>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  async importTokens(tokens: OathTokenRecord[]) {
    // One column array per field: the batch is one statement, whatever its size.
    const columns = [
      tokens.map((t) => t.serial),
      tokens.map((t) => t.kind),
      tokens.map((t) => t.sealedSecret),
      tokens.map((t) => t.algorithm),
      tokens.map((t) => t.digits),
      tokens.map((t) => t.period),
      tokens.map((t) => t.assignedTo),
      tokens.map((t) => t.importedAt),
    ];
    try {
      await run(this.#db.pool, this.#sql.importTokens, columns);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // The server names the key: `Key (serial)=(TK-0001) already exists.`
      const detail = (error as { detail?: unknown }).detail;
      const serial =
        typeof detail === 'string' ? /\(serial\)=\((.*)\) already exists/.exec(detail)?.[1] : undefined;
      throw new Error(`token ${serial ?? '(one of the batch)'} exists`, { cause: error });
    }
  }
  async getToken(serial: string) {
    const row = (await run(this.#db.pool, this.#sql.getToken, [serial])).rows[0];
    return row ? toRecord.token(row) : null;
  }
  async listTokens() {
    return (await run(this.#db.pool, this.#sql.listTokens, [])).rows.map(toRecord.token);
  }
  async assignToken(serial: string, userId: string, method?: MethodRecord) {
    if (!method) return (await run(this.#db.pool, this.#sql.assignToken, [serial, userId])).rowCount === 1;
    try {
      const values = [serial, userId, ...methodRow(method)];
      return (await run(this.#db.pool, this.#sql.assignAsMethod, values)).rowCount === 1;
    } catch (error) {
      if (isUniqueViolation(error)) throw new Error(`method ${method.id} exists`, { cause: error });
      throw error;
    }
  }
  async unassignToken(serial: string, userId: string) {
    return (await run(this.#db.pool, this.#sql.unassignToken, [serial, userId])).rowCount === 1;
  }
  async unassignTokens(userId: string) {
    return (await run(this.#db.pool, this.#sql.unassignTokens, [userId])).rowCount ?? 0;
  }
  async replaceTokenSecret(serial: string, expected: string, sealed: string) {
    return (await run(this.#db.pool, this.#sql.replaceSecret, [serial, expected, sealed])).rowCount === 1;
  }
}

function prepare(db: PostgresDatabase) {
  const tokens = db.table('oath_tokens');
  const methods = db.table('methods');
  return {
    importTokens: statement(
      `INSERT INTO ${tokens} (${TOKEN_COLUMNS})
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::integer[],
                            $7::text[], $8::bigint[])`,
    ),
    getToken: statement(`SELECT ${TOKEN_COLUMNS} FROM ${tokens} WHERE serial = $1`),
    // COLLATE "C": by code point, the same order whatever the database's locale.
    listTokens: statement(`SELECT ${TOKEN_COLUMNS} FROM ${tokens} ORDER BY serial COLLATE "C"`),
    assignToken: statement(`UPDATE ${tokens} SET assigned_to = $2 WHERE serial = $1 AND assigned_to IS NULL`),
    // The method row is written only if the token was free; both or neither.
    assignAsMethod: statement(
      `WITH token AS (
         UPDATE ${tokens} SET assigned_to = $2 WHERE serial = $1 AND assigned_to IS NULL RETURNING serial
       )
       INSERT INTO ${methods} (${METHOD_COLUMNS})
       SELECT $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, $10::bigint, $11::bigint
       FROM token`,
    ),
    unassignToken: statement(
      `UPDATE ${tokens} SET assigned_to = NULL WHERE serial = $1 AND assigned_to = $2`,
    ),
    unassignTokens: statement(`UPDATE ${tokens} SET assigned_to = NULL WHERE assigned_to = $1`),
    replaceSecret: statement(
      `UPDATE ${tokens} SET sealed_secret = $3 WHERE serial = $1 AND sealed_secret = $2`,
    ),
  };
}
