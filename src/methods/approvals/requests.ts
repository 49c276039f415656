// Approval requests: one request sent for one sign-in or step-up (its binding) to one registered
// method — a notification to a push app, a keypad call to a phone — with the number to match,
// kept in the ephemeral store until it lapses. A method has at most one live, unanswered request
// at a time: a send for another sign-in while one waits is refused (`busy`), so the request the
// app shows or the phone rings with is always the one whose number the user's page shows — an
// attacker holding the password cannot slip their request in front of the user's. The slot after
// each request is claimed once (`consumeOnce`), by the next send, once that request was answered
// or lapsed, or by a new send for the same sign-in (which replaces the older one). A request is
// answered once — the first answer spends `<prefix>-answered:<id>` atomically, so an approval and
// a denial racing cannot both land — and an approval is used once (`<prefix>-used:<id>`): of
// fifty racing submissions, one signs in. A send whose delivery failed is cancelled. Each kind
// keeps its requests under its own key prefix (`push`, `call`).
import { randomId } from '../../engine/capabilities.ts';
import type { MethodRecord } from '../../store/ports.ts';
import type { MethodServices } from '../method.ts';

export type ApprovalAnswer = 'approved' | 'denied' | 'fraud';

export interface ApprovalRequest {
  id: string;
  userId: string;
  methodId: string;
  binding: string;
  /** Two digits, 10–99: shown on the page, typed into the app or on the phone's keypad. */
  number: string;
  createdAt: number;
  expiresAt: number;
  /** The client address of the sign-in, for a push app to show (null when unknown). */
  ip: string | null;
  answer: ApprovalAnswer | null;
  /** Why an answer was a denial when the user did not say so (`number_mismatch`). */
  detail: string | null;
}

function readRequest(raw: string | null): ApprovalRequest | null {
  if (raw === null) return null;
  try {
    const t = JSON.parse(raw) as Partial<ApprovalRequest>;
    const fields = [t.id, t.userId, t.methodId, t.binding, t.number];
    if (fields.some((f) => typeof f !== 'string')) return null;
    if (typeof t.createdAt !== 'number' || typeof t.expiresAt !== 'number') return null;
    if (t.answer !== null && t.answer !== 'approved' && t.answer !== 'denied' && t.answer !== 'fraud')
      return null;
    return {
      ...(t as ApprovalRequest),
      ip: typeof t.ip === 'string' ? t.ip : null,
      detail: typeof t.detail === 'string' ? t.detail : null,
    };
  } catch {
    return null;
  }
}

/** Two random digits, 10 to 99, without modulo bias. */
function matchNumber(random: MethodServices['random']): string {
  for (;;) {
    const n = random.bytes(1)[0] ?? 255;
    if (n < 180) return String(10 + (n % 90));
  }
}

type IssueResult =
  | { ok: true; tx: ApprovalRequest }
  /** Another sign-in's request waits for this method: how long until it lapses (ms). */
  | { ok: false; busyForMs: number };

