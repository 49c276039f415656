import type { IncomingMessage } from 'node:http';
import { type AuditEvent, type AuditSink, pinoAuditSink } from '../audit/events.ts';
import { safeRequestId } from '../audit/request-id.ts';
import { createCodeHasher } from '../crypto/code-hash.ts';
import { createSealer } from '../crypto/seal.ts';
import { MfaError } from '../errors.ts';
import { createOathTokens } from '../methods/oath-tokens.ts';
import { createOtpMethods } from '../methods/otp-methods.ts';
import { createRecoveryCodes, RECOVERY_CODE_PATTERN } from '../methods/recovery-codes.ts';
import { createTotpEnrollment } from '../methods/totp-enrollment.ts';
import type { PolicyEvaluation } from '../policy/evaluation.ts';
import type { AuthMethod, ClientAppType } from '../policy/model.ts';
import { requirementMessage, unmetRequirements } from '../policy/strength.ts';
import type { MethodRecord, UserMfaState } from '../store/ports.ts';
import { methodCounterKey } from '../store/ports.ts';
import { createClientIpResolver } from '../trust/client-ip.ts';
import { createRememberedDevices } from '../trust/remembered-devices.ts';
import { compileTrustedNetworks } from '../trust/trusted-networks.ts';
import { firstFactorMethods, methodAmr, secondFactorMethod } from './auth-methods.ts';
import { cryptoRandom, randomId, systemClock } from './capabilities.ts';
import { createCurrentSessionCheck } from './current-session.ts';
import { createDecide } from './decide.ts';
import { type Decision, toMethodSummary, type WhatIfContext } from './decision.ts';
import { type AccountDirectory, accountThrottleKey, createFirstFactorGate } from './first-factor-gate.ts';
import { createFirstFactorThrottle } from './first-factor-throttle.ts';
import { createLockout } from './lockout.ts';
import { type MfaOptions, resolveOptions } from './options.ts';
import { createPendingStore, type PendingPrincipal } from './pending.ts';
import { createPolicySource } from './policy-source.ts';
import { createRegistrationRule, type RegistrationVerdict } from './registration-rule.ts';
import { createSessionEpochs } from './session-epochs.ts';
import {
  checkSession,
  evaluateForSession,
  type SessionPolicyCheck,
  type SessionTarget,
} from './session-policy.ts';
import { deviceSightingKey, networkSightingKey } from './sightings.ts';
import {
  type AuthStamp,
  acrFor,
  combineAmr,
  FIRST_FACTOR_METHODS,
  mergeStepUp as mergeStamps,
  methodsVerifiedSince,
  stampMethods,
} from './stamp.ts';
import { createTemporaryAccessPasses } from './temporary-access-pass.ts';

export interface SignInInput {
  userId: string;
  /** RFC 8176 values of the first factor, e.g. ['pwd']. */
  amr: string[];
  ip: string;
  userAgent?: string | undefined;
  rememberedDeviceCookie?: string | undefined;
  requestId?: string | undefined;
  /** The application (client id / app name) for conditional access. */
  app?: string | undefined;
  authenticationContexts?: string[] | undefined;
  clientAppType?: ClientAppType | undefined;
  /** Strengths the relying party asked for (OIDC acr_values): never lifted by a trusted network or cookie. */
  requestedStrengths?: string[] | undefined;
  /**
   * When the first factor was checked (ms); default now. A new decision on an existing session
   * (an OIDC step-up) passes the session's sign-in time: registering a first method needs a
   * recent one.
   */
  firstFactorAt?: number | undefined;
}

export type SignInStart =
  | { status: 'complete'; stamp: AuthStamp; decision: Decision }
  | { status: 'mfa'; pending: PendingPrincipal; decision: Decision }
  | {
      status: 'blocked';
      decision: Decision;
      /** The user must register a first method, and the first factor is too old for that: sign in again. */
      signInAgain?: boolean;
    };

export interface CodeInput {
  code: string;
  methodId?: string | undefined;
}

export interface RequestContext {
  ip: string;
  requestId?: string | undefined;
}

export type VerifyFailure =
  | { ok: false; error: 'invalid_code' }
  | { ok: false; error: 'locked' | 'slow_down'; retryAfterSeconds: number }
  | { ok: false; error: 'pending_expired' }
  | { ok: false; error: 'must_enroll' }
  | { ok: false; error: 'strength_unavailable'; message: string };

export type VerifyOutcome =
  | {
      ok: true;
      stamp: AuthStamp;
      /** How long the device may be remembered after this sign-in (days); null: not allowed here. */
      rememberDays: number | null;
    }
  | VerifyFailure;

/** Which second factors a verification may use: what the policies accept. */
interface MethodRestriction {
  allowedMethodIds: readonly string[];
  allowRecovery: boolean;
}

/** What a sign-in carries into its stamp besides the factors. */
interface StampFacts {
  app: string;
  clientAppType: ClientAppType;
  groups: string[];
  roles: string[];
  risk: AuthStamp['risk'];
  rememberedDeviceAt?: number | undefined;
  rememberedDeviceId?: string | undefined;
}

