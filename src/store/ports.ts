// Store ports, one per aggregate (each in ports/<aggregate>.ts, opening with what the aggregate
// is and the atomicity rules its contract checks), re-exported here with their composition.
// Durable records make up the `Repository`; ephemeral, TTL-bound state is the `EphemeralStore`,
// a separate port so that a deployment can put the first on a database and the second on a
// cache; an embedded OpenID provider's models are the `OidcStore`. Every one-time rule rests on
// three atomic primitives (`advance`, `consumeOnce`, `increment`); the contract suite in
// test/store/contract/ proves each adapter implements every port.
import type { AccessPassStore } from './ports/access-passes.ts';
import type { AppPasswordStore } from './ports/app-passwords.ts';
import type { AuditStore } from './ports/audit.ts';
import type { CounterStore } from './ports/counters.ts';
import type { EphemeralStore } from './ports/ephemeral.ts';
import type { InvalidationChannel } from './ports/invalidation.ts';
import type { MethodStore } from './ports/methods.ts';
import type { OathTokenStore } from './ports/oath-tokens.ts';
import type { OidcStore } from './ports/oidc-models.ts';
import type { PolicyDocumentStore } from './ports/policy-document.ts';
import type { RecoveryCodeStore } from './ports/recovery-codes.ts';
import type { RememberedDeviceStore } from './ports/remembered-devices.ts';
import type { SignInSignalStore } from './ports/sign-in-signals.ts';
import type { UserStateStore } from './ports/user-states.ts';

export * from './ports/access-passes.ts';
export * from './ports/app-passwords.ts';
export * from './ports/audit.ts';
export * from './ports/counters.ts';
export * from './ports/ephemeral.ts';
export * from './ports/invalidation.ts';
export * from './ports/methods.ts';
export * from './ports/oath-tokens.ts';
export * from './ports/oidc-models.ts';
export * from './ports/policy-document.ts';
export * from './ports/recovery-codes.ts';
export * from './ports/remembered-devices.ts';
export * from './ports/session-epochs.ts';
export * from './ports/sign-in-signals.ts';
export * from './ports/user-states.ts';

/**
 * Durable records, every aggregate port in one object (session epochs are counters). Survives
 * restarts. Conventions every adapter follows (the contract suite checks them): inserting an
 * existing id throws; lists of methods and devices are oldest first; audit is newest first by
 * append order; counters passed to `advance` are integers ≥ 0. An engine service that needs
 * one aggregate can ask for its port alone: a `Repository` is each of them.
 */
export interface Repository
  extends MethodStore,
    CounterStore,
    RecoveryCodeStore,
    RememberedDeviceStore,
    OathTokenStore,
    UserStateStore,
    AuditStore,
    PolicyDocumentStore,
    SignInSignalStore,
    AccessPassStore,
    AppPasswordStore {}

export interface Stores {
  repository: Repository;
  ephemeral: EphemeralStore;
  /** For an embedded OpenID provider; adapters that have none leave it out. */
  oidc?: OidcStore;
  /** Messages that make other processes drop cached session state at once (e.g. Redis pub/sub). */
  invalidation?: InvalidationChannel;
  close?(): Promise<void>;
}
