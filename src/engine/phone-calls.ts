// Keys pressed during a keypad call (`voiceMethod({ answer: 'keypad' })`), taken for every
// integration alike: the deployment's SMS/voice provider gathers them and its webhook hands them
// over (`mfa.phoneCalls.keypad({ callId, keys })`), then says the answer's `say` and hangs up.
// The method records the keys as its request's answer (src/methods/voice/keypad-answers.ts);
// this service records it as every approval answer is (approval-answers.ts: on a fraud report,
// 0#, the user's fraud flag, then `call_answered`), and audits refusals once a minute per reason
// and user. (A wrong PIN counts against the phone in the method; a Continue after a denied call
// counts under the lockout as usual.) The call's id is the capability: random, sent only to the
// provider, good for one answer.
import type { ApprovalAnswer } from '../methods/approvals/requests.ts';
import { DEFAULT_KEYPAD_WORDS } from '../methods/voice/options.ts';
import type { Administration } from './administration.ts';
import { recordApprovalAnswer } from './approval-answers.ts';
import type { EngineContext } from './engine-context.ts';
import { createRefusalAuditor } from './refusal-audit.ts';
import type { RequestContext } from './sign-in-types.ts';

/** What a webhook says back to the call: what was recorded (`ended`: nothing), and the words to say. */
export interface KeypadOutcome {
  outcome: ApprovalAnswer | 'ended';
  say: string;
}

export interface PhoneCallService {
  /** Whether a method answered by keypad is enabled (a phone call in keypad mode). */
  readonly enabled: boolean;
  /**
   * The keys a keypad call gathered (`keys`: digits and `*`, the closing `#` optional), for the
   * call `callId` the provider was given (`KeypadCall.callId`). Never throws for what a caller
   * sends: malformed keys, and keys for no call that may be answered, are `ended` — except 0,
   * which on a call placed to the user in the last 15 minutes (replaced by a newer one, or
   * lapsed) still reports fraud.
   */
  keypad(
    input: { callId?: unknown; keys?: unknown } | null | undefined,
    ctx?: RequestContext,
  ): Promise<KeypadOutcome>;
}

// Refusals are tallied per reason and user for an hour, reported once a minute.
const REFUSAL_TALLY_TTL_MS = 3_600_000;
/** What a call hears when no keypad method is enabled (its own words otherwise). */
const NO_CALLS = DEFAULT_KEYPAD_WORDS.ended;

export function createPhoneCallService(engine: EngineContext, admin: Administration): PhoneCallService {
  const { methods, audit, ephemeral } = engine;
  const method = methods.all.find((m) => m.keypad !== undefined);
  const refusalAudit = createRefusalAuditor(ephemeral, 'keypad', REFUSAL_TALLY_TTL_MS);

  return {
    enabled: method !== undefined,
    async keypad(input, ctx = { ip: '' }) {
      const keypad = method?.keypad;
      if (!method || !keypad) return { outcome: 'ended', say: NO_CALLS };
      // Whatever a webhook hands over (no body, an array, inherited fields) reads as no call.
      const given = typeof input === 'object' && input !== null ? input : {};
      const callId = Object.hasOwn(given, 'callId') ? given.callId : undefined;
      const keys = Object.hasOwn(given, 'keys') ? given.keys : undefined;
      const answer =
        typeof callId === 'string' && typeof keys === 'string' ? await keypad.answer(callId, keys) : null;
      if (answer === null || !answer.ok) {
        const detail = answer?.detail ?? 'keys_malformed';
        const report = await refusalAudit(`${detail}:${answer?.userId ?? '-'}`);
        if (report)
          await audit(answer?.userId ?? null, ctx, {
            type: 'call_keys_refused',
            detail,
            ...(report.unreported > 0 ? { data: { unreported: report.unreported } } : {}),
          });
        return { outcome: 'ended', say: answer?.say ?? NO_CALLS };
      }
      await recordApprovalAnswer(
        engine,
        admin,
        'call_answered',
        {
          userId: answer.userId,
          methodId: answer.methodId,
          methodKind: method.kind,
          answer: answer.answer,
          reason: answer.detail ?? null,
        },
        ctx,
      );
      return { outcome: answer.answer, say: answer.say };
    },
  };
}
