/**
 * Shared fixtures of the OATH hardware-token tests: seeds and CSV files, and a fresh engine, store,
 * sealer and token service before each test of a describe that calls useOathTokenWorld().
 */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createMemoryStores } from '../../../../adapters/memory/index.ts';
import type { AuditEvent } from '../../../../src/audit/events.ts';
import { createSealer, type Sealer } from '../../../../src/crypto/seal.ts';
import { createAuditLog } from '../../../../src/engine/audit-log.ts';
import { cryptoRandom } from '../../../../src/engine/capabilities.ts';
import { createMfa, type Mfa } from '../../../../src/engine/create-mfa.ts';
import { MfaError } from '../../../../src/errors.ts';
import { createOathTokens, type OathTokens } from '../../../../src/methods/oath-tokens/inventory.ts';
import { base32Encode } from '../../../../src/methods/otp/base32.ts';
import type { MethodRecord, Repository } from '../../../../src/store/ports.ts';

/** Where a method's last accepted counter lives (a token's: by serial). */
export const counterKeyOf = (method: MethodRecord) => {
  assert.ok(method.counterKey);
  return method.counterKey;
};

export const seedOf = (label: string, length: number) =>
  createHash('sha512').update(label).digest().subarray(0, length);

// HW-0001: the RFC 4226 seed, plain hex.
export const SEED_1 = Buffer.from('12345678901234567890', 'ascii');
// HW-0002: 32 bytes, plain (upper-case) base32, TOTP by default because period > 0.
export const SEED_2 = seedOf('HW-0002', 32);
// HW-0003: 64 bytes, explicit hex: prefix.
export const SEED_3 = seedOf('HW-0003', 64);
// HW-0004: 20 bytes, explicit base32: prefix, lower case, HOTP because period is 0.
export const SEED_4 = seedOf('HW-0004', 20);

export const GOOD_CSV = [
  'serial,secret,algorithm,digits,period,kind',
  `HW-0001,${SEED_1.toString('hex')},SHA1,6,,hotp`,
  '',
  `HW-0002,${base32Encode(SEED_2)},sha256,8,60,`,
  `HW-0003,hex:${SEED_3.toString('hex')},Sha512,6,30,totp`,
  `HW-0004,base32:${base32Encode(SEED_4).toLowerCase()},sha1,8,0,`,
  '',
].join('\r\n');

export const HEADER = 'serial,secret,algorithm,digits,period';
export const hex20 = (label: string) => seedOf(label, 20).toString('hex');

/** The engine's settings the tests rely on, given explicitly so the test's own views match. */
export const KEYS = [{ id: 'k1', key: Buffer.alloc(32, 7) }];
export const HOTP = { lookAhead: 10, resyncWindow: 100 };

export let now: number;
/** The stores and the sealer the engine works with (same key), for looking below the facade. */
export let repository: Repository;
export let sealer: Sealer;
/** The token service over the same store and key, with a given resync window. */
export let tokensWith: (resyncWindow: number) => OathTokens;
export let mfa: Mfa;
export let tokens: OathTokens;
export let events: AuditEvent[];
export const ctx = { ip: '198.51.100.7', requestId: 'req-1' };

/** Registers the beforeEach that builds a fresh engine and token service over a memory store. */
export function useOathTokenWorld(): void {
  beforeEach(() => {
    now = Date.UTC(2025, 5, 1, 8, 0, 10);
    const clock = { now: () => now };
    events = [];
    const stores = createMemoryStores({ clock });
    const audit = async (e: AuditEvent) => {
      events.push(e);
    };
    mfa = createMfa({
      stores,
      clock,
      issuer: 'Test',
      sealingKeys: KEYS,
      audit,
      hotp: HOTP,
      lockout: { backoffBaseMs: 0 },
    });
    repository = stores.repository;
    sealer = createSealer(KEYS, cryptoRandom);
    tokensWith = (resyncWindow) =>
      createOathTokens({
        repository,
        sealer,
        clock,
        random: cryptoRandom,
        resyncWindow,
        audit: createAuditLog({ sink: audit, repository, random: cryptoRandom, clock }),
      });
    tokens = tokensWith(HOTP.resyncWindow);
  });
}

/** Asserts a csv_invalid rejection whose message contains every pattern, and that nothing was stored. */
export async function rejectsCsv(csv: string, patterns: RegExp[], status = 400) {
  let message = '';
  await assert.rejects(tokens.importCsv(csv, ctx), (err: unknown) => {
    assert.ok(err instanceof MfaError, `expected MfaError, got ${String(err)}`);
    assert.equal(err.code, 'csv_invalid');
    assert.equal(err.status, status);
    message = err.message;
    return true;
  });
  for (const p of patterns) assert.match(message, p);
  assert.deepEqual(await tokens.list(), [], 'nothing imported');
  assert.ok(!events.some((e) => e.type === 'tokens_imported'));
  return message;
}

export const signIn = async (userId: string) => {
  const start = await mfa.beginSignIn({ userId, amr: ['pwd'], ip: '198.51.100.7' });
  assert.equal(start.status, 'mfa');
  if (start.status !== 'mfa') throw new Error('unreachable');
  assert.equal(start.pending.mustEnroll, false);
  return start.pending;
};
export const verify = async (userId: string, code: string) => {
  const pending = await signIn(userId);
  return mfa.verifyPending(pending.id, { code }, { ip: '198.51.100.7' });
};
