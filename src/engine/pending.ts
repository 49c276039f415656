// The pending principal: who passed the first factor, server-side only, until every
// required factor has passed (or the first method is registered). The session holds nothing
// but its random id. It expires on its own, and completing it is a single atomic take: one
// pending sign-in completes once.
import { z } from 'zod';
import { AUTH_METHODS, CLIENT_APP_TYPES } from '../policy/model.ts';
import type { EphemeralStore } from '../store/ports.ts';
import { type Clock, type RandomSource, randomId } from './capabilities.ts';

const pendingSchema = z.object({
  id: z.string(),
  userId: z.string(),
  firstFactorAmr: z.array(z.string()),
  startedAt: z.number(),
  /** When the first factor was checked (ms): a step-up's is the session's sign-in time. */
  firstFactorAt: z.number().optional(),
  expiresAt: z.number(),
  /** The method that gave the first factor (a passkey without a password): for the stamp. */
  firstFactorMethodId: z.string().optional(),
  mustEnroll: z.boolean(),
  /** The kinds of method this sign-in may register (those that meet its requirements); absent: any. */
  enrollKinds: z.array(z.string()).optional(),
  /** "Interrupt mode": the user has methods, none strong enough; they register a stronger one. */
  stronger: z.boolean().optional(),
  /** The method the user proved before registering a stronger one (interrupt mode). */
  proved: z.object({ amr: z.array(z.string()), method: z.enum(AUTH_METHODS), at: z.number() }).optional(),
  ip: z.string(),
  userAgent: z.string().default(''),
  /** Only these methods (and recovery codes if allowed) satisfy what the policies require. */
  allowedMethodIds: z.array(z.string()).optional(),
  allowRecovery: z.boolean().default(true),
  /** A short sentence for the prompt ("Your organisation requires ..."). */
  userMessage: z.string().optional(),
  app: z.string().default('default'),
  clientAppType: z.enum(CLIENT_APP_TYPES).default('browser'),
  /** How long "don't ask again on this device" may last here (days); null: not allowed. */
  rememberDays: z.number().int().nullable().default(null),
  groups: z.array(z.string()).default([]),
  roles: z.array(z.string()).default([]),
  risk: z
    .object({
      newDevice: z.boolean().optional(),
      newNetwork: z.boolean().optional(),
      fraudFlagged: z.boolean().optional(),
      recentFailures: z.number().optional(),
    })
    .default({}),
});
export type PendingPrincipal = z.infer<typeof pendingSchema>;

export interface PendingStore {
  start(p: Omit<PendingPrincipal, 'id' | 'startedAt' | 'expiresAt'>): Promise<PendingPrincipal>;
  get(id: string): Promise<PendingPrincipal | null>;
  /** Atomically removes and returns it; null when already completed, expired or unknown. */
  take(id: string): Promise<PendingPrincipal | null>;
  cancel(id: string): Promise<void>;
  /** Writes a changed pending sign-in back, for what remains of its lifetime. */
  update(pending: PendingPrincipal): Promise<void>;
}

export function createPendingStore(
  ephemeral: EphemeralStore,
  clock: Clock,
  random: RandomSource,
  ttlSeconds: number,
): PendingStore {
  const key = (id: string) => `pending:${id}`;
  const parse = (raw: string | null) => {
    if (raw === null) return null;
    const parsed = pendingSchema.safeParse(JSON.parse(raw));
    return parsed.success && parsed.data.expiresAt > clock.now() ? parsed.data : null;
  };
  return {
    async start(p) {
      const now = clock.now();
      const pending: PendingPrincipal = {
        ...p,
        id: randomId(random),
        startedAt: now,
        expiresAt: now + ttlSeconds * 1000,
      };
      await ephemeral.put(key(pending.id), JSON.stringify(pending), ttlSeconds * 1000);
      return pending;
    },
    get: async (id) => parse(await ephemeral.get(key(id))),
    take: async (id) => parse(await ephemeral.take(key(id))),
    cancel: (id) => ephemeral.delete(key(id)),
    async update(pending) {
      const left = pending.expiresAt - clock.now();
      if (left > 0) await ephemeral.put(key(pending.id), JSON.stringify(pending), left);
    },
  };
}
