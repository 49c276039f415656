// The policy document on SQLite: the single-row `policy_document` table. Every save is one
// conditional statement (the first relies on the single-row primary key, later ones on the
// version match), so two writers in any processes cannot both win. Expects a migrated database.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { PolicyDocumentRecord, PolicyDocumentStore } from '../../src/store/ports.ts';
import { int, type Row, text, textOrNull } from './rows.ts';

function toPolicyDocument(row: Row): PolicyDocumentRecord {
  return {
    version: int(row, 'version'),
    document: JSON.parse(text(row, 'document')),
    updatedAt: int(row, 'updated_at'),
    updatedBy: textOrNull(row, 'updated_by'),
  };
}

export class SqlitePolicyDocumentStore implements PolicyDocumentStore {
  #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#sql = prepare(db);
  }

  async getPolicyDocument() {
    const row = this.#sql.getPolicyDocument.get();
    return row ? toPolicyDocument(row) : null;
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
    getPolicyDocument: sql(
      'SELECT version, document, updated_at, updated_by FROM policy_document WHERE id = 1',
    ),
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
