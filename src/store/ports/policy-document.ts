// Policy document: the one conditional-access document, versioned 1, 2, ... and saved by
// compare-and-set. The contract checks: only a save naming the current version (0 before the
// first) writes, anything else answers null and writes nothing; of twenty concurrent saves
// naming one version exactly one wins and its document is the one stored; the document
// round-trips as JSON and comes out as a copy.

/** The conditional-access policy document as last saved, with its version (1, 2, ...). */
export interface PolicyDocumentRecord {
  version: number;
  /** The JSON document exactly as saved (already validated by the caller). */
  document: unknown;
  updatedAt: number;
  updatedBy: string | null;
}

export interface PolicyDocumentStore {
  /** The current policy document, or null if none was ever saved. */
  getPolicyDocument(): Promise<PolicyDocumentRecord | null>;
  /**
   * Compare-and-set: stores `document` as version expectedVersion + 1 only if the stored version is
   * `expectedVersion` (0 when none was saved yet). Returns the new record, or null when another
   * writer got there first (nothing written). The document is stored as JSON text.
   */
  putPolicyDocument(
    document: unknown,
    expectedVersion: number,
    at: number,
    by: string | null,
  ): Promise<PolicyDocumentRecord | null>;
}
