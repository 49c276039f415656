// An answer to an approval request — from a push app, from a keypad call — recorded alike for
// every method approved that way: on a fraud report the user's fraud flag is set first (which
// signs them out everywhere, and nothing is sent to them until an administrator clears it), so
// a report stands even if its audit row cannot be written; then the answer is audited under the
// event its channel names (`push_answered`, `call_answered`), with why an approval was none or
// how a late report came (`data.reason`).
import type { ApprovalAnswer } from '../methods/approvals/requests.ts';
import type { Administration } from './administration.ts';
import type { EngineContext } from './engine-context.ts';
import type { RequestContext } from './sign-in-types.ts';

/** One answer a method recorded: whose, to which of their methods, and why it is not what was given. */
export interface RecordedApprovalAnswer {
  userId: string;
  methodId: string;
  methodKind: string;
  answer: ApprovalAnswer;
  /** `number_mismatch`, `pin_mismatch`, `reported_after_approval`…; null when the answer is what was given. */
  reason: string | null;
}

export async function recordApprovalAnswer(
  engine: Pick<EngineContext, 'audit'>,
  admin: Pick<Administration, 'setFraudFlag'>,
  type: 'push_answered' | 'call_answered',
  answered: RecordedApprovalAnswer,
  ctx: RequestContext,
): Promise<void> {
  const { userId, methodId, methodKind, answer, reason } = answered;
  if (answer === 'fraud') await admin.setFraudFlag(userId, true, ctx);
  await engine.audit(userId, ctx, {
    type,
    detail: answer,
    methodId,
    methodKind,
    ...(reason ? { data: { reason } } : {}),
  });
}