/**
 * createMfa(): the engine. One object holding the validated options, the stores and every
 * operation the integrations need. It knows no web framework.
 */
export function createMfa(input: MfaOptions) {
  const options = resolveOptions(input);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? cryptoRandom;
  const { repository, ephemeral } = options.stores;
  const sealer = createSealer(options.sealingKeys, random);
  const hasher = createCodeHasher(options.sealingKeys);
  const sink: AuditSink = options.audit ?? pinoAuditSink();

  /** Audit never breaks a sign-in, and every event is also kept in the repository for reports. */
  const audit = async (input: AuditEvent): Promise<void> => {
    const { requestId, ...rest } = input;
    const safeId = safeRequestId(requestId);
    const event: AuditEvent = safeId === undefined ? rest : { ...rest, requestId: safeId };
    try {
      await Promise.all([
        sink(event),
        repository.appendAudit({
          id: randomId(random, 12),
          at: event.at,
          type: event.type,
          userId: event.userId,
          data: { ...event, type: undefined, at: undefined, userId: undefined },
        }),
      ]);
    } catch (err) {
      process.emitWarning(`mfakit audit sink failed: ${(err as Error).message}`);
    }
  };

  const lockout = createLockout(ephemeral, clock, options.lockout);
  const firstFactorThrottle = createFirstFactorThrottle(ephemeral, clock, random, options.firstFactor);
  /** The sightings key of `ip` when the user completed a sign-in from that network recently. */
  const familiarNetwork = async (userId: string, ip: string): Promise<string | null> => {
    const days = options.firstFactor.familiarNetworkDays;
    if (days === 0) return null;
    const network = networkSightingKey(ip);
    const seen = await repository.getSighting(userId, 'network', network);
    return seen !== null && clock.now() - seen <= days * 86_400_000 ? network : null;
  };
  const trustedNetworks = compileTrustedNetworks(options.trustedNetworks);
  const rememberedDevices = createRememberedDevices({ repository, hasher, clock, random });
  const otp = createOtpMethods({
    repository,
    sealer,
    clock,
    totpToleranceSteps: options.totp.toleranceSteps,
    hotpLookAhead: options.hotp.lookAhead,
  });
  const recovery = createRecoveryCodes({
    repository,
    hasher,
    clock,
    random,
    count: options.recoveryCodes.count,
  });
  const totpEnrollment = createTotpEnrollment({
    repository,
    ephemeral,
    sealer,
    clock,
    random,
    issuer: options.issuer,
    totp: options.totp,
  });
  const oathTokens = createOathTokens({
    repository,
    sealer,
    clock,
    random,
    resyncWindow: options.hotp.resyncWindow,
    audit,
  });
  const sessionEpochs = createSessionEpochs(repository, clock);
  const policies = createPolicySource({
    input: options.policies,
    repository,
    clock,
    refreshSeconds: options.policyRefreshSeconds,
  });
  const pendingStore = createPendingStore(ephemeral, clock, random, options.pendingTtlSeconds);
  const { decide, whatIf } = createDecide({
    repository,
    lockout,
    trustedNetworks,
    rememberedDevices,
    policies,
    directory: options.directory,
    hasher,
    defaultApp: options.defaultApp,
    defaultUserState: options.defaultUserState,
    hardLimit: options.lockout.hardLimit,
    rememberEnabled: options.rememberDevice.enabled,
    audit,
    clock,
  });
  const clientIp = createClientIpResolver(options.trustedProxies);
  const accessPasses = createTemporaryAccessPasses({
    repository,
    hasher,
    clock,
    random,
    audit,
    options: options.temporaryAccessPass,
  });
  const isCurrent = createCurrentSessionCheck(sessionEpochs, rememberedDevices, accessPasses);
  const registration = createRegistrationRule({
    clock,
    maxAgeSeconds: options.reauthMaxAgeSeconds,
    policies,
    audit,
  });
  /** The registration rule for a sign-in (pending, or about to be) that must register its first method. */
  const firstMethodRule = (
    p: Pick<PendingPrincipal, 'userId' | 'firstFactorAmr' | 'groups' | 'roles' | 'clientAppType' | 'risk'> & {
      firstFactorAt?: number | undefined;
      startedAt?: number | undefined;
    },
    ctx: RequestContext,
  ) =>
    registration.check(
      {
        userId: p.userId,
        hasMethods: false,
        firstFactorAt: p.firstFactorAt ?? p.startedAt ?? clock.now(),
        mfaAt: null,
        methods: firstFactorMethods(p.firstFactorAmr),
        ip: ctx.ip,
        groups: p.groups,
        roles: p.roles,
        clientAppType: p.clientAppType,
        risk: p.risk,
      },
      ctx,
    );

  const stampFor = (
    userId: string,
    firstAmr: string[],
    second: { amr: string[]; method: AuthMethod } | null,
    facts: StampFacts,
    skippedBy?: AuthStamp['skippedBy'],
  ): AuthStamp => {
    const amr = combineAmr(firstAmr, second?.amr ?? []);
    const now = clock.now();
    const methods = firstFactorMethods(firstAmr);
    if (second) methods.push(second.method);
    const verifiedAt = second ? { [second.method]: now } : {};
    return {
      userId,
      amr,
      acr: acrFor(methods, amr),
      firstFactorAmr: [...firstAmr],
      authTime: now,
      mfaAt: second ? now : null,
      ...(skippedBy ? { skippedBy } : {}),
      methods,
      verifiedAt,
      app: facts.app,
      clientAppType: facts.clientAppType,
      groups: facts.groups,
      roles: facts.roles,
      risk: facts.risk ?? {},
      ...(skippedBy === 'remembered_device' && facts.rememberedDeviceAt !== undefined
        ? { rememberedDeviceAt: facts.rememberedDeviceAt }
        : {}),
      ...(skippedBy === 'remembered_device' && facts.rememberedDeviceId !== undefined
        ? { rememberedDeviceId: facts.rememberedDeviceId }
        : {}),
    };
  };

  /** What the engine remembers of a completed sign-in, for the "new network/device" signals. */
  const recordSightings = async (userId: string, ip: string, userAgent: string) => {
    const at = clock.now();
    try {
      await Promise.all([
        repository.recordSighting(userId, 'network', networkSightingKey(ip), at),
        repository.recordSighting(userId, 'device', deviceSightingKey(hasher, userId, userAgent), at),
      ]);
    } catch (err) {
      process.emitWarning(`mfakit: could not record sign-in sightings: ${(err as Error).message}`);
    }
  };

  /**
   * Checks one second factor for a user, under the lockout: the attempt is reserved before
   * the code is looked at, and a success releases the user's counter.
   */
  async function verifySecondFactor(
    userId: string,
    input: CodeInput,
    ctx: RequestContext,
    restriction?: MethodRestriction,
  ): Promise<{ ok: true; amr: string[]; method: AuthMethod; methodId: string | null } | VerifyFailure> {
    const gate = await lockout.begin(userId, ctx.ip);
    if (!gate.allowed) {
      await audit({
        type: gate.reason === 'slow_down' ? 'throttled' : 'locked',
        at: clock.now(),
        userId,
        ip: ctx.ip,
        requestId: ctx.requestId,
        detail: gate.reason,
      });
      return {
        ok: false,
        error: gate.reason === 'slow_down' ? 'slow_down' : 'locked',
        retryAfterSeconds: gate.retryAfterSeconds,
      };
    }
    const code = input.code.trim();
    let result:
      | { ok: true; amr: string[]; method: AuthMethod; methodId: string | null; kind: string }
      | { ok: false; detail: string };
    if (/^\d{6,8}$/.test(code)) {
      const allowed = restriction ? new Set(restriction.allowedMethodIds) : undefined;
      const check = await otp.check(userId, code, input.methodId, allowed);
      result = check.ok
        ? {
            ok: true,
            amr: methodAmr(check.method),
            method: secondFactorMethod(check.method),
            methodId: check.method.id,
            kind: check.method.kind,
          }
        : { ok: false, detail: check.detail };
    } else if (RECOVERY_CODE_PATTERN.test(code.toLowerCase()) && input.methodId === undefined) {
      if (restriction && !restriction.allowRecovery)
        result = { ok: false, detail: 'recovery_code_not_allowed' };
      else
        result = (await recovery.consume(userId, code))
          ? {
              ok: true,
              amr: methodAmr('recovery'),
              method: secondFactorMethod('recovery'),
              methodId: null,
              kind: 'recovery_code',
            }
          : { ok: false, detail: 'recovery_code_mismatch_or_used' };
    } else {
      result = { ok: false, detail: 'code_format' };
    }
    if (!result.ok) {
      await lockout.failed(userId, ctx.ip);
      await audit({
        type: 'verify_failed',
        at: clock.now(),
        userId,
        ip: ctx.ip,
        requestId: ctx.requestId,
        detail: result.detail,
      });
      return { ok: false, error: 'invalid_code' };
    }
    await lockout.succeeded(userId, ctx.ip);
    await audit({
      type: 'verified',
      at: clock.now(),
      userId,
      ip: ctx.ip,
      requestId: ctx.requestId,
      methodId: result.methodId ?? undefined,
      methodKind: result.kind,
    });
    return { ok: true, amr: result.amr, method: result.method, methodId: result.methodId };
  }

  async function complete(
    pending: PendingPrincipal,
    second: { amr: string[]; method: AuthMethod },
    ctx: RequestContext,
  ): Promise<AuthStamp> {
    const stamp = stampFor(pending.userId, pending.firstFactorAmr, second, {
      app: pending.app,
      clientAppType: pending.clientAppType,
      groups: pending.groups,
      roles: pending.roles,
      risk: pending.risk,
    });
    await recordSightings(pending.userId, ctx.ip, pending.userAgent);
    await audit({
      type: 'signin_completed',
      at: clock.now(),
      userId: pending.userId,
      ip: ctx.ip,
      requestId: ctx.requestId,
      data: { amr: stamp.amr.join(' '), acr: stamp.acr },
    });
    return stamp;
  }

  const mfa = {
    options,
    clock,
    random,
    audit,
    decide,
    /**
     * The one first-factor gate over your accounts: home-realm discovery, the per-account and
     * per-address throttle, the same answer for unknown accounts and wrong passwords, audit.
     * Create it once and check every password (or Temporary Access Pass) with its `signIn()`.
     */
    firstFactorGate: (directory: AccountDirectory) =>
      createFirstFactorGate(directory, {
        throttle: firstFactorThrottle,
        audit,
        clock,
        verifyAccessPass: accessPasses.verify,
        familiarNetwork,
      }),
    /** The trusted network an address belongs to, or null. */
    trustedNetwork: (ip: string) => trustedNetworks.match(ip),
    /** The client address of a request under the trusted-proxy rules. */
    clientIp: (req: IncomingMessage) => clientIp(req),

    /**
     * After the first factor: decide, then either complete at once (MFA not needed), start a
     * pending principal (a second factor, or enrollment, is needed), or refuse.
     */
    async beginSignIn(input: SignInInput): Promise<SignInStart> {
      const decision = await decide(input);
      const ctx = { ip: input.ip, requestId: input.requestId };
      if (decision.action === 'block') {
        await audit({
          type: 'signin_blocked',
          at: clock.now(),
          userId: input.userId,
          ...ctx,
          detail: decision.reasons.at(-1)?.code,
          ...policyAudit(decision.policy),
        });
        return { status: 'blocked', decision };
      }
      const facts: StampFacts = {
        app: decision.app,
        clientAppType: input.clientAppType ?? 'browser',
        groups: decision.subject.groups,
        roles: decision.subject.roles,
        risk: decision.risk,
        rememberedDeviceAt: decision.rememberedDeviceAt,
        rememberedDeviceId: decision.rememberedDeviceId,
      };
      if (decision.action === 'allow') {
        const skippedBy = decision.skippedBy;
        const type =
          skippedBy === 'trusted_network'
            ? 'skipped_trusted_network'
            : skippedBy === 'remembered_device'
              ? 'remembered_device_used'
              : 'skipped_user_disabled';
        await audit({
          type,
          at: clock.now(),
          userId: input.userId,
          ...ctx,
          detail: decision.trustedNetwork ?? decision.rememberedDeviceId,
        });
        const stamp = stampFor(input.userId, input.amr, null, facts, skippedBy);
        await recordSightings(input.userId, input.ip, input.userAgent ?? '');
        await audit({
          type: 'signin_completed',
          at: clock.now(),
          userId: input.userId,
          ...ctx,
          data: { amr: stamp.amr.join(' '), acr: stamp.acr, ...policyAudit(decision.policy).data },
        });
        return { status: 'complete', stamp, decision };
      }
      const firstFactorAt = input.firstFactorAt ?? clock.now();
      if (decision.mustEnroll) {
        const verdict = await firstMethodRule(
          {
            userId: input.userId,
            firstFactorAmr: input.amr,
            firstFactorAt,
            ...facts,
            risk: facts.risk ?? {},
          },
          ctx,
        );
        if (!verdict.allowed) {
          const refused: Decision = {
            ...decision,
            action: 'block',
            userMessage: verdict.message,
            reasons: [...decision.reasons, { code: verdict.reason, message: verdict.message }],
          };
          return { status: 'blocked', decision: refused, signInAgain: verdict.reason === 'signin_too_old' };
        }
      }
      const pending = await pendingStore.start({
        userId: input.userId,
        firstFactorAmr: input.amr,
        firstFactorAt,
        mustEnroll: decision.mustEnroll,
        ip: input.ip,
        userAgent: (input.userAgent ?? '').slice(0, 512),
        allowedMethodIds: decision.allowedMethodIds,
        allowRecovery: decision.allowRecovery,
        ...(decision.userMessage ? { userMessage: decision.userMessage } : {}),
        app: facts.app,
        clientAppType: facts.clientAppType,
        rememberDays: rememberDaysFor(decision),
        groups: facts.groups,
        roles: facts.roles,
        risk: facts.risk ?? {},
      });
      await audit({
        type: 'challenge_issued',
        at: clock.now(),
        userId: input.userId,
        ...ctx,
        detail: decision.mustEnroll ? 'enrollment_required' : 'second_factor',
        ...policyAudit(decision.policy),
      });
      return { status: 'mfa', pending, decision };
    },

    getPending: (pendingId: string) => pendingStore.get(pendingId),

    /** A hypothetical sign-in's decision with every policy explained; reads only, audits nothing. */
    whatIf: (ctx: WhatIfContext) => whatIf(ctx),

    /** Conditional-access policies: the current set, replacing it, and the per-request session check. */
    policies: {
      mode: policies.mode,
      current: () => policies.current(),
      /** Validates, saves (compare-and-set on `expectedVersion`), compiles and swaps in; audited. */
      async replace(document: unknown, expectedVersion: number, ctx: RequestContext & { by?: string }) {
        const set = await policies.replace(document, expectedVersion, ctx.by ?? null);
        await audit({
          type: 'policies_changed',
          at: clock.now(),
          userId: null,
          ip: ctx.ip,
          requestId: ctx.requestId,
          detail: ctx.by,
          data: { version: set.version, policies: set.document.policies.length },
        });
        return set;
      },
      /**
       * Re-checks a signed-in session for one request (app, authentication context, address).
       * Synchronous while the policy set in memory is fresh; a promise when it must be loaded.
       */
      check(stamp: AuthStamp, target: SessionTarget): SessionPolicyCheck | Promise<SessionPolicyCheck> {
        const set = policies.peek();
        if (set !== null) return checkSession(set, stamp, target, clock.now());
        return policies.current().then((loaded) => checkSession(loaded, stamp, target, clock.now()));
      },
      /** Whether a policy set is loaded and has any policy that is on or report-only (sync). */
      isActive: () => policies.peek()?.active ?? policies.mode === 'store',
    },
    cancelPending: (pendingId: string) => pendingStore.cancel(pendingId),

    /** Verifies a second factor for a pending sign-in; on success the pending principal is consumed. */
    async verifyPending(pendingId: string, input: CodeInput, ctx: RequestContext): Promise<VerifyOutcome> {
      const pending = await pendingStore.get(pendingId);
      if (!pending) return { ok: false, error: 'pending_expired' };
      if (pending.mustEnroll) return { ok: false, error: 'must_enroll' };
      // A pending sign-in from before method restrictions existed carries none: every method counts.
      const restriction = pending.allowedMethodIds
        ? { allowedMethodIds: pending.allowedMethodIds, allowRecovery: pending.allowRecovery }
        : undefined;
      const result = await verifySecondFactor(pending.userId, input, ctx, restriction);
      if (!result.ok) return result;
      const taken = await pendingStore.take(pendingId);
      if (!taken) return { ok: false, error: 'pending_expired' };
      return { ok: true, stamp: await complete(taken, result, ctx), rememberDays: taken.rememberDays };
    },

    /**
     * Starts authenticator-app enrollment for a pending sign-in that must enroll, or shows the
     * draft `resumeDraftId` again while it lasts (a reload keeps the secret already scanned).
     * Null when this sign-in needs no enrollment; an MfaError (`signin_too_old` 401,
     * `registration_blocked` 403) when the registration rule refuses it.
     */
    async beginPendingEnrollment(pendingId: string, accountName: string, resumeDraftId?: string) {
      const pending = await pendingStore.get(pendingId);
      if (!pending?.mustEnroll) return null;
      // Refused (the first factor grew too old meanwhile, a registration policy): say why, never loop.
      const verdict = await firstMethodRule(pending, { ip: pending.ip });
      if (!verdict.allowed)
        throw new MfaError(verdict.reason, verdict.message, verdict.reason === 'signin_too_old' ? 401 : 403);
      const resumed = resumeDraftId
        ? await totpEnrollment.resume(pending.userId, resumeDraftId, accountName)
        : null;
      return resumed ?? totpEnrollment.begin(pending.userId, accountName);
    },

    /**
     * Confirms first-method enrollment during sign-in, completes the sign-in and returns
     * fresh recovery codes to show once. Refused if the user meanwhile has a method.
     */
    async confirmPendingEnrollment(
      pendingId: string,
      draftId: string,
      code: string,
      label: string,
      ctx: RequestContext,
    ): Promise<{ ok: true; stamp: AuthStamp; recoveryCodes: string[] } | VerifyFailure> {
      const pending = await pendingStore.get(pendingId);
      if (!pending) return { ok: false, error: 'pending_expired' };
      if (!pending.mustEnroll || (await repository.listMethods(pending.userId)).length > 0) {
        return { ok: false, error: 'pending_expired' };
      }
      if (!(await firstMethodRule(pending, ctx)).allowed) return { ok: false, error: 'pending_expired' };
      const confirmed = await totpEnrollment.confirm(pending.userId, draftId, code, label);
      if (!confirmed.ok) {
        await audit({
          type: 'verify_failed',
          at: clock.now(),
          userId: pending.userId,
          ...ctx,
          detail: `enroll_${confirmed.detail}`,
        });
        return { ok: false, error: 'invalid_code' };
      }
      const taken = await pendingStore.take(pendingId);
      if (!taken) {
        await repository.deleteMethod(pending.userId, confirmed.method.id);
        return { ok: false, error: 'pending_expired' };
      }
      await afterEnrollment(pending.userId, confirmed.method, ctx);
      const recoveryCodes = await mfa.recoveryCodes.regenerate(pending.userId, ctx);
      const second = { amr: methodAmr(confirmed.method), method: secondFactorMethod(confirmed.method) };
      return { ok: true, stamp: await complete(taken, second, ctx), recoveryCodes };
    },

    /**
     * Step-up inside a signed-in session: verify a second factor again and return the
     * stamp with `mfaAt` renewed (and `amr`/`acr` raised if the sign-in had skipped MFA).
     */
    async stepUp(
      stamp: AuthStamp,
      input: CodeInput,
      ctx: RequestContext,
      target?: SessionTarget,
    ): Promise<VerifyOutcome> {
      let restriction: MethodRestriction | undefined;
      if (target) {
        // Only a method that meets what this app's policies require counts (no loop of useless codes).
        const set = await policies.current();
        const policy = set.active ? evaluateForSession(set, stamp, target, clock.now()) : null;
        if (policy && policy.requirements.length > 0) {
          // The new factor, with the sign-in's first factor, must satisfy everything the app requires:
          // an old strong factor in the session does not make a weak new one count (sign-in frequency).
          const first = stampMethods(stamp).filter((m) => FIRST_FACTOR_METHODS.has(m));
          const wanted = policy.requirements;
          const fits = (m: AuthMethod) =>
            unmetRequirements([...first, m], wanted, set.strengths).length === 0;
          const methods = await repository.listMethods(stamp.userId);
          restriction = {
            allowedMethodIds: methods.filter((m) => fits(secondFactorMethod(m))).map((m) => m.id),
            allowRecovery: fits('recoveryCode'),
          };
          if (restriction.allowedMethodIds.length === 0 && !restriction.allowRecovery) {
            const message =
              requirementMessage(wanted, set.strengths) ?? 'None of your sign-in methods is allowed here.';
            await audit({
              type: 'verify_failed',
              at: clock.now(),
              userId: stamp.userId,
              ...ctx,
              detail: 'strength_unavailable',
            });
            return { ok: false, error: 'strength_unavailable', message };
          }
        }
      }
      const result = await verifySecondFactor(stamp.userId, input, ctx, restriction);
      if (!result.ok) return result;
      const amr = combineAmr(
        stamp.amr.filter((a) => a !== 'mfa'),
        result.amr,
      );
      const methods = [...new Set([...stampMethods(stamp), result.method])];
      // A stamp from before per-method times: its second factors date from its last mfaAt.
      const earlier =
        stamp.verifiedAt ??
        Object.fromEntries(
          stampMethods(stamp)
            .filter((m) => !FIRST_FACTOR_METHODS.has(m) && stamp.mfaAt !== null)
            .map((m) => [m, stamp.mfaAt as number]),
        );
      const verifiedAt = { ...earlier, [result.method]: clock.now() };
      const { skippedBy: _dropped, rememberedDeviceAt: _gone, rememberedDeviceId: _device, ...rest } = stamp;
      return {
        ok: true,
        stamp: { ...rest, amr, methods, verifiedAt, acr: acrFor(methods, amr), mfaAt: clock.now() },
        rememberDays: null,
      };
    },

    /**
     * A step-up's stamp on top of the session it raised (an OIDC `mfa` prompt in an existing
     * session): the second factors verified earlier in that session still count, as long as the
     * session was not revoked and the user still has them.
     */
    async mergeStepUp(previous: AuthStamp, fresh: AuthStamp): Promise<AuthStamp> {
      if (previous.userId !== fresh.userId || !(await isCurrent(previous))) return fresh;
      const registered = new Set(
        (await repository.listMethods(fresh.userId, { lastUsed: false })).map((m) => secondFactorMethod(m)),
      );
      return mergeStamps(previous, fresh, (m) => registered.has(m));
    },

    /**
     * Whether the stamp is still valid: not older than the user's last session revocation
     * (admin reset, revokeSessions), not admitted by a remembered device since revoked or
     * expired, nor by a Temporary Access Pass since revoked or replaced. A boolean when cached,
     * else a promise.
     */
    isCurrent,

    /**
     * Whether this session may register (or remove) a sign-in method now: a recent first factor
     * for the first method, a recent second factor (or Temporary Access Pass) for another, and
     * the registration policies (user action registerSecurityInfo). Refusals are audited.
     */
    async mayRegister(stamp: AuthStamp, ctx: RequestContext): Promise<RegistrationVerdict> {
      const since = clock.now() - options.reauthMaxAgeSeconds * 1000;
      return registration.check(
        {
          userId: stamp.userId,
          hasMethods: (await repository.listMethods(stamp.userId, { lastUsed: false })).length > 0,
          firstFactorAt: stamp.authTime,
          mfaAt: stamp.mfaAt,
          methods: methodsVerifiedSince(stamp, since),
          ip: ctx.ip,
          groups: stamp.groups,
          roles: stamp.roles,
          clientAppType: stamp.clientAppType,
          risk: stamp.risk,
        },
        ctx,
      );
    },

    /** The user has no method yet and this session's first factor is too old to register one. */
    async firstMethodNeedsSignIn(stamp: AuthStamp): Promise<boolean> {
      if (registration.isRecent(stamp.authTime)) return false;
      return (await repository.listMethods(stamp.userId, { lastUsed: false })).length === 0;
    },

    /** Whether the stamp carries a real second-factor verification recent enough for sensitive changes. */
    isFresh(stamp: AuthStamp): boolean {
      return stamp.mfaAt !== null && clock.now() - stamp.mfaAt <= options.reauthMaxAgeSeconds * 1000;
    },

    enrollment: {
      beginTotp: (userId: string, accountName: string) => totpEnrollment.begin(userId, accountName),
      /** The draft again while it lasts (same secret), or null. */
      resumeTotp: (userId: string, draftId: string, accountName: string) =>
        totpEnrollment.resume(userId, draftId, accountName),
      /** Adds a method to an existing account. Callers must have checked `isFresh()` when the user already has MFA. */
      async confirmTotp(userId: string, draftId: string, code: string, label: string, ctx: RequestContext) {
        const confirmed = await totpEnrollment.confirm(userId, draftId, code, label);
        if (!confirmed.ok) {
          await audit({
            type: 'verify_failed',
            at: clock.now(),
            userId,
            ...ctx,
            detail: `enroll_${confirmed.detail}`,
          });
          return confirmed;
        }
        await afterEnrollment(userId, confirmed.method, ctx);
        return confirmed;
      },
    },

    methods: {
      list: async (userId: string) => (await repository.listMethods(userId)).map(toMethodSummary),
      async remove(userId: string, methodId: string, ctx: RequestContext): Promise<boolean> {
        const method = await repository.getMethod(userId, methodId);
        if (!method) return false;
        const removed = await repository.deleteMethod(userId, methodId);
        if (removed) {
          // A hardware token's counter stays with the token (keyed by serial), so a later holder cannot replay.
          if (method.tokenSerial === null) await repository.deleteCounter(methodCounterKey(method));
          else await repository.unassignToken(method.tokenSerial, userId);
          await audit({
            type: 'method_removed',
            at: clock.now(),
            userId,
            ...ctx,
            methodId,
            methodKind: method.kind,
          });
        }
        return removed;
      },
    },

    recoveryCodes: {
      async regenerate(userId: string, ctx: RequestContext): Promise<string[]> {
        const codes = await recovery.regenerate(userId);
        await audit({
          type: 'recovery_codes_generated',
          at: clock.now(),
          userId,
          ...ctx,
          data: { count: codes.length },
        });
        return codes;
      },
      remaining: (userId: string) => recovery.remaining(userId),
    },

    devices: {
      /** Issues a remembered-device cookie value for `days` (capped by the configured maximum). */
      async remember(
        userId: string,
        userAgent: string,
        ctx: RequestContext,
        days = options.rememberDevice.days,
      ) {
        if (!options.rememberDevice.enabled)
          throw new MfaError('remember_disabled', 'remembering devices is disabled', 400);
        const capped = Math.min(Math.max(1, Math.floor(days)), options.rememberDevice.maxDays);
        const issued = await rememberedDevices.issue(userId, userAgent, capped);
        await audit({
          type: 'remembered_device_created',
          at: clock.now(),
          userId,
          ...ctx,
          detail: issued.device.id,
        });
        return issued;
      },
      list: (userId: string) => rememberedDevices.list(userId),
      async revoke(userId: string, deviceId: string, ctx: RequestContext) {
        const ok = await rememberedDevices.revoke(userId, deviceId);
        if (ok)
          await audit({
            type: 'remembered_device_revoked',
            at: clock.now(),
            userId,
            ...ctx,
            detail: deviceId,
          });
        return ok;
      },
      async revokeAll(userId: string, ctx: RequestContext) {
        const n = await rememberedDevices.revokeAll(userId);
        await audit({
          type: 'remembered_device_revoked',
          at: clock.now(),
          userId,
          ...ctx,
          detail: 'all',
          data: { count: n },
        });
        return n;
      },
    },

    admin: {
      getUserState: async (userId: string): Promise<UserMfaState> =>
        (await repository.getUserState(userId)) ?? options.defaultUserState,
      async setUserState(userId: string, state: UserMfaState, ctx: RequestContext) {
        await repository.setUserState(userId, state);
        await audit({ type: 'user_state_changed', at: clock.now(), userId, ...ctx, detail: state });
      },
      /**
       * "Require re-registration": removes every method, recovery code, access pass and remembered
       * device. Sessions are revoked first, then devices, so a reset that fails half-way leaves no
       * live session and no cookie that skips MFA (running it again finishes the job); and once
       * more at the end, so a sign-in that raced the reset with a method being removed is void too.
       */
      async resetUser(userId: string, ctx: RequestContext) {
        await sessionEpochs.revokeAll(userId);
        await rememberedDevices.revokeAll(userId);
        const methods = await repository.listMethods(userId);
        await repository.deleteAllMethods(userId);
        await Promise.all(
          methods
            .filter((m) => m.tokenSerial === null)
            .map((m) => repository.deleteCounter(methodCounterKey(m))),
        );
        await repository.unassignTokens(userId);
        await repository.deleteRecoveryCodes(userId);
        await repository.deleteAccessPass(userId);
        await lockout.reset(userId);
        await sessionEpochs.revokeAll(userId);
        await audit({
          type: 'user_reset',
          at: clock.now(),
          userId,
          ...ctx,
          data: { methods: methods.length },
        });
      },
      /** Signs the user out everywhere: every existing session's stamp is refused from now on. */
      async revokeSessions(userId: string, ctx: RequestContext) {
        await sessionEpochs.revokeAll(userId);
        await audit({ type: 'sessions_revoked', at: clock.now(), userId, ...ctx });
      },
      /** Clears the second-factor lockout and the first-factor throttle of the account. */
      async unlock(userId: string) {
        await Promise.all([lockout.reset(userId), firstFactorThrottle.reset(accountThrottleKey(userId))]);
      },
      /** Marks a user as reported for fraud (the `fraudFlagged` risk signal) or clears it. */
      async setFraudFlag(userId: string, flagged: boolean, ctx: RequestContext) {
        await repository.setFraudFlag(userId, flagged ? clock.now() : null);
        // A reported account's live sessions end now; its next sign-in meets the risk policies.
        if (flagged) await sessionEpochs.revokeAll(userId);
        await audit({
          type: 'fraud_flag_changed',
          at: clock.now(),
          userId,
          ...ctx,
          detail: flagged ? 'flagged' : 'cleared',
        });
      },
      lockStatus: (userId: string) => lockout.status(userId),
      auditLog: (filter: { userId?: string; limit?: number }) =>
        repository.listAudit({
          ...(filter.userId ? { userId: filter.userId } : {}),
          limit: filter.limit ?? 100,
        }),
    },

    /** Temporary Access Passes: issue (shown once), status, revoke, verify (one-time: atomic). */
    accessPasses,

    /** OATH hardware tokens: CSV import, inventory, assignment to a user, HOTP resynchronisation. */
    tokens: {
      importCsv: (csv: string, ctx: RequestContext) => oathTokens.importCsv(csv, ctx),
      list: () => oathTokens.list(),
      async assign(serial: string, userId: string, label: string, ctx: RequestContext) {
        const method = await oathTokens.assign(serial, userId, label, ctx);
        await afterEnrollment(userId, method, ctx);
        return method;
      },
      /** Admin operation: moves a HOTP token's counter forward after two consecutive codes. */
      resync: (userId: string, methodId: string, code1: string, code2: string, ctx: RequestContext) =>
        oathTokens.resync(userId, methodId, code1, code2, ctx),
    },

    /** Low-level pieces for tests and benchmarks. */
    internals: { repository, ephemeral, sealer, hasher, otp, lockout },
  };

  /** "Don't ask again on this device": the configured days, capped by the policies' session controls. */
  function rememberDaysFor(decision: Decision): number | null {
    const controls = decision.sessionControls;
    if (!options.rememberDevice.enabled || !controls.rememberDeviceAllowed) return null;
    let days = options.rememberDevice.days;
    if (controls.rememberDeviceMaxDays !== null) days = Math.min(days, controls.rememberDeviceMaxDays);
    if (controls.signInFrequencyMs !== null)
      days = Math.min(days, Math.floor(controls.signInFrequencyMs / 86_400_000));
    return days >= 1 ? days : null;
  }

  /** The policy explanation kept with sign-in events: which policies applied, which would have (report-only). */
  function policyAudit(policy: PolicyEvaluation | undefined): { data?: Record<string, string | number> } {
    if (!policy) return {};
    return {
      data: {
        policyVersion: policy.version,
        policiesApplied: policy.results
          .filter((r) => r.enforced)
          .map((r) => r.policyId)
          .join(' '),
        // What report-only policies would have done: `id=block` or `id=require:strength+strength`.
        reportOnly: policy.reportOnly
          .map(
            (r) =>
              `${r.policyId}=${r.grant === 'block' ? 'block' : `require:${r.grant.strengths.join('+')}`}`,
          )
          .join(' '),
      },
    };
  }

  async function afterEnrollment(userId: string, method: MethodRecord, ctx: RequestContext) {
    // As in the seeds: an `enabled` user becomes `enforced` once registered.
    const state = (await repository.getUserState(userId)) ?? options.defaultUserState;
    if (state === 'enabled') await repository.setUserState(userId, 'enforced');
    await audit({
      type: 'enrolled',
      at: clock.now(),
      userId,
      ...ctx,
      methodId: method.id,
      methodKind: method.kind,
    });
  }

  return mfa;
}

export type Mfa = ReturnType<typeof createMfa>;
