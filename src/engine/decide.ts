import type { AuditSink } from '../audit/events.ts';
import type { Repository, UserMfaState } from '../store/ports.ts';
import type { RememberedDevices } from '../trust/remembered-devices.ts';
import type { TrustedNetworks } from '../trust/trusted-networks.ts';
import type { Clock } from './capabilities.ts';
import { type Decision, type DecisionContext, toMethodSummary } from './decision.ts';
import type { Lockout } from './lockout.ts';

/**
 * decide(): is a second factor needed for this sign-in? In order:
 *   1. a hard-locked account is blocked;
 *   2. user state `disabled` → allow; otherwise MFA applies;
 *   3. no registered method → MFA with enrollment (a trusted network or cookie never
 *      stands in for a factor the user has never registered);
 *   4. the client address is in a trusted network → allow;
 *   5. a valid remembered-device cookie bound to this user → allow;
 *   6. otherwise → MFA.
 * Reading signals has side effects only for the audit (a rejected cookie is recorded).
 */
export function createDecide(deps: {
  repository: Repository;
  lockout: Lockout;
  trustedNetworks: TrustedNetworks;
  rememberedDevices: RememberedDevices;
  defaultUserState: UserMfaState;
  hardLimit: number;
  rememberEnabled: boolean;
  audit: AuditSink;
  clock: Clock;
}) {
  return async function decide(ctx: DecisionContext): Promise<Decision> {
    const [storedState, records, lock] = await Promise.all([
      deps.repository.getUserState(ctx.userId),
      deps.repository.listMethods(ctx.userId),
      deps.lockout.status(ctx.userId),
    ]);
    const userState = storedState ?? deps.defaultUserState;
    const methods = records.map(toMethodSummary);
    const base = { methods, userState, mustEnroll: false };

    if (lock.consecutiveFailures >= deps.hardLimit) {
      return {
        ...base,
        action: 'block',
        reasons: [
          {
            code: 'account_locked',
            message: 'too many consecutive failed verifications; an administrator must reset',
          },
        ],
      };
    }
    if (userState === 'disabled') {
      return {
        ...base,
        action: 'allow',
        skippedBy: 'user_disabled',
        reasons: [{ code: 'user_mfa_disabled', message: 'MFA is disabled for this user' }],
      };
    }
    const reasons = [{ code: `user_mfa_${userState}`, message: `MFA is ${userState} for this user` }];
    if (methods.length === 0) {
      return {
        ...base,
        action: 'mfa',
        mustEnroll: true,
        reasons: [
          ...reasons,
          { code: 'no_method_registered', message: 'the user must register a method first' },
        ],
      };
    }
    const network = deps.trustedNetworks.match(ctx.ip);
    if (network !== null) {
      return {
        ...base,
        action: 'allow',
        skippedBy: 'trusted_network',
        trustedNetwork: network,
        reasons: [
          ...reasons,
          { code: 'trusted_network', message: `client address is in trusted network ${network}` },
        ],
      };
    }
    if (deps.rememberEnabled && ctx.rememberedDeviceCookie) {
      const check = await deps.rememberedDevices.check(ctx.rememberedDeviceCookie, ctx.userId);
      if (check.ok) {
        return {
          ...base,
          action: 'allow',
          skippedBy: 'remembered_device',
          rememberedDeviceId: check.device.id,
          reasons: [
            ...reasons,
            { code: 'remembered_device', message: 'a valid remembered device for this user' },
          ],
        };
      }
      await deps.audit({
        type: 'remembered_device_rejected',
        at: deps.clock.now(),
        userId: ctx.userId,
        ip: ctx.ip,
        requestId: ctx.requestId,
        detail: check.reason,
      });
      reasons.push({
        code: 'remembered_device_rejected',
        message: `remembered-device cookie refused: ${check.reason}`,
      });
    }
    return {
      ...base,
      action: 'mfa',
      reasons: [...reasons, { code: 'second_factor_required', message: 'a second factor is required' }],
    };
  };
}
