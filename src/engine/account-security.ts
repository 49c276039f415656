// Account security: what a user (or their session) does with their own sign-in methods —
// register one (an authenticator app, …), list and remove them, regenerate recovery codes,
// remember, list and forget devices — and the registration rule that guards those changes.
import { DeliveryError, MfaError, SlowDownError } from '../errors.ts';
import type {
  EnrollmentDraft,
  EnrollmentField,
  EnrollmentFields,
  EnrollmentResult,
  FactorInput,
  MethodEnrollment,
  MethodSummary,
} from '../methods/method.ts';
import type { MethodRecord, RememberedDeviceRecord } from '../store/ports.ts';
import type { AuditContext } from './audit-log.ts';
import { createCodeSending } from './code-sending.ts';
import { checkLabel } from './control-characters.ts';
import type { EngineContext } from './engine-context.ts';
import type { RegistrationVerdict } from './registration-rule.ts';
import type { RequestContext } from './sign-in-types.ts';
import { type AuthStamp, methodsVerifiedSince } from './stamp.ts';

/** A method users register themselves, as a page or a client offers it. */
export interface EnrollableMethod {
  kind: string;
  title: string;
  /** What the user gives before it begins (a phone number): ask for these first. Empty for most. */
  fields: readonly EnrollmentField[];
}

export interface EnrollmentService {
  /** The enabled methods users register themselves (`totp`: an authenticator app), in the options' order. */
  available(): EnrollableMethod[];
  /**
   * Starts registering a method of `kind`: a draft to show the user. `unknown_method` (404) if
   * none; `fields`: what the user gave for the method's `fields` (a 400 when missing or
   * malformed). A method that sends a code to begin (a phone) is audited and send-limited: a
   * SlowDownError (429), or `delivery_failed` (503) when the provider refused.
   */
  begin(
    kind: string,
    userId: string,
    accountName: string,
    fields?: EnrollmentFields,
    ctx?: AuditContext,
  ): Promise<EnrollmentDraft>;
  /** The draft again while it lasts (same secret), or null. */
  resume(kind: string, userId: string, draftId: string, accountName: string): Promise<EnrollmentDraft | null>;
  /**
   * Activates the method if `input` proves the draft works. It checks the proof, not who asks: an
   * integration calls `mayRegister(stamp)` first; an administrator's provisioning calls it directly.
   */
  confirm(
    kind: string,
    userId: string,
    draftId: string,
    input: FactorInput,
    label: string,
    ctx: RequestContext,
  ): Promise<EnrollmentResult>;
}

export interface MethodsService {
  /** The user's methods, what may be shown of them; the default one says so (`isDefault`). */
  list(userId: string): Promise<MethodSummary[]>;
  remove(userId: string, methodId: string, ctx: RequestContext): Promise<boolean>;
  /**
   * Chooses the user's default sign-in method (Azure MFA's "default verification option"),
   * or none (`null`): prompts offer it first, and a RADIUS sign-in sends to it at once. False
   * (nothing changed) when `methodId` is not one of the user's methods of an enabled kind.
   */
  setDefault(userId: string, methodId: string | null, ctx: RequestContext): Promise<boolean>;
}

export interface RecoveryCodesService {
  /** A new set (the old one dies), to show once. */
  regenerate(userId: string, ctx: RequestContext): Promise<string[]>;
  remaining(userId: string): Promise<number>;
}

export interface DevicesService {
  /** Issues a remembered-device cookie value for `days` (capped by the configured maximum). */
  remember(
    userId: string,
    userAgent: string,
    ctx: RequestContext,
    days?: number,
  ): Promise<{ cookieValue: string; device: RememberedDeviceRecord }>;
  list(userId: string): Promise<RememberedDeviceRecord[]>;
  revoke(userId: string, deviceId: string, ctx: RequestContext): Promise<boolean>;
  revokeAll(userId: string, ctx: RequestContext): Promise<number>;
}

export interface AccountSecurity {
  enrollment: EnrollmentService;
  methods: MethodsService;
  recoveryCodes: RecoveryCodesService;
  devices: DevicesService;
  /**
   * Whether this session may register (or remove) a sign-in method now: a recent first factor
   * for the first method, a recent second factor (or Temporary Access Pass) for another, and
   * the registration policies (user action registerSecurityInfo). Refusals are audited.
   */
  mayRegister(stamp: AuthStamp, ctx: RequestContext): Promise<RegistrationVerdict>;
  /** The user has no method yet and this session's first factor is too old to register one. */
  firstMethodNeedsSignIn(stamp: AuthStamp): Promise<boolean>;
  /**
   * Whether the stamp carries a real second-factor verification recent enough for sensitive
   * changes. A fresh route of an app with policies also needs `policies.check(stamp, target,
   * { fresh: true })`: what the app requires, met by recently verified factors.
   */
  isFresh(stamp: AuthStamp): boolean;
}

const DRAFT_ID = /^[A-Za-z0-9_-]{8,64}$/;

