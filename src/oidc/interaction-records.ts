// What mfakit keeps for one oidc-provider interaction while its MFA step runs: the engine's
// pending sign-in, the form token of its pages, the enrollment draft, and (for a step-up in
// an existing session) the original sign-in time to keep; before that, at the login prompt,
// the challenge id of a passwordless sign-in the browser started. Keyed by the interaction uid,
// and only ever reached after oidc-provider has matched the browser's interaction cookie to it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { EphemeralStore } from '../store/ports.ts';

const recordSchema = z.object({
  pendingId: z.string(),
  csrf: z.string(),
  draftId: z.string().optional(),
  draftKind: z.string().optional(),
  /**
   * The sign-in time (ms) kept as auth_time: a step-up's session's (no new password was entered),
   * or a first factor's own time (an upstream IdP's auth_time, `FirstFactor.at`).
   */
  keepAuthTime: z.number().optional(),
});
export type InteractionRecord = z.infer<typeof recordSchema>;

export interface InteractionRecords {
  create(uid: string, pendingId: string, keepAuthTime?: number): Promise<InteractionRecord>;
  get(uid: string): Promise<InteractionRecord | null>;
  update(uid: string, record: InteractionRecord): Promise<void>;
  /** Atomically removes it; null if another request already did. */
  take(uid: string): Promise<InteractionRecord | null>;
  /** The passwordless challenge this interaction's login page began (the latest replaces any earlier). */
  putPasskeyChallenge(uid: string, challengeId: string): Promise<void>;
  /** …taken once: null when none was begun, or it was already used. */
  takePasskeyChallenge(uid: string): Promise<string | null>;
}

export function createInteractionRecords(ephemeral: EphemeralStore, ttlSeconds: number): InteractionRecords {
  const key = (uid: string) => `oidc-mfa:${uid}`;
  const passkeyKey = (uid: string) => `oidc-mfa-passkey:${uid}`;
  const parse = (raw: string | null) => {
    if (raw === null) return null;
    const parsed = recordSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  };
  const put = (uid: string, record: InteractionRecord) =>
    ephemeral.put(key(uid), JSON.stringify(record), ttlSeconds * 1000);
  return {
    async create(uid, pendingId, keepAuthTime) {
      const record: InteractionRecord = {
        pendingId,
        csrf: randomBytes(24).toString('base64url'),
        ...(keepAuthTime === undefined ? {} : { keepAuthTime }),
      };
      await put(uid, record);
      return record;
    },
    get: async (uid) => parse(await ephemeral.get(key(uid))),
    update: put,
    take: async (uid) => parse(await ephemeral.take(key(uid))),
    putPasskeyChallenge: (uid, challengeId) => ephemeral.put(passkeyKey(uid), challengeId, ttlSeconds * 1000),
    takePasskeyChallenge: (uid) => ephemeral.take(passkeyKey(uid)),
  };
}

/** Constant-time comparison of the form token. */
export function sameToken(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
