// One `OidcStore` over two, chosen by model name: an embedded OpenID provider's short-lived
// models (codes, interactions, access tokens, replay marks: minutes to an hour) in a fast store
// that may lose them (Redis), every other model — sessions, grants, refresh tokens, clients,
// registration tokens, mfakit's session stamps, and any model this list does not name — in a
// durable one (PostgreSQL, SQLite), so a cache restarted empty signs nobody out and leaves every
// refresh token working.
//
// Each call goes to the one store of its model, so what each store promises holds as it is:
// `consume` is once per entry, and `revokeByGrantId(model, grant)` removes that model's entries
// where they live. oidc-provider's adapter (src/oidc/adapter.ts) revokes a grant model by model,
// so a grant's refresh tokens go from the durable store and its codes and access tokens from the
// fast one, in the same revocation.

import type { OidcStore } from './ports.ts';

/**
 * oidc-provider's models that live minutes to an hour (its default TTLs: AuthorizationCode 60 s,
 * PushedAuthorizationRequest 60 s, DeviceCode, BackchannelAuthenticationRequest and
 * PreAuthorizedCode 10 min, ClientCredentials 10 min, Interaction and AccessToken 1 h) or only
 * guard against replays. Losing them ends a sign-in under way or makes a client refresh its
 * access token, nothing more.
 */
export const SHORT_LIVED_OIDC_MODELS: readonly string[] = [
  'AccessToken',
  'AuthorizationCode',
  'BackchannelAuthenticationRequest',
  'ClientCredentials',
  'DeviceCode',
  'Interaction',
  'PreAuthorizedCode',
  'PushedAuthorizationRequest',
  'ReplayDetection',
];

export interface OidcRouting {
  /** Sessions, grants, refresh tokens, clients, mfakit's session stamps: every model not listed short-lived. */
  durable: OidcStore;
  /** The short-lived models. */
  shortLived: OidcStore;
  /** Which models are short-lived. Default `SHORT_LIVED_OIDC_MODELS`. */
  shortLivedModels?: Iterable<string>;
}

/** An `OidcStore` that keeps each model in `durable` or `shortLived` by its name. */
export function routeOidcModels(routing: OidcRouting): OidcStore {
  const short = new Set(routing.shortLivedModels ?? SHORT_LIVED_OIDC_MODELS);
  const { durable, shortLived } = routing;
  const of = (model: string) => (short.has(model) ? shortLived : durable);
  return {
    upsert: (model, id, payload, expiresAtMs) => of(model).upsert(model, id, payload, expiresAtMs),
    find: (model, id) => of(model).find(model, id),
    findByUid: (model, uid) => of(model).findByUid(model, uid),
    findByUserCode: (model, userCode) => of(model).findByUserCode(model, userCode),
    consume: (model, id, atSeconds) => of(model).consume(model, id, atSeconds),
    destroy: (model, id) => of(model).destroy(model, id),
    revokeByGrantId: (model, grantId) => of(model).revokeByGrantId(model, grantId),
  };
}
