// The storage adapter oidc-provider takes (`new Provider(issuer, { adapter })`), backed by
// mfakit's `OidcStore`. oidc-provider constructs one adapter per model with the model's name
// ('Session', 'AccessToken', 'AuthorizationCode', 'Grant', 'Interaction', 'Client', ...).
//
// A store that fails while oidc-provider handles one of its own requests answers 503
// `temporarily_unavailable` there (provider-outage.ts); elsewhere its StoreError is thrown as is.
//
// A payload holding a NUL character (U+0000, e.g. a `state=%00` an Interaction keeps) is refused
// with `invalid_request` (400) before any store sees it: PostgreSQL's jsonb cannot hold one, and
// every store answers alike, so nothing depends on which one a deployment uses.
//
// Typed structurally here so that mfakit does not depend on oidc-provider's type package.
import { errors } from 'oidc-provider';
import type { Clock } from '../engine/capabilities.ts';
import { systemClock } from '../engine/capabilities.ts';
import type { OidcStore, Stores } from '../store/ports.ts';
import { jsonProblem } from '../web/json-walk.ts';
import { guarded, providerInputError } from './provider-outage.ts';

/**
 * oidc-provider's own payloads nest a few levels (a `claims` request in an authorization code:
 * four); a request that nests its `claims` thousands deep would overflow the stores' JSON.
 */
const PAYLOAD_MAX_DEPTH = 32;

/** A model's stored payload, as oidc-provider hands it over and reads it back (JSON). */
export type OidcAdapterPayload = Record<string, unknown>;

/** The instance side of oidc-provider's adapter contract. */
export interface OidcAdapter {
  upsert(id: string, payload: OidcAdapterPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<OidcAdapterPayload | undefined>;
  findByUid(uid: string): Promise<OidcAdapterPayload | undefined>;
  findByUserCode(userCode: string): Promise<OidcAdapterPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export type OidcAdapterConstructor = new (name: string) => OidcAdapter;

export interface OidcAdapterOptions {
  /** Time source for expiry and `consumed`. Use the stores' clock. Defaults to the system clock. */
  clock?: Clock;
  /**
   * Seconds an entry is kept past its `expiresIn`, matching the provider's `clockTolerance`
   * (the provider still checks `exp` itself, with that tolerance). Default 0.
   */
  clockToleranceSeconds?: number;
}

/** How long a ReplayDetection claim holds: far longer than unique()'s find-then-save. */
const REPLAY_CLAIM_MS = 5 * 60_000;

/** The models oidc-provider links to a grant (its memory adapter's "grantable" set). */
const GRANTABLE_MODELS = [
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
] as const;

/** A class to pass as oidc-provider's `adapter` option. Throws if `stores` has no `oidc` store. */
export function createOidcAdapter(stores: Stores, options: OidcAdapterOptions = {}): OidcAdapterConstructor {
  const stored: OidcStore | undefined = stores.oidc;
  if (!stored) throw new TypeError('these stores have no oidc store');
  const store = guardedStore(stored);
  const firstSight = guarded(stores.ephemeral.consumeOnce.bind(stores.ephemeral));
  const clock = options.clock ?? systemClock;
  const tolerance = options.clockToleranceSeconds ?? 0;

  const revokeGrant = async (grantId: string) => {
    await Promise.all(GRANTABLE_MODELS.map((model) => store.revokeByGrantId(model, grantId)));
  };
  return class MfakitOidcAdapter implements OidcAdapter {
    readonly model: string;
    constructor(name: string) {
      this.model = name;
    }

    async upsert(id: string, payload: OidcAdapterPayload, expiresIn?: number) {
      // Over the values, not JSON text (a literal backslash and `u0000` is no NUL), as every save does.
      const problem = id.includes('\u0000') ? 'nul' : jsonProblem(payload, PAYLOAD_MAX_DEPTH, true);
      if (problem === 'nul')
        throw providerInputError('the request contains a NUL character (U+0000), which is not accepted');
      if (problem === 'too_deep') throw providerInputError('the request nests its values too deeply');
      // expiresIn is in seconds; models without a lifetime (Client) pass none.
      const expiresAtMs =
        typeof expiresIn === 'number' && Number.isFinite(expiresIn)
          ? clock.now() + (expiresIn + tolerance) * 1000
          : null;
      await store.upsert(this.model, id, payload, expiresAtMs);
    }
    /**
     * For ReplayDetection (a DPoP proof's or a client assertion's jti), finding is also claiming.
     * oidc-provider's `unique()` finds the mark and, when there is none, saves it: two processes
     * checking one jti at once would both find nothing and both accept it. So the first finder
     * claims the id atomically in the ephemeral store (`consumeOnce`, across processes) and every
     * other finder within REPLAY_CLAIM_MS is told it exists; the saved mark, which lives until the
     * jti's own expiry, answers after that.
     */
    async find(id: string) {
      if (this.model === 'ReplayDetection' && !(await firstSight(`oidc-replay:${id}`, REPLAY_CLAIM_MS)))
        return { jti: id, kind: this.model };
      return (await store.find(this.model, id)) ?? undefined;
    }
    async findByUid(uid: string) {
      return (await store.findByUid(this.model, uid)) ?? undefined;
    }
    async findByUserCode(userCode: string) {
      return (await store.findByUserCode(this.model, userCode)) ?? undefined;
    }
    /**
     * Marks the entry consumed (`payload.consumed` = epoch seconds), atomically. oidc-provider
     * checks `consumed` on the entry it found and then calls consume() before issuing tokens;
     * two requests racing with one authorization code (or rotating refresh token) would both
     * pass that check, so the loser is refused here: only the first consume issues tokens, and
     * the replay revokes the grant's tokens as a replay found by oidc-provider would (RFC 6749
     * §4.1.2: a code used twice revokes what it issued).
     */
    async consume(id: string) {
      const first = await store.consume(this.model, id, Math.floor(clock.now() / 1000));
      if (first) return;
      // The error oidc-provider itself gives for a used one of each kind.
      if (this.model === 'PushedAuthorizationRequest')
        throw new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
      const grantId = (await store.find(this.model, id))?.grantId;
      if (typeof grantId === 'string') {
        // The Grant too, so tokens the winner is issuing right now die with it (as oidc-provider's
        // revoke() does under its default revokeGrantPolicy).
        await Promise.all([revokeGrant(grantId), store.destroy('Grant', grantId)]);
      }
      throw new errors.InvalidGrant(`${this.model} already consumed`);
    }
    async destroy(id: string) {
      await store.destroy(this.model, id);
    }
    /**
     * Removes every token and code of the grant, whichever model oidc-provider calls it on: a
     * logout revokes each client's grant with the grant types of the client it runs for, so
     * one call must cover them all (as oidc-provider's own memory adapter does). An Interaction
     * still open with that grantId is left alone (an account switch revokes the old grant and
     * then resumes it).
     */
    async revokeByGrantId(grantId: string) {
      await revokeGrant(grantId);
    }
  };
}

/** `store` whose failures, inside one of the provider's own requests, are the provider's 503. */
function guardedStore(store: OidcStore): OidcStore {
  return {
    upsert: guarded(store.upsert.bind(store)),
    find: guarded(store.find.bind(store)),
    findByUid: guarded(store.findByUid.bind(store)),
    findByUserCode: guarded(store.findByUserCode.bind(store)),
    consume: guarded(store.consume.bind(store)),
    destroy: guarded(store.destroy.bind(store)),
    revokeByGrantId: guarded(store.revokeByGrantId.bind(store)),
  };
}
