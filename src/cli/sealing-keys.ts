// The sealing keys a CLI command runs with, from the environment: MFAKIT_SEALING_KEYS (several,
// `id:base64` separated by commas, the current key first, as the application's `sealingKeys`
// option lists them during a rotation), or MFAKIT_SEALING_KEY with MFAKIT_SEALING_KEY_ID (one).
// The list's format is read here once (`parseSealingKeys`, exported by mfakit/cli) for whoever
// keeps keys in such a setting: the sample federation server's FED_SEALING_KEYS too.
import { randomBytes } from 'node:crypto';
import type { SealingKey } from '../crypto/seal.ts';
import { MfaError } from '../errors.ts';

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

function keyOf(raw: string, setting: string): Buffer {
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new MfaError('config_invalid', `${setting} must be 32 bytes, base64-encoded`);
  return key;
}

/**
 * A list of sealing keys as one setting holds it: `ID:BASE64,ID:BASE64`, the current key first
 * (as the `sealingKeys` option lists them during a rotation). `setting` names the variable in
 * errors, which never show a key. Also the sample federation server's FED_SEALING_KEYS.
 *
 * @example
 * createMfa({ ...options, sealingKeys: parseSealingKeys(process.env.MFA_SEALING_KEYS ?? '', 'MFA_SEALING_KEYS') });
 */
export function parseSealingKeys(list: string, setting: string): SealingKey[] {
  const keys = list.split(',').map((entry, i) => {
    const at = entry.indexOf(':');
    const id = entry.slice(0, at).trim();
    if (at < 0 || !KEY_ID.test(id))
      throw new MfaError(
        'config_invalid',
        `${setting}: entry ${i + 1} must be ID:BASE64 with an id of 1-32 [A-Za-z0-9_-]`,
      );
    return { id, key: keyOf(entry.slice(at + 1).trim(), `${setting}: key ${id}`) };
  });
  if (new Set(keys.map((k) => k.id)).size !== keys.length)
    throw new MfaError('config_invalid', `${setting}: each key id once`);
  return keys;
}

/** The keys as `parseSealingKeys` reads them (to hand them on to another process or command). */
export const formatSealingKeys = (keys: readonly SealingKey[]): string =>
  keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');

/** The keys the environment names, current first; null when it names none. */
export function configuredSealingKeys(env: NodeJS.ProcessEnv): SealingKey[] | null {
  const list = env.MFAKIT_SEALING_KEYS;
  const one = env.MFAKIT_SEALING_KEY;
  if (list !== undefined && list !== '') {
    if (one !== undefined && one !== '')
      throw new MfaError('config_invalid', 'set MFAKIT_SEALING_KEYS or MFAKIT_SEALING_KEY, not both');
    return parseSealingKeys(list, 'MFAKIT_SEALING_KEYS');
  }
  const id = env.MFAKIT_SEALING_KEY_ID || 'cli';
  if (!KEY_ID.test(id))
    throw new MfaError('config_invalid', 'MFAKIT_SEALING_KEY_ID must be 1-32 of [A-Za-z0-9_-]');
  if (one === undefined || one === '') return null;
  return [{ id, key: keyOf(one, 'MFAKIT_SEALING_KEY') }];
}

/**
 * The configured keys, else a random one (id MFAKIT_SEALING_KEY_ID or `cli`). What-if and the
 * policy commands never unseal a secret or check a hash, so any key serves them; `tap issue`
 * and `reseal` require the application's keys (see tap.ts, reseal.ts).
 */
export function sealingKeys(env: NodeJS.ProcessEnv): SealingKey[] {
  return configuredSealingKeys(env) ?? [{ id: env.MFAKIT_SEALING_KEY_ID || 'cli', key: randomBytes(32) }];
}
