// OIDC models: an embedded OpenID provider's storage (oidc-provider's adapter contract, see
// src/oidc/adapter.ts): JSON payloads keyed by (model, id), found also by uid and user code,
// revoked by grant. The contract checks: payloads round-trip as fresh copies, entries expire at
// their time to the millisecond (null: never), lookups see only live entries of their model,
// `consume` marks an entry once (twenty concurrent consumes: exactly one wins), and revoking a
// grant removes only that model's entries of that grant.

/**
 * Storage for an OpenID provider's models (oidc-provider's adapter contract, see src/oidc/adapter.ts):
 * JSON payloads keyed by (model, id), looked up also by `payload.uid`, `payload.userCode` and
 * revoked by `payload.grantId`. An entry is live while now < expiresAtMs (null: no expiry);
 * expired entries are never returned. Payloads come back as fresh copies of the JSON stored.
 */
export interface OidcStore {
  /** Inserts or replaces the entry; its uid, userCode and grantId are re-read from `payload`. */
  upsert(
    model: string,
    id: string,
    payload: Record<string, unknown>,
    expiresAtMs: number | null,
  ): Promise<void>;
  find(model: string, id: string): Promise<Record<string, unknown> | null>;
  findByUid(model: string, uid: string): Promise<Record<string, unknown> | null>;
  findByUserCode(model: string, userCode: string): Promise<Record<string, unknown> | null>;
  /**
   * Atomically sets `payload.consumed = atSeconds` on a live, not yet consumed entry.
   * True for the first caller only; false if absent, expired or already consumed.
   */
  consume(model: string, id: string, atSeconds: number): Promise<boolean>;
  destroy(model: string, id: string): Promise<void>;
  /** Removes every entry of `model` whose `payload.grantId` is `grantId` (other models are untouched). */
  revokeByGrantId(model: string, grantId: string): Promise<void>;
}
