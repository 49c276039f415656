// The keys pressed during a keypad call, recorded as the answer to its request: the page's
// number approves (after the phone's PIN in PIN mode); other well-formed keys deny and end the
// request; 0 reports fraud. Malformed keys, and keys to a phone past its wrong PINs
// (`pin_blocked`), record nothing: the request stays open. Only the phone's newest, live request takes an approval or a denial, once. A
// fraud report is honoured for longer: for any call placed to the user in the last
// `FRAUD_REPORT_WINDOW_MS`, even one replaced by a newer call for the same sign-in (a caller
// pressing Call again while the user listens) or lapsed while the user decided — the user was
// called, so their report stands. In PIN mode a wrong PIN counts against the phone (pins.ts);
// keys too short to hold a PIN and the number are a denial that counts nothing.
import type { EphemeralStore, MethodRecord, Repository } from '../../store/ports.ts';
import { type ApprovalFlow, sameNumber } from '../approvals/approval-flow.ts';
import type { ApprovalRequest, ApprovalRequests } from '../approvals/requests.ts';
import type { KeypadAnswer } from '../method.ts';
import type { KeypadWords } from './options.ts';
import type { CallPins } from './pins.ts';

/** The keys of a call, an optional closing `#` included: digits and `*`, at most 16. */
const KEYS = /^[0-9*]{0,16}#?$/;
/** A call's id as mfakit makes them: 16 to 64 URL-safe characters. */
const CALL_ID = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * A keypad webhook's call id and keys as mfakit reads them — the id 16 to 64 URL-safe
 * characters, the keys digits and `*` (at most 16, none too), a closing `#` optional — or null
 * when either is not one (`mfa.phoneCalls.keypad` then answers `ended`, `keys_malformed`).
 * Exported for a form of one's own (the sample's development phone) to refuse the same.
 */
export function readKeypadInput(callId: unknown, keys: unknown): { callId: string; keys: string } | null {
  return typeof callId === 'string' && typeof keys === 'string' && CALL_ID.test(callId) && KEYS.test(keys)
    ? { callId, keys }
    : null;
}
const FRAUD_KEYS = '0';
export const NUMBER_DIGITS = 2;
/** How long after a call was placed its 0 still reports fraud. */
export const FRAUD_REPORT_WINDOW_MS = 15 * 60_000;

/** Who a call was placed to, kept for `FRAUD_REPORT_WINDOW_MS` under `call-placed:<id>`. */
interface PlacedCall {
  userId: string;
  methodId: string;
}

const placedKey = (callId: string) => `call-placed:${callId}`;

function readPlaced(raw: string | null): PlacedCall | null {
  if (raw === null) return null;
  try {
    const p = JSON.parse(raw) as Partial<PlacedCall>;
    return typeof p.userId === 'string' && typeof p.methodId === 'string'
      ? { userId: p.userId, methodId: p.methodId }
      : null;
  } catch {
    return null;
  }
}

export interface KeypadAnswerDeps {
  repository: Repository;
  ephemeral: EphemeralStore;
  requests: ApprovalRequests;
  approvals: ApprovalFlow;
  pins: CallPins | null;
  say(moment: keyof KeypadWords): string;
}

export function createKeypadAnswers(deps: KeypadAnswerDeps) {
  const { repository, ephemeral, requests, approvals, pins, say } = deps;
  const ended = (detail: string, userId?: string): KeypadAnswer => ({
    ok: false,
    error: 'call_ended',
    detail,
    say: say('ended'),
    ...(userId !== undefined ? { userId } : {}),
  });

  /**
   * Why keys that are no fraud report do not approve `record`'s request for `number`, or null;
   * and, in PIN mode, whether the PIN was right (null: no PIN was tried — keys too short for a
   * PIN and the number, a lone # or the number alone).
   */
  function refusalOf(
    record: MethodRecord,
    keys: string,
    number: string,
  ): { refused: string | null; pinRight: boolean | null } {
    const numberRefusal = (typedNumber: string) =>
      sameNumber(typedNumber, number) ? null : 'number_mismatch';
    if (pins === null) return { refused: numberRefusal(keys), pinRight: null };
    if (keys.length < pins.minKeys) return { refused: 'pin_missing', pinRight: null };
    if (!pins.matches(record, keys.slice(0, -NUMBER_DIGITS)))
      return { refused: 'pin_mismatch', pinRight: false };
    return { refused: numberRefusal(keys.slice(-NUMBER_DIGITS)), pinRight: true };
  }

  /**
   * 0: the user's fraud report, once per call (one key, whichever way it comes), for the call's
   * live request — answered or not, replaced by a newer call, its phone since removed — or,
   * once it lapsed, for the call placed in the last `FRAUD_REPORT_WINDOW_MS`.
   */
  async function fraudReport(callId: string): Promise<KeypadAnswer> {
    const tx = await requests.byId(callId);
    const placed = tx ?? readPlaced(await ephemeral.get(placedKey(callId)));
    if (placed === null) return ended('call_unknown');
    if (!(await ephemeral.consumeOnce(`call-fraud:${callId}`, FRAUD_REPORT_WINDOW_MS)))
      return ended('already_answered', placed.userId);
    let detail: string | null = 'reported_after_lapse';
    if (tx !== null) {
      const current = (await requests.newestOf(tx.methodId))?.id === tx.id;
      const recorded = await approvals.record(tx, 'fraud', null);
      detail = !current
        ? 'reported_after_replacement'
        : recorded.ok
          ? recorded.detail
          : 'reported_after_answer';
    }
    return {
      ok: true,
      userId: placed.userId,
      methodId: placed.methodId,
      answer: 'fraud',
      detail,
      say: say('fraud'),
    };
  }

  return {
    /** Keeps who `tx`'s call was placed to, for a fraud report after it lapsed. */
    placed: (tx: ApprovalRequest) =>
      ephemeral.put(
        placedKey(tx.id),
        JSON.stringify({ userId: tx.userId, methodId: tx.methodId } satisfies PlacedCall),
        FRAUD_REPORT_WINDOW_MS,
      ),

    async answer(callId: string, keys: string): Promise<KeypadAnswer> {
      if (readKeypadInput(callId, keys) === null) return ended('keys_malformed');
      const typed = keys.replace(/#$/, '');
      if (typed === FRAUD_KEYS) return fraudReport(callId);
      const tx = await requests.byId(callId);
      if (tx === null) return ended('call_unknown');
      // Only the phone's newest request is its to answer: one replaced by a newer call is not.
      if ((await requests.newestOf(tx.methodId))?.id !== tx.id) return ended('call_replaced', tx.userId);
      const record = await repository.getMethod(tx.userId, tx.methodId);
      if (record === null) return ended('method_removed', tx.userId);
      if (pins !== null && (await pins.blocked(record))) return ended('pin_blocked', tx.userId);
      const { refused, pinRight } = refusalOf(record, typed, tx.number);
      const recorded = await approvals.record(tx, 'approved', refused);
      if (!recorded.ok) return ended('already_answered', tx.userId);
      // Only the answer that was recorded tells on the PIN: a racing one that lost counts nothing.
      if (pinRight === false) await pins?.failed(record);
      if (pinRight === true) await pins?.succeeded(record);
      const { answer, detail } = recorded;
      return { ok: true, userId: tx.userId, methodId: tx.methodId, answer, detail, say: say(answer) };
    },
  };
}
