// Codes sent on demand (a text message, a phone call), written once for sign-in, step-up and
// registration: which of the user's methods may send one here (the policy restriction that
// verification applies, so a send is refused exactly where its code would be), the send itself
// bound to its sign-in or session, and the audit — `code_sent` with the channel and the masked
// destination, `code_send_failed` when the provider refused, and refusals by the send limits
// audited once a minute per user (refusal-audit.ts), with the count of the others. Besides the
// method's own limits (per user, per number), every send takes a place in its client address's
// count (`phone.perAddress`, the IPv6 /64 as one), given back when the send failed: one address
// cannot spread sends over many accounts and numbers (SMS pumping). A user locked out of
// checking codes is sent none.
import { DeliveryError, SendBlockedError, SlowDownError } from '../errors.ts';
import type { CodeSent } from '../methods/method.ts';
import { reservePlaces } from '../store/count-places.ts';
import type { MethodRecord } from '../store/ports.ts';
import type { AuditContext } from './audit-log.ts';
import type { EngineContext } from './engine-context.ts';
import { addressBucket } from './lockout.ts';
import { createRefusalAuditor } from './refusal-audit.ts';
import type { MethodRestriction, RequestContext } from './sign-in-types.ts';
import { usableRecords } from './usable-records.ts';

/** A method that sends a code on demand, as the prompt offers it: a button each. */
export interface CodeSender {
  methodId: string;
  kind: string;
  /** e.g. "Text a code to +•• ••• ••67". */
  label: string;
  /**
   * Present when the send asks for an approval (a push notification, a keypad call) and sends
   * no code to type: the page then shows a number and Continue instead.
   */
  approval?: true;
}

export type SendFailure =
  | { ok: false; error: 'slow_down'; retryAfterSeconds: number; message: string }
  /** Not one of the user's methods that send codes, or not allowed here by the policies. */
  | { ok: false; error: 'unknown_method' }
  | { ok: false; error: 'delivery_failed' }
  /**
   * The method refuses to send to this user now (push or a keypad call after a fraud report; a
   * keypad call to a phone with no PIN or past its wrong PINs): why, for the user.
   */
  | { ok: false; error: 'send_blocked'; message: string }
  | { ok: false; error: 'pending_expired' };

export type SendOutcome = ({ ok: true; methodId: string; kind: string } & CodeSent) | SendFailure;

// Refusals are audited per user: the tally outlives the send window.
const REFUSAL_TALLY_TTL_MS = 3_600_000;

export function createCodeSending(engine: EngineContext) {
  const { repository, methods, audit, ephemeral, lockout } = engine;
  const refusalAudit = createRefusalAuditor(ephemeral, 'code-send', REFUSAL_TALLY_TTL_MS);
  const perAddress = engine.options.phone.perAddress;

  /** Takes a place in the address's count, or a SlowDownError when it is full (nothing taken). */
  async function reserveAddress(ip: string | undefined): Promise<() => Promise<void>> {
    if (ip === undefined) return async () => {};
    const key = `code-sends:addr:${addressBucket(ip)}`;
    const reserved = await reservePlaces(ephemeral, [
      { key, max: perAddress.max, windowMs: perAddress.windowSeconds * 1000 },
    ]);
    if (!reserved.ok)
      throw new SlowDownError(
        `Too many codes, calls or notifications were sent from this network. Wait ${perAddress.windowSeconds} seconds and try again.`,
        perAddress.windowSeconds,
      );
    return reserved.release;
  }

  /** A send refused by a limit or the lockout: audited once a minute per user, the rest counted. */
  async function refused(
    userId: string,
    ctx: AuditContext,
    detail: 'slow_down' | 'locked' | 'blocked',
    methodId: string | undefined,
  ): Promise<void> {
    const report = await refusalAudit(userId);
    if (report)
      await audit(userId, ctx, {
        type: 'code_send_refused',
        detail,
        methodId,
        ...(report.unreported > 0 ? { data: { unreported: report.unreported } } : {}),
      });
  }

  /**
   * Runs a send (of a method's code, or a registration's) and audits how it went. Send limits
   * and a refusing provider come back as failures; anything else (a store outage) is thrown.
   */
  async function audited(
    userId: string,
    methodKind: string,
    methodId: string | undefined,
    ctx: AuditContext,
    send: () => Promise<CodeSent>,
  ): Promise<{ ok: true; sent: CodeSent } | SendFailure> {
    let giveBack: (() => Promise<void>) | undefined;
    try {
      giveBack = await reserveAddress(ctx.ip);
      const sent = await send();
      giveBack = undefined; // sent: the place is kept
      await audit(userId, ctx, {
        type: 'code_sent',
        methodId,
        methodKind,
        data: { channel: sent.channel, to: sent.to },
      });
      return { ok: true, sent };
    } catch (err) {
      await giveBack?.();
      if (err instanceof SlowDownError) {
        await refused(userId, ctx, 'slow_down', methodId);
        return {
          ok: false,
          error: 'slow_down',
          retryAfterSeconds: err.retryAfterSeconds,
          message: err.message,
        };
      }
      if (err instanceof SendBlockedError) {
        await refused(userId, ctx, 'blocked', methodId);
        return { ok: false, error: 'send_blocked', message: err.message };
      }
      if (err instanceof DeliveryError) {
        await audit(userId, ctx, {
          type: 'code_send_failed',
          detail: 'delivery_failed',
          methodId,
          methodKind,
        });
        return { ok: false, error: 'delivery_failed' };
      }
      throw err;
    }
  }

  return {
    audited,

    /** Which of these usable records send a code on demand: a button each, in their order. */
    sendersOf(records: readonly MethodRecord[]): CodeSender[] {
      const senders: CodeSender[] = [];
      for (const record of records) {
        const method = methods.of(record);
        if (!method?.sends) continue;
        const sender: CodeSender = {
          methodId: record.id,
          kind: record.kind,
          label: method.sends.label(record),
        };
        senders.push(method.awaiting ? { ...sender, approval: true } : sender);
      }
      return senders;
    },

    /** Sends a code for the user's method `methodId`, bound to `binding`, if the policies allow it here. */
    async send(
      userId: string,
      methodId: string,
      binding: string,
      restriction: MethodRestriction | undefined,
      ctx: RequestContext,
    ): Promise<SendOutcome> {
      const [record] = await usableRecords(repository, userId, restriction, methodId);
      const sends = record ? methods.of(record)?.sends : undefined;
      if (!record || !sends) {
        await audit(userId, ctx, { type: 'code_send_refused', detail: 'unknown_method', methodId });
        return { ok: false, error: 'unknown_method' };
      }
      const locked = await lockout.lockedFor(userId);
      if (locked !== null) {
        await refused(userId, ctx, 'locked', methodId);
        return {
          ok: false,
          error: 'slow_down',
          retryAfterSeconds: locked,
          message: `Too many wrong codes. Wait ${locked} seconds and try again.`,
        };
      }
      const result = await audited(userId, record.kind, record.id, ctx, () =>
        sends.send(record, binding, { ip: ctx.ip }),
      );
      if (!result.ok) return result;
      return { ok: true, methodId: record.id, kind: record.kind, ...result.sent };
    },
  };
}

export type CodeSending = ReturnType<typeof createCodeSending>;
