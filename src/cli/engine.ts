// The engine one CLI command runs on: a policy file over in-memory stores, or an application's
// stores (stores.ts: SQLite or PostgreSQL) with its saved policy document and its users; the
// sealing keys come from the environment (sealing-keys.ts).
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createMfa, type Mfa } from '../engine/create-mfa.ts';
import type { MfaOptions } from '../engine/options.ts';
import { loadPolicyFile } from '../policy/load.ts';
import type { UserMfaState } from '../store/ports.ts';
import { sealingKeys } from './sealing-keys.ts';
import { type OpenedStores, openStores, type StoreSpec } from './stores.ts';

/** An engine for one CLI command, and how to release its stores. */
export interface CliEngine {
  mfa: Mfa;
  close(): Promise<void>;
}

export type EngineSource =
  | { kind: 'file'; path: string }
  /** `create`: a missing SQLite file or PostgreSQL schema is created (policies import --create). */
  | { kind: 'store'; spec: StoreSpec; create?: boolean };

/**
 * `file`: a policy document in an in-memory store (the user has no state and no methods).
 * `store`: the application's stores with their saved document (`policies: 'store'`) and users.
 */
export async function openEngine(
  source: EngineSource,
  env: NodeJS.ProcessEnv,
  extra: {
    defaultUserState?: UserMfaState | undefined;
    trustedNetworks?: string[] | undefined;
    temporaryAccessPass?: MfaOptions['temporaryAccessPass'];
  } = {},
): Promise<CliEngine> {
  const keys = sealingKeys(env);
  let opened: Pick<OpenedStores, 'stores' | 'close'>;
  let policies: unknown;
  if (source.kind === 'file') {
    policies = await loadPolicyFile(source.path);
    opened = { stores: createMemoryStores(), close: async () => {} };
  } else {
    opened = await openStores(source.spec, { create: source.create === true });
    policies = 'store';
  }
  try {
    const mfa = createMfa({
      stores: opened.stores,
      issuer: 'mfakit-cli',
      sealingKeys: keys,
      policies,
      // Events still go to the repository (the database keeps the audit); nothing on stdout.
      audit: () => {},
      defaultUserState: extra.defaultUserState ?? (source.kind === 'file' ? 'disabled' : 'enabled'),
      trustedNetworks: extra.trustedNetworks ?? [],
      ...(extra.temporaryAccessPass ? { temporaryAccessPass: extra.temporaryAccessPass } : {}),
    });
    return { mfa, close: opened.close };
  } catch (err) {
    await opened.close();
    throw err;
  }
}
