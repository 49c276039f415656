import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * The demo's user directory: a few users with scrypt password hashes (N=2^15, r=8, p=1,
 * per OWASP's password-storage guidance). A real deployment brings its own.
 */
const scryptAsync = promisify(scrypt) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;
const PARAMS = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export interface DemoUser {
  id: string;
  name: string;
  passwordHash: string;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32, PARAMS);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, PARAMS);
  return timingSafeEqual(actual, expected);
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
