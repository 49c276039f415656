// The store contract: the behaviour every adapter of the store ports (src/store/ports/) must
// show, one file per aggregate port, composed by `storeContract`. It is what a new adapter
// runs. Add one test file that calls `storeContract` once with a factory building fresh stores
// on the test clock it is given (each test gets its own, and they are closed after it):
//
//   // test/store/postgres.test.ts
//   import { createPostgresStores } from '../../adapters/postgres/index.ts';
//   import { storeContract } from './contract/index.ts';
//   storeContract('postgres', async (clock) => createPostgresStores({ url: process.env.PG_URL, clock }));
//
// then `npx mocha --no-config --exit --timeout 60000 test/store/postgres.test.ts`. An adapter
// of only some ports runs their parts alone inside its own describe, filling the other ports
// with the memory adapter's:
//
//   describe('redis ephemeral store', () => {
//     const ctx = contractContext(async (clock) => ({
//       repository: createMemoryRepository(),
//       ephemeral: createRedisEphemeralStore({ url, clock }),
//     }));
//     ephemeralContract(ctx);
//   });
//
// The "50 concurrent" cases fire every call before awaiting any, so an adapter whose primitives
// are read-modify-write across an await (a network round trip, a connection pool) fails them.
// They prove atomicity within one process; an adapter shared by several processes adds its own
// cross-process races (test/store/sqlite.test.ts shows how: child processes racing on one file).
import { accessPassesContract } from './access-passes.ts';
import { appPasswordsContract } from './app-passwords.ts';
import { auditContract } from './audit.ts';
import { auditRetentionContract } from './audit-retention.ts';
import { countersContract } from './counters.ts';
import { ephemeralContract } from './ephemeral.ts';
import { contractContext, type StoreFactory } from './harness.ts';
import { methodsContract } from './methods.ts';
import { oathTokensContract } from './oath-tokens.ts';
import { oidcModelsContract } from './oidc-models.ts';
import { policyDocumentContract } from './policy-document.ts';
import { recoveryCodesContract } from './recovery-codes.ts';
import { rememberedDevicesContract } from './remembered-devices.ts';
import { sessionEpochsContract } from './session-epochs.ts';
import { signInSignalsContract } from './sign-in-signals.ts';
import { userStatesContract } from './user-states.ts';

export { accessPassesContract } from './access-passes.ts';
export { appPasswordsContract } from './app-passwords.ts';
export { auditContract } from './audit.ts';
export { auditRetentionContract } from './audit-retention.ts';
export { countersContract } from './counters.ts';
export { ephemeralContract } from './ephemeral.ts';
export * from './fixtures.ts';
export * from './harness.ts';
export { methodsContract } from './methods.ts';
export { oathTokensContract } from './oath-tokens.ts';
export { oidcModelsContract } from './oidc-models.ts';
export { policyDocumentContract } from './policy-document.ts';
export { recoveryCodesContract } from './recovery-codes.ts';
export { rememberedDevicesContract } from './remembered-devices.ts';
export { sessionEpochsContract } from './session-epochs.ts';
export { signInSignalsContract } from './sign-in-signals.ts';
export { userStatesContract } from './user-states.ts';

/** Every port's contract against the stores `make` builds, under `store contract: <name>`. */
export function storeContract(name: string, make: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    const ctx = contractContext(make);
    accessPassesContract(ctx);
    appPasswordsContract(ctx);
    methodsContract(ctx);
    countersContract(ctx);
    sessionEpochsContract(ctx);
    recoveryCodesContract(ctx);
    rememberedDevicesContract(ctx);
    oathTokensContract(ctx);
    userStatesContract(ctx);
    auditContract(ctx);
    auditRetentionContract(ctx);
    policyDocumentContract(ctx);
    signInSignalsContract(ctx);
    ephemeralContract(ctx);
    oidcModelsContract(ctx);
  });
}
