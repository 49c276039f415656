// In-process stores for tests and single-process demos, one class per aggregate port
// (adapters/memory/<aggregate>.ts), composed here. Every operation runs to completion without
// awaiting in between, so each is atomic within the process.
import type { Clock } from '../../src/engine/capabilities.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import { composeRepository } from '../../src/store/compose-repository.ts';
import type { Repository, Stores } from '../../src/store/ports.ts';
import { MemoryAccessPassStore } from './access-passes.ts';
import { MemoryAppPasswordStore } from './app-passwords.ts';
import { MemoryAuditStore } from './audit.ts';
import { MemoryCounterStore } from './counters.ts';
import { MemoryEphemeralStore } from './ephemeral.ts';
import { MemoryMethodStore } from './methods.ts';
import { MemoryOathTokenStore } from './oath-tokens.ts';
import { MemoryOidcStore } from './oidc-models.ts';
import { MemoryPolicyDocumentStore } from './policy-document.ts';
import { MemoryRecoveryCodeStore } from './recovery-codes.ts';
import { MemoryRememberedDeviceStore } from './remembered-devices.ts';
import { MemorySignInSignalStore } from './sign-in-signals.ts';
import { MemoryUserStateStore } from './user-states.ts';

export { MemoryEphemeralStore } from './ephemeral.ts';
export { MemoryOidcStore } from './oidc-models.ts';

export function createMemoryStores(options: { clock?: Clock } = {}): Stores {
  return {
    repository: createMemoryRepository(),
    ephemeral: new MemoryEphemeralStore(options.clock ?? systemClock),
    oidc: new MemoryOidcStore(options.clock ?? systemClock),
  };
}

/** Durable records in memory: every aggregate store, empty. Session epochs live in the counters. */
export function createMemoryRepository(): Repository {
  const methods = new MemoryMethodStore();
  const counters = new MemoryCounterStore(methods);
  const tokens = new MemoryOathTokenStore(methods);
  methods.link({
    advanceCounter: (key, value) => counters.advanceNow(key, value),
    deleteCounter: (key) => counters.deleteNow(key),
    unassignToken: (serial, userId) => tokens.unassignNow(serial, userId),
  });
  return composeRepository({
    methods,
    counters,
    recoveryCodes: new MemoryRecoveryCodeStore(),
    devices: new MemoryRememberedDeviceStore(),
    tokens,
    userStates: new MemoryUserStateStore(),
    audit: new MemoryAuditStore(),
    policyDocument: new MemoryPolicyDocumentStore(),
    signals: new MemorySignInSignalStore(),
    accessPasses: new MemoryAccessPassStore(),
    appPasswords: new MemoryAppPasswordStore(),
  });
}
