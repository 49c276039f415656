import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * The samples' password hashes: scrypt, stored with the parameters they were made with,
 * `scrypt$N=32768,r=8,p=1$<salt, base64>$<hash, base64>`. The older form without parameters,
 * `scrypt$<salt>$<hash>`, is read as the default N=2^15, r=8, p=1 (OWASP's password-storage
 * guidance). A stored hash is checked whole before use: parameters within bounds (no cheaper
 * than the default, at most 256 MiB and 64 times its work), salt and hash strict base64.
 */
const scryptAsync = promisify(scrypt) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export interface PasswordHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
/** A password's length bounds, for the config's `password` and the hash tool alike. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

const MAX_MEMORY = 256 * 1024 * 1024;
const DEFAULT_WORK = DEFAULT_SCRYPT.N * DEFAULT_SCRYPT.r * DEFAULT_SCRYPT.p;
const FORMAT = 'scrypt$N=<n>,r=<r>,p=<p>$<salt>$<hash> (npm run hash-password makes one)';

/** `N=32768,r=8,p=1`. */
export const formatParams = (p: ScryptParams) => `N=${p.N},r=${p.r},p=${p.p}`;
export const sameParams = (a: ScryptParams, b: ScryptParams) => a.N === b.N && a.r === b.r && a.p === b.p;

function base64(value: string, min: number, max: number): Buffer | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return null;
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value || bytes.length < min || bytes.length > max) return null;
  return bytes;
}

function parseParams(text: string): ScryptParams | string {
  const m = /^N=(\d{1,8}),r=(\d{1,3}),p=(\d{1,3})$/.exec(text);
  if (!m)
    return `has parameters "${text}": expected N=<n>,r=<r>,p=<p> (e.g. ${formatParams(DEFAULT_SCRYPT)})`;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  const { N, r, p } = params;
  if (N < 2 || (N & (N - 1)) !== 0) return `has N=${N}: N must be a power of two`;
  if (r < 1 || p < 1) return 'has r or p below 1';
  if (N * r * p < DEFAULT_WORK)
    return `has ${formatParams(params)}: cheaper than ${formatParams(DEFAULT_SCRYPT)} (N·r·p below ${DEFAULT_WORK})`;
  if (N * r * p > 64 * DEFAULT_WORK)
    return `has ${formatParams(params)}: over 64 times the work of the default`;
  if (128 * N * r > MAX_MEMORY) return `has ${formatParams(params)}: needs over 256 MiB (128·N·r bytes)`;
  return params;
}

/** The stored hash, or what is wrong with it (never echoing the value). */
export function parsePasswordHash(stored: string): PasswordHash | string {
  const parts = stored.split('$');
  if (parts[0] !== 'scrypt' || (parts.length !== 3 && parts.length !== 4))
    return `must be a scrypt hash: ${FORMAT}`;
  const params = parts.length === 4 ? parseParams(parts[1] ?? '') : DEFAULT_SCRYPT;
  if (typeof params === 'string') return params;
  const salt = base64(parts.at(-2) ?? '', 16, 64);
  if (!salt) return 'has a salt that is not 16-64 bytes of base64';
  const hash = base64(parts.at(-1) ?? '', 16, 64);
  if (!hash) return 'has a hash that is not 16-64 bytes of base64';
  return { params, salt, hash };
}

const derive = (password: string, salt: Buffer, length: number, { N, r, p }: ScryptParams) =>
  scryptAsync(password, salt, length, { N, r, p, maxmem: 2 * MAX_MEMORY });

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, 32, params);
  return `scrypt$${formatParams(params)}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** One scrypt with the hash's own parameters; a constant-time comparison. */
export async function verifyParsed(password: string, stored: PasswordHash): Promise<boolean> {
  const actual = await derive(password, stored.salt, stored.hash.length, stored.params);
  return timingSafeEqual(actual, stored.hash);
}

/** Whether `password` is the one `stored` was made from (false for a malformed hash). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  return typeof parsed !== 'string' && verifyParsed(password, parsed);
}
