// The policy document on PostgreSQL: the single-row `policy_document` table. Every save is one
// conditional statement (the first an INSERT relying on the single-row primary key, later ones
// an UPDATE matching the version, which a concurrent writer re-checks after waiting for the row
// lock), so two writers in any processes cannot both win. Expects a migrated schema.
import type { PolicyDocumentStore } from '../../src/store/ports.ts';
import { POLICY_DOCUMENT_COLUMNS } from '../shared/row-records.ts';
import { type PostgresDatabase, run, statement } from './queries.ts';
import { toRecord } from './rows.ts';

export class PostgresPolicyDocumentStore implements PolicyDocumentStore {
  #db: PostgresDatabase;
  #sql: ReturnType<typeof prepare>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  async getPolicyDocument() {
    const row = (await run(this.#db.pool, this.#sql.getPolicyDocument, [])).rows[0];
    return row ? toRecord.policyDocument(row) : null;
  }
  async putPolicyDocument(document: unknown, expectedVersion: number, at: number, by: string | null) {
    const json = JSON.stringify(document);
    if (json === undefined) throw new TypeError('policy document is not JSON');
    // Stored versions are 1, 2, ... (integer column); no other expectation can ever match.
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0 || expectedVersion >= 2 ** 31 - 1)
      return null;
    const result =
      expectedVersion === 0
        ? await run(this.#db.pool, this.#sql.insertPolicyDocument, [json, at, by])
        : await run(this.#db.pool, this.#sql.updatePolicyDocument, [expectedVersion, json, at, by]);
    const row = result.rows[0];
    return row ? toRecord.policyDocument(row) : null;
  }
}

function prepare(db: PostgresDatabase) {
  const policy = db.table('policy_document');
  const returning = `RETURNING ${POLICY_DOCUMENT_COLUMNS}`;
  return {
    getPolicyDocument: statement(`SELECT ${POLICY_DOCUMENT_COLUMNS} FROM ${policy} WHERE id = 1`),
    insertPolicyDocument: statement(
      `INSERT INTO ${policy} (id, version, document, updated_at, updated_by) VALUES (1, 1, $1, $2, $3)
       ON CONFLICT (id) DO NOTHING ${returning}`,
    ),
    updatePolicyDocument: statement(
      `UPDATE ${policy} SET version = version + 1, document = $2, updated_at = $3, updated_by = $4
       WHERE id = 1 AND version = $1 ${returning}`,
    ),
  };
}
