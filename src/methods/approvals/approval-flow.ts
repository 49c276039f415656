// A sign-in approved elsewhere — in a push app, on a phone's keypad during a call — written once
// for every method approved that way: the send of a request (nothing to a user reported for
// fraud; a place in the method's send limits; one request waiting per device or phone; a
// delivery that failed leaves nothing to approve and costs nothing), the request a reloaded page
// shows again (`awaiting`), the verification that uses an approval once, and the recording of an
// answer: an approval without the page's number (or a keypad call's PIN) is a denial, and fraud
// reported after an answer spends an approval so that it signs nobody in.
import { timingSafeEqual } from 'node:crypto';
import { DeliveryError, SendBlockedError, SlowDownError } from '../../errors.ts';
import type { AuthMethod } from '../../policy/model.ts';
import type { MethodRecord } from '../../store/ports.ts';
import type { AwaitedApproval, CodeSent, FactorInput, MethodCheck, MethodServices } from '../method.ts';
import type { ApprovalAnswer, ApprovalRequest, ApprovalRequests } from './requests.ts';

/** How recording an answer ended: the answer recorded (`detail` says why an approval was refused), or not. */
export type RecordedAnswer =
  | { ok: true; answer: ApprovalAnswer; detail: string | null }
  | { ok: false; error: 'already_answered' };

export interface ApprovalFlowSpec {
  /** The channel the page names (`push`: the app; `voice`: a keypad call). */
  channel: AwaitedApproval['channel'];
  /** What a verification's refusal is called in the audit: `push_denied`, `call_not_sent`… */
  detailPrefix: 'push' | 'call';
  /** The registered method as a page may name it (a device's name, a masked number). */
  nameOf(record: MethodRecord): string;
  /** What a verification gives: RFC 8176 `amr` values and the strength method. */
  amr: string[];
  strength: AuthMethod;
  /** What a refused send tells the user: sends paused by a fraud report; another sign-in's request waiting. */
  words: { paused: string; busy(seconds: number): string };
}

/** How a method sends a request: what differs between a notification and a keypad call. */
export interface ApprovalSending {
  /** Why this method sends nothing to `record` now (a phone without its PIN…), for the user; or null. */
  blockedFor?(record: MethodRecord): Promise<string | null>;
  /** Takes a place in the method's send limits (a SlowDownError when full); how to give it back. */
  reserve(record: MethodRecord): Promise<{ release(): Promise<void> }>;
  /** Delivers `tx` (a notification, a call); rejects as the provider does. */
  deliver(tx: ApprovalRequest): Promise<void>;
}

const NUMBER = /^\d{2}$/;

/** Whether `given` is the request's two-digit number (compared in constant time). */
export function sameNumber(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || !NUMBER.test(given) || !NUMBER.test(expected)) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/** Word that the user approved elsewhere: `{ push: true }` (`push=1` in a form), whichever the method. */
export const isApprovalInput = (input: FactorInput) => 'push' in input && input.push === true;

