// The decision service: gathers a sign-in's signals (user state, methods, lockout, risk from
// what the store remembers, groups and roles from the directory, the remembered-device cookie)
// and hands them to the pure combination in decide.ts. `whatIf()` runs the same combination on
// given or read-only signals: no audit, no writes; a user action (`userAction:
// 'registerSecurityInfo'`) is decided by its own policies (registration-what-if.ts).
import type { RiskFacts } from '../policy/model.ts';
import { combineSignals, DAY_MS, type DecideDeps, type Signals } from './decide.ts';
import type { Decision, DecisionContext, WhatIfContext } from './decision.ts';
import { registrationWhatIf } from './registration-what-if.ts';
import { deviceSightingKey, networkSightingKey } from './sightings.ts';

export function createDecide(deps: DecideDeps) {
  const subjectOf = async (userId: string) => {
    const found = deps.directory ? await deps.directory.subject(userId) : {};
    return { groups: [...(found.groups ?? [])], roles: [...(found.roles ?? [])] };
  };

  /** Risk signals from what the store remembers (three indexed reads per sign-in); the failures are the lockout's. */
  const riskOf = async (ctx: DecisionContext): Promise<Omit<RiskFacts, 'recentFailures'>> => {
    // Read at every sign-in, policies or not: the stamp keeps them, so a risk policy added later
    // applies to sessions that are already live.
    const [network, device, fraud] = await Promise.all([
      deps.repository.getSighting(ctx.userId, 'network', networkSightingKey(ctx.ip)),
      deps.repository.getSighting(
        ctx.userId,
        'device',
        deviceSightingKey(deps.hasher, ctx.userId, ctx.userAgent ?? ''),
      ),
      deps.repository.getFraudFlag(ctx.userId),
    ]);
    return {
      newNetwork: network === null,
      newDevice: device === null,
      fraudFlagged: fraud !== null,
    };
  };

  /** What the stores say of the user: state, methods, failures, risk. Reads only, all sent at once. */
  const userSignals = async (ctx: DecisionContext) => {
    const [storedState, methods, lock, risk] = await Promise.all([
      deps.repository.getUserState(ctx.userId),
      deps.repository.listMethods(ctx.userId),
      deps.lockout.status(ctx.userId),
      riskOf(ctx),
    ]);
    return {
      userState: storedState ?? deps.defaultUserState,
      methods,
      consecutiveFailures: lock.consecutiveFailures,
      risk: { ...risk, recentFailures: lock.attempts },
    };
  };

  async function decide(ctx: DecisionContext): Promise<Decision> {
    const set = await deps.policies.current();
    const [user, subject] = await Promise.all([userSignals(ctx), subjectOf(ctx.userId)]);
    let device: Signals['device'] = { remembered: false };
    let rejected: string | null = null;
    if (deps.rememberEnabled && ctx.rememberedDeviceCookie) {
      const check = await deps.rememberedDevices.check(ctx.rememberedDeviceCookie, ctx.userId);
      if (check.ok) device = { remembered: true, id: check.device.id, createdAt: check.device.createdAt };
      else {
        rejected = check.reason;
        await deps.audit(ctx.userId, ctx, { type: 'remembered_device_rejected', detail: check.reason });
      }
    }
    const decision = combineSignals(
      deps,
      set,
      ctx,
      { ...user, subject, device, time: deps.clock.now() },
      false,
    );
    if (rejected !== null && decision.action === 'mfa')
      decision.reasons.splice(-1, 0, {
        code: 'remembered_device_rejected',
        message: `remembered-device cookie refused: ${rejected}`,
      });
    return decision;
  }

  /** The decision for a hypothetical sign-in, with every policy explained. Reads only. */
  async function whatIf(ctx: WhatIfContext): Promise<Decision> {
    const set = await deps.policies.current();
    const user = await userSignals(ctx);
    const subject =
      ctx.groups !== undefined || ctx.roles !== undefined
        ? { groups: ctx.groups ?? [], roles: ctx.roles ?? [] }
        : await subjectOf(ctx.userId);
    const time = ctx.time ?? deps.clock.now();
    const signals: Signals = {
      ...user,
      subject,
      device: ctx.deviceRemembered
        ? { remembered: true, id: 'what-if', createdAt: time - (ctx.deviceAgeDays ?? 0) * DAY_MS }
        : { remembered: false },
      risk: { ...user.risk, ...(ctx.risk ?? {}) },
      time,
    };
    // A user action (registering a method) is decided by its own policies only.
    if (ctx.userAction !== undefined) return registrationWhatIf(set, ctx, signals, deps);
    return combineSignals(deps, set, ctx, signals, true);
  }

  return { decide, whatIf };
}
