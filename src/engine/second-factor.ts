// Checking one second factor and turning a verified sign-in into its stamp — shared by the
// sign-in flow (a pending sign-in's code, first-method enrollment) and step-up. A check reserves
// its attempt with the lockout before the code is looked at; the stamp records the methods
// really used, so `acr` is computed from them; a completed sign-in is remembered for the
// new-network / new-device risk signals.
import type { AwaitedApproval, ChallengeOptions, MethodCheck, SignInMethod } from '../methods/method.ts';
import type { AuthMethod } from '../policy/model.ts';
import type { MethodRecord } from '../store/ports.ts';
import { firstFactorMethods } from './auth-methods.ts';
import { randomId } from './capabilities.ts';
import { type CodeSender, createCodeSending } from './code-sending.ts';
import type { EngineContext } from './engine-context.ts';
import type { CurrentPending } from './pending-currency.ts';
import { deviceSightingKey, networkSightingKey } from './sightings.ts';
import type {
  CodeInput,
  MethodRestriction,
  RequestContext,
  StampFacts,
  VerifyFailure,
} from './sign-in-types.ts';
import {
  type AuthStamp,
  type AuthStampFacts,
  acrFor,
  combineAmr,
  STAMP_VERSION,
  type StampSkip,
} from './stamp.ts';
import { usableRecords as usableRecordsOf } from './usable-records.ts';

/** The entropy of a session's id (`AuthStampFacts.sessionId`): 128 bits, 22 url-safe characters. */
const SESSION_ID_BYTES = 16;

/** A challenge begun for a prompt: the method's kind, its button's label, the browser's options. */
export interface ChallengeStart {
  kind: string;
  label: string;
  options: ChallengeOptions;
}

/**
 * What a prompt offers besides a typed code: passkey challenges begun, the methods that send a
 * code or a notification, and a notification sent for this sign-in that still waits for its
 * device's answer (a reloaded page shows its number again).
 */
export interface PromptOffer {
  challenges: ChallengeStart[];
  /** The methods that send on demand, the user's default first. */
  senders: CodeSender[];
  approval?: AwaitedApproval;
  /**
   * The user's default method when it may be used here (`mfa.methods.setDefault`): its id and
   * kind, and whether it sends on demand (one of `senders`).
   */
  defaultMethod?: { methodId: string; kind: string; sends: boolean };
}

/** `challenges: false`: none is begun (a client that cannot answer one, e.g. RADIUS): nothing is stored for them. */
export interface PromptOptions {
  challenges?: boolean;
}

/** A verified second factor: its amr values, the strength method it counts as, and which method. */
export interface VerifiedFactor {
  amr: string[];
  method: AuthMethod;
  methodId: string | null;
}