export function createApprovalRequests(
  services: MethodServices,
  settings: { prefix: 'push' | 'call'; lifetimeMs: number },
) {
  const { ephemeral, clock, random } = services;
  const { prefix, lifetimeMs } = settings;
  const txKey = (id: string) => `${prefix}-tx:${id}`;
  const bindingKey = (binding: string, methodId: string) => `${prefix}-tx-of:${binding}:${methodId}`;
  const methodKey = (methodId: string) => `${prefix}-tx-device:${methodId}`;
  const live = (t: ApprovalRequest | null) => (t !== null && t.expiresAt > clock.now() ? t : null);
  const byId = async (id: string | null) =>
    id === null ? null : live(readRequest(await ephemeral.get(txKey(id))));
  /** The method's newest request while it lasts (answered or not), or null. */
  const newestOf = async (methodId: string) => {
    const tx = await byId(await ephemeral.get(methodKey(methodId)));
    return tx !== null && tx.methodId === methodId ? tx : null;
  };

  /**
   * Takes the method's slot for `binding`, or says how long another sign-in's request holds it.
   * The slot after a request is one key (`<prefix>-slot:<method>:after:<request id>`, or `-` when
   * there is none), claimed once: of two sends racing from the same state, one gets it.
   */
  async function takeSlot(
    methodId: string,
    binding: string,
  ): Promise<{ ok: true } | { ok: false; busyForMs: number }> {
    const pointer = await ephemeral.get(methodKey(methodId));
    const holder = await byId(pointer);
    const busy = (tx: ApprovalRequest | null) => ({
      ok: false as const,
      busyForMs: tx ? tx.expiresAt - clock.now() : lifetimeMs,
    });
    if (holder !== null && holder.answer === null && holder.binding !== binding) return busy(holder);
    if (await ephemeral.consumeOnce(`${prefix}-slot:${methodId}:after:${pointer ?? '-'}`, lifetimeMs))
      return { ok: true };
    return busy(await newestOf(methodId));
  }

  return {
    /** A new request for `record` and `binding`, replacing this sign-in's older one; refused while another sign-in's waits. */
    async issue(record: MethodRecord, binding: string, ip: string | null): Promise<IssueResult> {
      const slot = await takeSlot(record.id, binding);
      if (!slot.ok) return slot;
      const now = clock.now();
      const tx: ApprovalRequest = {
        id: randomId(random, 18),
        userId: record.userId,
        methodId: record.id,
        binding,
        number: matchNumber(random),
        createdAt: now,
        expiresAt: now + lifetimeMs,
        ip,
        answer: null,
        detail: null,
      };
      await ephemeral.put(txKey(tx.id), JSON.stringify(tx), lifetimeMs);
      await Promise.all([
        ephemeral.put(bindingKey(binding, record.id), tx.id, lifetimeMs),
        ephemeral.put(methodKey(record.id), tx.id, lifetimeMs),
      ]);
      return { ok: true, tx };
    },

    /**
     * Voids a request that could not be delivered: nothing is left to answer.
     * Only the request goes: a pointer to it then reads as none, and one to a newer request
     * (a second send that was delivered) stays.
     */
    async cancel(tx: ApprovalRequest): Promise<void> {
      await ephemeral.delete(txKey(tx.id));
    },

    /** The newest request of `binding` for this method, while it lasts, or null. */
    async ofBinding(binding: string, methodId: string): Promise<ApprovalRequest | null> {
      const tx = await byId(await ephemeral.get(bindingKey(binding, methodId)));
      return tx !== null && tx.binding === binding && tx.methodId === methodId ? tx : null;
    },

    /** The method's newest request if it is still unanswered, or null. */
    async waitingFor(methodId: string): Promise<ApprovalRequest | null> {
      const tx = await newestOf(methodId);
      return tx !== null && tx.answer === null ? tx : null;
    },

    /** The method's newest request, while it lasts (a replaced one is no longer its to answer). */
    newestOf,

    /** A request by its id, while it lasts (answered or not), or null. */
    byId,

    /** Records the first answer to `tx`; false when it was answered already. */
    async answer(tx: ApprovalRequest, answer: ApprovalAnswer, detail: string | null): Promise<boolean> {
      const remainingMs = tx.expiresAt - clock.now();
      if (remainingMs <= 0) return false;
      if (!(await ephemeral.consumeOnce(`${prefix}-answered:${tx.id}`, lifetimeMs))) return false;
      await ephemeral.put(txKey(tx.id), JSON.stringify({ ...tx, answer, detail }), remainingMs);
      return true;
    },

    /**
     * A request reported as fraud after it was answered (approved by mistake, or denied): an
     * approval is spent, so it signs nobody in, and the request is recorded as `fraud` with the
     * detail `detailOf` gives — told whether the approval had been used already (its session
     * ends with the fraud flag's sign-out). Returns that detail.
     */
    async reportAnswered(tx: ApprovalRequest, detailOf: (alreadyUsed: boolean) => string): Promise<string> {
      const spent = await ephemeral.consumeOnce(`${prefix}-used:${tx.id}`, lifetimeMs);
      const detail = detailOf(tx.answer === 'approved' && !spent);
      const remainingMs = tx.expiresAt - clock.now();
      if (remainingMs > 0)
        await ephemeral.put(txKey(tx.id), JSON.stringify({ ...tx, answer: 'fraud', detail }), remainingMs);
      return detail;
    },

    /** Spends an approved request: true for the first caller only, who also takes it off its sign-in. */
    async consume(tx: ApprovalRequest): Promise<boolean> {
      if (!(await ephemeral.consumeOnce(`${prefix}-used:${tx.id}`, lifetimeMs))) return false;
      await ephemeral.delete(bindingKey(tx.binding, tx.methodId));
      return true;
    },
  };
}

export type ApprovalRequests = ReturnType<typeof createApprovalRequests>;
