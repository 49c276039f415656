// One federation-server process as `npm start` runs it, alone or as one of several workers:
// the stores the environment chooses (federation/stores.ts), the secrets every process shares,
// the conditional-access policies kept in the store (so a change saved by one process applies to
// all), and the server, ready (listening for the other processes' revocations) before it is
// returned. The caller listens.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditSink } from 'mfakit';
import type { FederationConfig } from './federation/config.ts';
import type { PolicySeeding } from './federation/policies.ts';
import { loadOrCreateSecrets } from './federation/secrets.ts';
import { createFederationServer, type FederationServer } from './federation/server.ts';
import { chooseStores, describeStores, openStores } from './federation/stores.ts';

export interface FederationProcess {
  fed: FederationServer;
  /** For the console: which stores, and where the policies in force come from. */
  storesLine: string;
  policiesLine: string;
  close(): Promise<void>;
}

/** What start-up did with the policy document, in one line. */
export function describePolicySeeding(seeding: PolicySeeding | null): string {
  if (seeding === null) return "Policies: the config's, in memory";
  switch (seeding.outcome) {
    case 'seeded':
      return `Policies: the config's, saved in the store as version ${seeding.version}`;
    case 'updated':
      return `Policies: the config's, changed since the last start, saved as version ${seeding.version}`;
    case 'unchanged':
      return `Policies: the config's (version ${seeding.version} in the store)`;
    case 'kept':
      return `Policies: version ${seeding.version} in the store, saved by ${seeding.by ?? 'someone'}, is in force (the config's policies are not applied)`;
  }
}

/**
 * Opens the stores (a server that cannot be reached fails here with an error naming its
 * setting), builds the server on them with `policies: 'store'` and waits until it is ready.
 */
export async function startFederationProcess(
  config: FederationConfig,
  env: NodeJS.ProcessEnv,
  audit: AuditSink,
  /** The development phone's key the processes serving one address share (default: a new one). */
  devPhoneKey?: string,
): Promise<FederationProcess> {
  mkdirSync(dirname(config.dataFile), { recursive: true });
  const choice = chooseStores(config.dataFile, env);
  const secrets = loadOrCreateSecrets(config.dataFile, env);
  const stores = await openStores(choice);
  try {
    const fed = await createFederationServer(config, {
      stores,
      secrets,
      audit,
      policies: 'store',
      ...(devPhoneKey ? { devPhoneKey } : {}),
    });
    return {
      fed,
      storesLine: describeStores(choice),
      policiesLine: describePolicySeeding(fed.policySeeding),
      close: async () => {
        await fed.close();
        await stores.close();
      },
    };
  } catch (error) {
    await stores.close();
    throw error;
  }
}