export function createSecondFactor(engine: EngineContext) {
  const sending = createCodeSending(engine);
  const { clock, random, repository, hasher, lockout, methods, audit } = engine;

  /** The stamp of a sign-in completed now: with a verified second factor, or with what skipped it (or neither). */
  const stampFor = (
    userId: string,
    firstAmr: string[],
    second: { amr: string[]; method: AuthMethod } | null,
    facts: StampFacts,
    skip: StampSkip | null = null,
  ): AuthStamp => {
    const amr = combineAmr(firstAmr, second?.amr ?? []);
    const now = facts.completedAt ?? clock.now();
    const methods = firstFactorMethods(firstAmr);
    if (second) methods.push(second.method);
    // A passkey with user verification as the first factor is a real multi-factor verification,
    // as old as that first factor (a new decision on an old session does not renew it).
    const strongFirst = methods.includes('webauthn') && second === null;
    const firstAt = facts.firstFactorAt ?? now;
    // A passkey that was the first factor and one factor only: never the session's second.
    const oneFactorPasskey = firstFactorMethods(firstAmr).includes('webauthn')
      ? undefined
      : facts.firstFactorMethodId;
    const stamp: AuthStampFacts = {
      version: STAMP_VERSION,
      userId,
      amr,
      acr: acrFor(methods, amr),
      firstFactorAmr: [...firstAmr],
      authTime: now,
      mfaAt: second ? now : strongFirst ? firstAt : null,
      methods,
      verifiedAt: second ? { [second.method]: now } : strongFirst ? { webauthn: firstAt } : {},
      app: facts.app,
      clientAppType: facts.clientAppType,
      groups: facts.groups,
      roles: facts.roles,
      risk: facts.risk,
      ...(oneFactorPasskey ? { firstFactorMethodId: oneFactorPasskey } : {}),
      // A new session: its own id, to which its step-ups are bound (step-up.ts).
      sessionId: randomId(random, SESSION_ID_BYTES),
    };
    return skip === null ? stamp : { ...stamp, ...skip };
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

  /** The user's records the policies allow (all when unrestricted), optionally one method id only. */
  const usableRecords = (userId: string, restriction?: MethodRestriction, methodId?: string) =>
    usableRecordsOf(repository, userId, restriction, methodId);

  /**
   * What a prompt offers besides a typed code, from one read of the user's records the policies
   * allow: the challenge of every method that produces one (a passkey's options), begun and bound
   * to `binding`, each with its button's label (unless `challenges: false`); the methods that
   * send a code on demand, the user's default first; a notification or keypad call sent for
   * `binding` that waits or was approved; and the user's default method if usable here. With no
   * method that challenges or sends, nothing is read: there is nothing to offer or order.
   */
  async function prompt(
    userId: string,
    binding: string,
    restriction?: MethodRestriction,
    options: PromptOptions = {},
  ): Promise<PromptOffer> {
    const challenging =
      options.challenges === false ? [] : methods.all.filter((m) => m.challenge !== undefined);
    if (challenging.length === 0 && !methods.all.some((m) => m.sends)) return { challenges: [], senders: [] };
    const [records, defaultId] = await Promise.all([
      usableRecords(userId, restriction),
      repository.getDefaultMethod(userId),
    ]);
    // A default of a kind no longer enabled is none: nothing offers it.
    const preferred = records.find((r) => r.id === defaultId && methods.of(r) !== undefined);
    const challenges: ChallengeStart[] = [];
    for (const method of challenging) {
      const candidates = records.filter((r) => r.kind === method.kind);
      if (!method.challenge || candidates.length === 0) continue;
      const options = await method.challenge.begin(userId, candidates, binding);
      challenges.push({ kind: method.kind, label: method.challenge.label, options });
    }
    const approval = await waitingApproval(records, binding);
    const senders = sending.sendersOf(records);
    // The default first: a stable sort keeps the others in their order.
    senders.sort((a, b) => Number(b.methodId === defaultId) - Number(a.methodId === defaultId));
    return {
      challenges,
      senders,
      ...(approval ? { approval } : {}),
      ...(preferred
        ? {
            defaultMethod: {
              methodId: preferred.id,
              kind: preferred.kind,
              sends: senders.some((s) => s.methodId === preferred.id),
            },
          }
        : {}),
    };
  }

  /**
   * Checks one second factor for a user, under the lockout: the attempt is reserved before
   * the code is looked at, and a success releases the user's counter. `binding`: the sign-in or
   * session a challenge was begun for (`pending:<id>`, `session:<id>`).
   */
  async function verifySecondFactor(
    userId: string,
    input: CodeInput,
    ctx: RequestContext,
    restriction: MethodRestriction | undefined,
    binding: string,
  ): Promise<({ ok: true } & VerifiedFactor) | VerifyFailure> {
    const accepting = methods.accepting(input);
    // The user's records the policies allow, read once for both steps below when a method needs them.
    const records = accepting.some((m) => m.keepsRecords)
      ? await usableRecords(userId, restriction, input.methodId)
      : [];
    // A notification not answered yet is no attempt: the user is told to wait, nothing counted —
    // unless they are locked out, which the gate below then says.
    const approval = accepting.some((m) => m.awaiting)
      ? await waitingApproval(records, binding, accepting)
      : null;
    if (approval !== null && !approval.approved && (await lockout.lockedFor(userId)) === null)
      return { ok: false, error: 'approval_pending', approval };
    const gate = await lockout.begin(userId, ctx.ip);
    if (!gate.allowed) {
      // Refusals cost the caller nothing: one row a minute per kind, with the count of the rest.
      if (gate.audit) {
        const { unreported } = gate.audit;
        await audit(userId, ctx, {
          type: gate.reason === 'slow_down' ? 'throttled' : 'locked',
          detail: gate.reason,
          ...(unreported > 0 ? { data: { unreported } } : {}),
        });
      }
      return {
        ok: false,
        error: gate.reason === 'slow_down' ? 'slow_down' : 'locked',
        retryAfterSeconds: gate.retryAfterSeconds,
      };
    }
    const result = await checkMethods(userId, input, restriction, binding, accepting, records);
    if (!result.ok) {
      await lockout.failed(userId, ctx.ip);
      await audit(userId, ctx, { type: 'verify_failed', detail: result.detail });
      return { ok: false, error: 'invalid_code' };
    }
    await lockout.succeeded(userId, ctx.ip, gate);
    await audit(userId, ctx, {
      type: 'verified',
      methodId: result.record?.id,
      methodKind: result.kind,
    });
    return { ok: true, amr: result.amr, method: result.strength, methodId: result.record?.id ?? null };
  }

  /**
   * The request for `binding` among these records (a notification, a keypad call) that was
   * approved, else one not answered yet, from `among` (default: every enabled method): an
   * approval by any of them comes first, so a call answered while a notification still waits
   * signs in.
   */
  async function waitingApproval(
    records: readonly MethodRecord[],
    binding: string,
    among: readonly SignInMethod[] = methods.all,
  ): Promise<AwaitedApproval | null> {
    let waiting: AwaitedApproval | null = null;
    for (const method of among) {
      if (!method.awaiting) continue;
      const candidates = records.filter((r) => r.kind === method.kind);
      const approval = candidates.length > 0 ? await method.awaiting(candidates, binding) : null;
      if (approval?.approved) return approval;
      waiting ??= approval;
    }
    return waiting;
  }

  /**
   * Offers the input to each enabled method whose input it is (`accepting`, in the options'
   * order), with the user's records of that kind that the policies (and `input.methodId`) allow
   * (`records`); the first that accepts it wins. A replayed code is reported as such even when another method also refused.
   */
  async function checkMethods(
    userId: string,
    input: CodeInput,
    restriction: MethodRestriction | undefined,
    binding: string,
    accepting: readonly SignInMethod[],
    records: readonly MethodRecord[],
  ): Promise<(Extract<MethodCheck, { ok: true }> & { kind: string }) | { ok: false; detail: string }> {
    if (accepting.length === 0) return { ok: false, detail: 'code_format' };
    const details: string[] = [];
    for (const method of accepting) {
      let check: MethodCheck;
      if (method.keepsRecords) {
        const candidates = records.filter((r) => r.kind === method.kind);
        if (candidates.length === 0) continue;
        check = await method.verify(userId, input, candidates, binding);
      } else if (restriction && !restriction.allowRecovery) {
        check = { ok: false, detail: `${method.kind}_not_allowed` };
      } else {
        check = await method.verify(userId, input, [], binding);
      }
      if (check.ok) return { ...check, kind: method.kind };
      details.push(check.detail);
    }
    const detail = details.includes('replayed_step')
      ? 'replayed_step'
      : (details[0] ?? (input.methodId !== undefined ? 'unknown_method' : 'no_method'));
    return { ok: false, detail };
  }

  async function complete(
    pending: CurrentPending,
    second: { amr: string[]; method: AuthMethod },
    ctx: RequestContext,
  ): Promise<AuthStamp> {
    // Timed when the pending sign-in was last found current (pending-currency.ts): a revocation
    // after that check is after this stamp's authTime, so the next request refuses it.
    const stamp = stampFor(pending.userId, pending.firstFactorAmr, second, {
      completedAt: pending.checkedAt,
      app: pending.app,
      clientAppType: pending.clientAppType,
      groups: pending.groups,
      roles: pending.roles,
      risk: pending.risk,
      firstFactorMethodId: pending.firstFactorMethodId,
    });
    await recordSightings(pending.userId, ctx.ip, pending.userAgent);
    await audit(pending.userId, ctx, {
      type: 'signin_completed',
      data: { amr: stamp.amr.join(' '), acr: stamp.acr },
    });
    return stamp;
  }

  return {
    verify: verifySecondFactor,
    prompt,
    stampFor,
    complete,
    recordSightings,
    /** Codes sent on demand (a text message, a call): the send. */
    sending,
  };
}

export type SecondFactor = ReturnType<typeof createSecondFactor>;
