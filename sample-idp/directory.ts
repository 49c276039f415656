/**
 * The demo's user directory: a few users with scrypt password hashes (N=2^15, r=8, p=1,
 * per OWASP's password-storage guidance; sample-idp/password-hash.ts). A real deployment
 * brings its own.
 */
import { hashPassword, verifyPassword } from './password-hash.ts';

export interface DemoUser {
  id: string;
  name: string;
  passwordHash: string;
}

export const DEMO_ACCOUNTS = [
  { id: 'alice', name: 'Alice Example', password: 'correct horse alice' },
  { id: 'bob', name: 'Bob Example', password: 'correct horse bob' },
] as const;

export async function createDemoDirectory() {
  const users = new Map<string, DemoUser>();
  for (const a of DEMO_ACCOUNTS)
    users.set(a.id, { id: a.id, name: a.name, passwordHash: await hashPassword(a.password) });
  // A fixed dummy hash, so an unknown user costs the same time as a wrong password.
  const dummy = await hashPassword('dummy password');
  return {
    get: (id: string) => users.get(id) ?? null,
    /** Whether the password is the user's; the same work (one scrypt) for an unknown user (null). */
    async verifyPassword(id: string | null, password: string): Promise<boolean> {
      const user = id === null ? undefined : users.get(id);
      const ok = await verifyPassword(password, user?.passwordHash ?? dummy);
      return ok && user !== undefined;
    },
  };
}
