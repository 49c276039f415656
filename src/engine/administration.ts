// Administration of a user's MFA: the per-user state, "require re-registration", signing out
// everywhere, unlocking, fraud flags, lock status, the audit log and its retention.
import type { AuditEventRecord, UserMfaState } from '../store/ports.ts';
import type { AuditContext } from './audit-log.ts';
import { type PruneAuditRequest, type PruneAuditResult, pruneAuditLog } from './audit-retention.ts';
import type { EngineContext } from './engine-context.ts';
import { accountThrottleKey } from './first-factor-gate.ts';
import type { RequestContext } from './sign-in-types.ts';

export interface Administration {
  getUserState(userId: string): Promise<UserMfaState>;
  setUserState(userId: string, state: UserMfaState, ctx: RequestContext): Promise<void>;
  /**
   * "Require re-registration": removes every method, recovery code, access pass, app password
   * and remembered device. Sessions are revoked first, then devices, so a reset that fails half-way leaves no
   * live session and no cookie that skips MFA (running it again finishes the job); and once
   * more at the end, so a sign-in that raced the reset with a method being removed is void too.
   */
  resetUser(userId: string, ctx: RequestContext): Promise<void>;
  /** Signs the user out everywhere: every existing session's stamp is refused from now on. */
  revokeSessions(userId: string, ctx: RequestContext): Promise<void>;
  /** Clears the second-factor lockout and the first-factor throttle of the account. */
  unlock(userId: string): Promise<void>;
  /**
   * Marks a user as reported for fraud (the `fraudFlagged` risk signal), signs them out and
   * revokes their app passwords; or clears the flag.
   */
  setFraudFlag(userId: string, flagged: boolean, ctx: RequestContext): Promise<void>;
  lockStatus(userId: string): Promise<{ attempts: number; consecutiveFailures: number }>;
  auditLog(filter: { userId?: string; limit?: number }): Promise<AuditEventRecord[]>;
  /**
   * Audit retention: deletes every event older than `olderThanMs` (or before `before`), in
   * batches, then appends one `audit_pruned` event ({ before, count, by }). Refuses (400,
   * `audit_prune_invalid`) a bound in the future or less than a day back. Never runs by itself.
   */
  pruneAuditLog(request: PruneAuditRequest, ctx?: AuditContext): Promise<PruneAuditResult>;
}

export function createAdministration(engine: EngineContext): Administration {
  const {
    options,
    clock,
    repository,
    audit,
    sessionEpochs,
    rememberedDevices,
    lockout,
    methods: enabled,
  } = engine;
  return {
    getUserState: async (userId) => (await repository.getUserState(userId)) ?? options.defaultUserState,
    async setUserState(userId, state, ctx) {
      await repository.setUserState(userId, state);
      await audit(userId, ctx, { type: 'user_state_changed', detail: state });
    },
    async resetUser(userId, ctx) {
      await sessionEpochs.revokeAll(userId);
      await rememberedDevices.revokeAll(userId);
      const methods = await repository.listMethods(userId);
      await repository.deleteAllMethods(userId);
      await repository.setDefaultMethod(userId, null);
      // Each method releases what it held (its counter; a hardware token goes back to the inventory).
      await Promise.all(methods.map((m) => enabled.releaseAfterRemoval(m)));
      await repository.unassignTokens(userId);
      await repository.deleteRecoveryCodes(userId);
      await repository.deleteAccessPass(userId);
      await engine.appPasswords.revokeAll(userId, ctx);
      await lockout.reset(userId);
      await sessionEpochs.revokeAll(userId);
      await audit(userId, ctx, { type: 'user_reset', data: { methods: methods.length } });
    },
    async revokeSessions(userId, ctx) {
      await sessionEpochs.revokeAll(userId);
      await audit(userId, ctx, { type: 'sessions_revoked' });
    },
    async unlock(userId) {
      await Promise.all([
        lockout.reset(userId),
        engine.firstFactorThrottle.reset(accountThrottleKey(userId)),
      ]);
    },
    async setFraudFlag(userId, flagged, ctx) {
      await repository.setFraudFlag(userId, flagged ? clock.now() : null);
      // A reported account's live sessions end now, and its app passwords (perhaps made by whoever
      // got in) with them; its next sign-in meets the risk policies.
      if (flagged) {
        await sessionEpochs.revokeAll(userId);
        await engine.appPasswords.revokeAll(userId, ctx, 'fraud');
      }
      await audit(userId, ctx, { type: 'fraud_flag_changed', detail: flagged ? 'flagged' : 'cleared' });
    },
    lockStatus: (userId) => lockout.status(userId),
    auditLog: (filter) =>
      repository.listAudit({
        ...(filter.userId ? { userId: filter.userId } : {}),
        limit: filter.limit ?? 100,
      }),
    pruneAuditLog: (request, ctx) => pruneAuditLog({ store: repository, clock, audit }, request, ctx),
  };
}
