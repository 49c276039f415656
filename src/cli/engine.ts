// The engine one CLI command runs on: a policy file over in-memory stores, or an application's
// SQLite database with its saved policy document and its users; the sealing keys come from the
// environment (MFAKIT_SEALING_KEY, MFAKIT_SEALING_KEY_ID).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import { createMfa, type Mfa } from '../engine/create-mfa.ts';
import type { MfaOptions } from '../engine/options.ts';
import { MfaError } from '../errors.ts';
import { loadPolicyFile } from '../policy/load.ts';
import type { Stores, UserMfaState } from '../store/ports.ts';

/** An engine for one CLI command, and how to release its stores. */
export interface CliEngine {
  mfa: Mfa;
  close(): Promise<void>;
}

export type EngineSource = { kind: 'file'; path: string } | { kind: 'db'; path: string; create?: boolean };

/**
 * The sealing keys: MFAKIT_SEALING_KEY (base64, 32 bytes) under the id MFAKIT_SEALING_KEY_ID
 * (default `cli`) when set, else a random key. What-if and the policy commands never unseal a
 * secret or check a hash, so any key serves them; `tap issue` stores a keyed hash the
 * application must verify, so it requires the application's key and id (see src/cli/tap.ts).
 */
export function sealingKeys(env: NodeJS.ProcessEnv) {
  const raw = env.MFAKIT_SEALING_KEY;
  const id = env.MFAKIT_SEALING_KEY_ID || 'cli';
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(id))
    throw new MfaError('config_invalid', 'MFAKIT_SEALING_KEY_ID must be 1-32 of [A-Za-z0-9_-]');
  if (raw === undefined || raw === '') return [{ id, key: randomBytes(32) }];
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32)
    throw new MfaError('config_invalid', 'MFAKIT_SEALING_KEY must be 32 bytes, base64-encoded');
  return [{ id, key }];
}

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
