import type { Mfa } from 'mfakit';
import { hashPassword, verifyPassword } from '../directory.ts';
import type { UserConfig } from './config.ts';

/**
 * The federation server's local directory: the configured users with scrypt password hashes
 * (N=2^15, r=8, p=1, from sample-idp/directory.ts; the plain passwords are dropped once
 * hashed), looked up by user name or e-mail address, case-insensitively.
 */
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

export async function createLocalDirectory(configured: readonly UserConfig[]): Promise<LocalDirectory> {
  const byId = new Map<string, LocalUser & { hash: string }>();
  const byMail = new Map<string, LocalUser & { hash: string }>();
  const hashed = await Promise.all(configured.map((u) => hashPassword(u.password)));
  configured.forEach((u, i) => {
    const user = {
      id: u.id,
      name: u.name,
      email: u.email,
      groups: [...u.groups],
      hash: hashed[i] ?? '',
      ...(u.mfaState ? { mfaState: u.mfaState } : {}),
    };
    byId.set(u.id.toLowerCase(), user);
    byMail.set(u.email, user);
  });
  // A fixed dummy hash, so an unknown user costs the same time as a wrong password.
  const dummy = await hashPassword('no such user, no such password');
  const strip = (u: (LocalUser & { hash: string }) | undefined): LocalUser | null => {
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
      const ok = await verifyPassword(password, user?.hash ?? dummy);
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