export function createApprovalFlow(
  services: Pick<MethodServices, 'repository' | 'clock'>,
  requests: ApprovalRequests,
  spec: ApprovalFlowSpec,
) {
  const { repository, clock } = services;
  /** The newest request of `binding` for each candidate that has one, with its record. */
  const requestsOf = async (candidates: readonly MethodRecord[], binding: string) => {
    const sent = await Promise.all(
      candidates.map(async (record) => ({ record, tx: await requests.ofBinding(binding, record.id) })),
    );
    return sent.filter((s): s is { record: MethodRecord; tx: ApprovalRequest } => s.tx !== null);
  };

  return {
    /**
     * Sends a new request for `record` and `binding` as `sending` says: refused (403) to a user
     * reported for fraud or when the method blocks it, over the limits or while another
     * sign-in's request waits (429); a failed delivery cancels it and gives its place back (503).
     */
    async send(
      record: MethodRecord,
      binding: string,
      ip: string | null,
      sending: ApprovalSending,
    ): Promise<CodeSent> {
      if ((await repository.getFraudFlag(record.userId)) !== null)
        throw new SendBlockedError(spec.words.paused);
      const blocked = (await sending.blockedFor?.(record)) ?? null;
      if (blocked !== null) throw new SendBlockedError(blocked);
      const reserved = await sending.reserve(record);
      const issued = await requests.issue(record, binding, ip);
      if (!issued.ok) {
        await reserved.release();
        const seconds = Math.max(1, Math.ceil(issued.busyForMs / 1000));
        throw new SlowDownError(spec.words.busy(seconds), seconds);
      }
      const { tx } = issued;
      try {
        await sending.deliver(tx);
      } catch (err) {
        // Not delivered: nothing is left to approve, and the send costs the user nothing.
        await requests.cancel(tx);
        await reserved.release();
        throw new DeliveryError({ cause: err });
      }
      return { channel: spec.channel, to: spec.nameOf(record), expiresAt: tx.expiresAt, number: tx.number };
    },

    /** The approved request of `binding` (first), or one not answered yet, as the page shows it; or null. */
    async awaiting(candidates: readonly MethodRecord[], binding: string): Promise<AwaitedApproval | null> {
      const sent = await requestsOf(candidates, binding);
      const shown = sent.find((s) => s.tx.answer === 'approved') ?? sent.find((s) => s.tx.answer === null);
      if (!shown) return null;
      const { record, tx } = shown;
      return {
        methodId: record.id,
        channel: spec.channel,
        to: spec.nameOf(record),
        number: tx.number,
        expiresAt: tx.expiresAt,
        approved: tx.answer === 'approved',
      };
    },

    /** The record whose request of `binding` was approved, using the approval (once) and the record; or why not. */
    async verify(candidates: readonly MethodRecord[], binding: string): Promise<MethodCheck> {
      const sent = await requestsOf(candidates, binding);
      const approved = sent.find((s) => s.tx.answer === 'approved');
      if (!approved) {
        const answered = sent.find((s) => s.tx.answer !== null)?.tx;
        const why = answered ? (answered.detail ?? answered.answer) : 'not_sent';
        return { ok: false, detail: `${spec.detailPrefix}_${why}` };
      }
      // The atomic part: one sign-in per approval, however many submissions race.
      if (!(await requests.consume(approved.tx))) return { ok: false, detail: `${spec.detailPrefix}_used` };
      const { record } = approved;
      await repository.markMethodUsed(record.userId, record.id, clock.now());
      return { ok: true, record, amr: [...spec.amr], strength: spec.strength };
    },

    /**
     * Records `given` as the answer to `tx`. `refused`: why an approval is no approval (the
     * number typed was not the page's, a wrong PIN) — the request then ends as denied. Fraud
     * reported after an approval or a denial spends the approval and records the report.
     */
    async record(
      tx: ApprovalRequest,
      given: ApprovalAnswer,
      refused: string | null,
    ): Promise<RecordedAnswer> {
      if (tx.answer !== null && tx.answer !== 'fraud' && given === 'fraud') {
        const answered = tx.answer === 'approved' ? 'approval' : 'denial';
        const detail = await requests.reportAnswered(tx, (alreadyUsed) =>
          alreadyUsed ? 'reported_after_use' : `reported_after_${answered}`,
        );
        return { ok: true, answer: 'fraud', detail };
      }
      const answer: ApprovalAnswer = given === 'approved' && refused !== null ? 'denied' : given;
      const detail = answer !== given ? refused : null;
      if (tx.answer !== null || !(await requests.answer(tx, answer, detail)))
        return { ok: false, error: 'already_answered' };
      return { ok: true, answer, detail };
    },
  };
}

export type ApprovalFlow = ReturnType<typeof createApprovalFlow>;
