// The policy document on SQLite: the single-row `policy_document` table. Every save is one
// conditional statement (the first relies on the single-row primary key, later ones on the
// version match), so two writers in any processes cannot both win. Expects a migrated database.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { PolicyDocumentStore } from '../../src/store/ports.ts';
import { POLICY_DOCUMENT_COLUMNS } from '../shared/row-records.ts';
import { toRecord } from './rows.ts';

export class SqlitePolicyDocumentStore implements PolicyDocumentStore {
  #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#sql = prepare(db);
  }

  async getPolicyDocument() {
    const row = this.#sql.getPolicyDocument.get();
    return row ? toRecord.policyDocument(row) : null;
  }
  async putPolicyDocument(document: unknown, expectedVersion: number, at: number, by: string | null) {
    const json = JSON.stringify(document);
    if (json === undefined) throw new TypeError('policy document is not JSON');
    // Stored versions are 1, 2, ...; no other expectation can ever match.
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) return null;
    // One conditional statement either way, so two writers (in any processes) cannot both win:
    // the first save relies on the single-row primary key, later ones on the version match.
    const result =
      expectedVersion === 0
        ? this.#sql.insertPolicyDocument.run({ document: json, at, by })
        : this.#sql.updatePolicyDocument.run({ expected: expectedVersion, document: json, at, by });
    if (Number(result.changes) !== 1) return null;
    return { version: expectedVersion + 1, document: JSON.parse(json), updatedAt: at, updatedBy: by };
  }
}

function prepare(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    getPolicyDocument: sql(`SELECT ${POLICY_DOCUMENT_COLUMNS} FROM policy_document WHERE id = 1`),
    insertPolicyDocument: sql(
      `INSERT INTO policy_document (id, version, document, updated_at, updated_by) VALUES (1, 1, :document, :at, :by)
       ON CONFLICT (id) DO NOTHING`,
    ),
    updatePolicyDocument: sql(
      `UPDATE policy_document SET version = version + 1, document = :document, updated_at = :at, updated_by = :by
       WHERE id = 1 AND version = :expected`,
    ),
  };
}
