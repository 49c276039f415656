/**
 * The federation server's local directory: the configured users with scrypt password hashes
 * (sample-idp/password-hash.ts) — each user's `passwordHash` as configured, or a `password`
 * hashed here at start (then dropped) with the same parameters as the configured hashes
 * (N=2^15, r=8, p=1 when there are none) — looked up by user name or e-mail address,
 * case-insensitively. An unknown user costs one scrypt with those parameters too.
 */
import type { Mfa } from 'mfakit';
import {
  DEFAULT_SCRYPT,
  hashPassword,
  type PasswordHash,
  parsePasswordHash,
  type ScryptParams,
  verifyParsed,
} from '../password-hash.ts';
import type { UserConfig } from './config.ts';

export interface LocalUser {
  id: string;
  name: string;
  email: string;
  groups: string[];
  mfaState?: UserConfig['mfaState'];
}

export interface LocalDirectory {
  get(id: string): LocalUser | null;
  /** By user name or e-mail address. */
  find(identifier: string): LocalUser | null;
  byEmail(email: string): LocalUser | null;
  /** Whether the password is the user's; the same work (one scrypt) for an unknown user (null). */
  verifyPassword(userId: string | null, password: string): Promise<boolean>;
  users(): LocalUser[];
}

/** The one set of scrypt parameters of the directory: its configured hashes' (one set, as config.ts checks). */
export function directoryScryptParams(configured: readonly UserConfig[]): ScryptParams {
  for (const u of configured) {
    const parsed = u.passwordHash === undefined ? undefined : parsePasswordHash(u.passwordHash);
    if (parsed !== undefined && typeof parsed !== 'string') return parsed.params;
  }
  return DEFAULT_SCRYPT;
}

/** A validated hash (config.ts refuses malformed ones at load). */
function parsed(stored: string): PasswordHash {
  const hash = parsePasswordHash(stored);
  if (typeof hash === 'string') throw new Error(`local directory: a password hash ${hash}`);
  return hash;
}

export async function createLocalDirectory(configured: readonly UserConfig[]): Promise<LocalDirectory> {
  const byId = new Map<string, LocalUser & { hash: PasswordHash }>();
  const byMail = new Map<string, LocalUser & { hash: PasswordHash }>();
  const params = directoryScryptParams(configured);
  const hashed = await Promise.all(
    configured.map(async (u) => parsed(u.passwordHash ?? (await hashPassword(u.password ?? '', params)))),
  );
  configured.forEach((u, i) => {
    const hash = hashed[i];
    if (!hash) return;
    const user = {
      id: u.id,
      name: u.name,
      email: u.email,
      groups: [...u.groups],
      hash,
      ...(u.mfaState ? { mfaState: u.mfaState } : {}),
    };
    byId.set(u.id.toLowerCase(), user);
    byMail.set(u.email, user);
  });
  // A dummy hash with the directory's parameters, so an unknown user costs the same time as a wrong password.
  const dummy = parsed(await hashPassword('no such user, no such password', params));
  const strip = (u: (LocalUser & { hash: PasswordHash }) | undefined): LocalUser | null => {
    if (!u) return null;
    const { hash: _hash, ...user } = u;
    return user;
  };
  const lookup = (identifier: string) => {
    const key = identifier.trim().toLowerCase();
    return byId.get(key) ?? byMail.get(key);
  };
  return {
    get: (id) => strip(byId.get(id.toLowerCase())),
    find: (identifier) => strip(lookup(identifier)),
    byEmail: (email) => strip(byMail.get(email.toLowerCase())),
    async verifyPassword(userId, password) {
      const user = userId === null ? undefined : byId.get(userId.toLowerCase());
      const ok = await verifyParsed(password, user?.hash ?? dummy);
      return ok && user !== undefined;
    },
    users: () => [...byId.values()].map((u) => strip(u) as LocalUser),
  };
}

/** Writes each user's configured MFA state into mfakit (only where it differs, so the audit stays quiet). */
export async function seedUserStates(mfa: Mfa, directory: LocalDirectory): Promise<void> {
  for (const user of directory.users()) {
    if (!user.mfaState) continue;
    if ((await mfa.admin.getUserState(user.id)) === user.mfaState) continue;
    await mfa.admin.setUserState(user.id, user.mfaState, { ip: '127.0.0.1', requestId: 'config-seed' });
  }
}