export function createAccountSecurity(engine: EngineContext) {
  const {
    options,
    clock,
    repository,
    audit,
    methods: enabled,
    recovery,
    rememberedDevices,
    registration,
  } = engine;
  const hasMethods = async (userId: string) =>
    (await repository.listMethods(userId, { lastUsed: false })).length > 0;

  /** After any registration: audited, and (as in the seeds) an `enabled` user becomes `enforced`. */
  async function afterEnrollment(userId: string, method: MethodRecord, ctx: RequestContext) {
    const state = (await repository.getUserState(userId)) ?? options.defaultUserState;
    if (state === 'enabled') await repository.setUserState(userId, 'enforced');
    await audit(userId, ctx, { type: 'enrolled', methodId: method.id, methodKind: method.kind });
  }

  /** The enrollment of an enabled method users register themselves, or `unknown_method`. */
  const enrollmentOf = (kind: string): MethodEnrollment => {
    const found = enabled.get(kind)?.enrollment;
    if (!found) throw new MfaError('unknown_method', 'No such sign-in method can be set up here.', 404);
    return found;
  };

  const sending = createCodeSending(engine);

  const enrollment: EnrollmentService = {
    available: () =>
      enabled.enrollable.map((m) => ({
        kind: m.kind,
        title: m.enrollment.title,
        fields: m.enrollment.fields ?? [],
      })),
    async begin(kind, userId, accountName, fields, ctx = {}) {
      const method = enrollmentOf(kind);
      // A method that asks for something first (a phone number) cannot begin without it.
      const missing = method.fields?.find((f) => fields?.[f.name] === undefined);
      if (missing) throw new MfaError('fields_required', `${missing.name} is required`, 400);
      if (!method.sendsCode) return method.begin(userId, accountName, fields);
      let draft: EnrollmentDraft | undefined;
      const sent = await sending.audited(userId, kind, undefined, ctx, async () => {
        draft = await method.begin(userId, accountName, fields);
        if (!draft.sent) throw new TypeError(`${kind}: a method that sends a code to begin sent none`);
        return draft.sent;
      });
      if (sent.ok && draft) return draft;
      if (!sent.ok && sent.error === 'slow_down')
        throw new SlowDownError(sent.message, sent.retryAfterSeconds);
      throw new DeliveryError();
    },
    // A draft id is the engine's own (url-safe random): anything else names no draft, and never
    // reaches a method's store keys (`enroll:<kind>:<user>:<draft>`), where a ':' could reach
    // another user's draft.
    resume: async (kind, userId, draftId, accountName) =>
      DRAFT_ID.test(draftId) ? enrollmentOf(kind).resume(userId, draftId, accountName) : null,
    async confirm(kind, userId, draftId, input, label, ctx) {
      checkLabel(label);
      const confirmed = DRAFT_ID.test(draftId)
        ? await enrollmentOf(kind).confirm(userId, draftId, input, label)
        : ({ ok: false, detail: 'draft_expired' } as const);
      if (!confirmed.ok) {
        await audit(userId, ctx, { type: 'verify_failed', detail: `enroll_${confirmed.detail}` });
        return confirmed;
      }
      await afterEnrollment(userId, confirmed.method, ctx);
      return confirmed;
    },
  };

  const methods: MethodsService = {
    async list(userId) {
      const [records, defaultId] = await Promise.all([
        repository.listMethods(userId),
        repository.getDefaultMethod(userId),
      ]);
      return records.map((r) => ({ ...enabled.summarize(r), isDefault: r.id === defaultId }));
    },
    async setDefault(userId, methodId, ctx) {
      const method = methodId === null ? null : await repository.getMethod(userId, methodId);
      if (methodId !== null && (method === null || !enabled.of(method))) return false;
      await repository.setDefaultMethod(userId, methodId);
      await audit(userId, ctx, {
        type: 'default_method_changed',
        ...(method ? { methodId: method.id, methodKind: method.kind } : {}),
      });
      return true;
    },
    async remove(userId, methodId, ctx) {
      const method = await repository.getMethod(userId, methodId);
      if (!method) return false;
      // With what it held (its counter, a hardware token) in the same write.
      const removed = await repository.deleteMethod(userId, methodId, enabled.releaseOf(method));
      if (removed) {
        // The default goes with it (the next prompt has none until the user chooses again).
        if ((await repository.getDefaultMethod(userId)) === methodId)
          await repository.setDefaultMethod(userId, null);
        await enabled.of(method)?.removed?.(method);
        await audit(userId, ctx, { type: 'method_removed', methodId, methodKind: method.kind });
      }
      return removed;
    },
  };

  const recoveryCodes: RecoveryCodesService = {
    async regenerate(userId, ctx) {
      const codes = await recovery.regenerate(userId);
      await audit(userId, ctx, { type: 'recovery_codes_generated', data: { count: codes.length } });
      return codes;
    },
    remaining: (userId) => recovery.remaining(userId),
  };

  const devices: DevicesService = {
    async remember(userId, userAgent, ctx, days = options.rememberDevice.days) {
      if (!options.rememberDevice.enabled)
        throw new MfaError('remember_disabled', 'remembering devices is disabled', 400);
      const capped = Math.min(Math.max(1, Math.floor(days)), options.rememberDevice.maxDays);
      const issued = await rememberedDevices.issue(userId, userAgent, capped);
      await audit(userId, ctx, { type: 'remembered_device_created', detail: issued.device.id });
      return issued;
    },
    list: (userId) => rememberedDevices.list(userId),
    async revoke(userId, deviceId, ctx) {
      const ok = await rememberedDevices.revoke(userId, deviceId);
      if (ok) await audit(userId, ctx, { type: 'remembered_device_revoked', detail: deviceId });
      return ok;
    },
    async revokeAll(userId, ctx) {
      const n = await rememberedDevices.revokeAll(userId);
      await audit(userId, ctx, { type: 'remembered_device_revoked', detail: 'all', data: { count: n } });
      return n;
    },
  };

  const service: AccountSecurity = {
    enrollment,
    methods,
    recoveryCodes,
    devices,
    async mayRegister(stamp, ctx) {
      const since = clock.now() - options.reauthMaxAgeSeconds * 1000;
      return registration.check(
        {
          userId: stamp.userId,
          hasMethods: await hasMethods(stamp.userId),
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
    async firstMethodNeedsSignIn(stamp) {
      if (registration.isRecent(stamp.authTime)) return false;
      return !(await hasMethods(stamp.userId));
    },
    isFresh: engine.isFresh,
  };
  return { service, afterEnrollment };
}
