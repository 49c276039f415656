// The engine one CLI command runs on: a policy file over in-memory stores, or an application's
// SQLite database with its saved policy document and its users; the sealing keys come from the
// environment (sealing-keys.ts).
import { existsSync } from 'node:fs';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import { createMfa, type Mfa } from '../engine/create-mfa.ts';
import type { MfaOptions } from '../engine/options.ts';
import { MfaError } from '../errors.ts';
import { loadPolicyFile } from '../policy/load.ts';
import type { Stores, UserMfaState } from '../store/ports.ts';
import { sealingKeys } from './sealing-keys.ts';

/** An engine for one CLI command, and how to release its stores. */
export interface CliEngine {
  mfa: Mfa;
  close(): Promise<void>;
}

export type EngineSource = { kind: 'file'; path: string } | { kind: 'db'; path: string; create?: boolean };

/**
 * `file`: a policy document in an in-memory store (the user has no state and no methods).
 * `db`: the SQLite database with its saved document (`policies: 'store'`) and its users.
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
  let stores: Stores;
  let policies: unknown;
  if (source.kind === 'file') {
    policies = await loadPolicyFile(source.path);
    stores = createMemoryStores();
  } else {
    // Opening a missing path would create an empty database: most likely a typo.
    if (!source.create && !existsSync(source.path))
      throw new MfaError('db_not_found', `${source.path}: no such database file`);
    stores = createSqliteStores({ path: source.path });
    policies = 'store';
  }
  try {
    const mfa = createMfa({
      stores,
      issuer: 'mfakit-cli',
      sealingKeys: keys,
      policies,
      // Events still go to the repository (the database keeps the audit); nothing on stdout.
      audit: () => {},
      defaultUserState: extra.defaultUserState ?? (source.kind === 'file' ? 'disabled' : 'enabled'),
      trustedNetworks: extra.trustedNetworks ?? [],
      ...(extra.temporaryAccessPass ? { temporaryAccessPass: extra.temporaryAccessPass } : {}),
    });
    return { mfa, close: async () => stores.close?.() };
  } catch (err) {
    await stores.close?.();
    throw err;
  }
}
