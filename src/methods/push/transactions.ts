// Push transactions: one notification sent for one sign-in or step-up (its binding) to one
// device, with the number to match, kept in the ephemeral store until it lapses. A newer send
// for the same binding and device replaces the older (the page shows the newest number), and a
// device is offered only its newest unanswered one. A transaction is answered once — the first
// answer spends `push-answered:<id>` atomically, so an approval and a denial racing cannot both
// land — and an approval is used once (`push-used:<id>`): of fifty racing submissions, one signs in.
import { randomId } from '../../engine/capabilities.ts';
import type { MethodRecord } from '../../store/ports.ts';
import type { MethodServices } from '../method.ts';

export type PushAnswer = 'approved' | 'denied' | 'fraud';

export interface PushTransaction {
  id: string;
  userId: string;
  methodId: string;
  binding: string;
  /** Two digits, 10–99: shown on the page, typed into the app. */
  number: string;
  createdAt: number;
  expiresAt: number;
  answer: PushAnswer | null;
  /** Why an answer was a denial when the user did not say so (`number_mismatch`). */
  detail: string | null;
}

function readTransaction(raw: string | null): PushTransaction | null {
  if (raw === null) return null;
  try {
    const t = JSON.parse(raw) as Partial<PushTransaction>;
    const fields = [t.id, t.userId, t.methodId, t.binding, t.number];
    if (fields.some((f) => typeof f !== 'string')) return null;
    if (typeof t.createdAt !== 'number' || typeof t.expiresAt !== 'number') return null;
    if (t.answer !== null && t.answer !== 'approved' && t.answer !== 'denied' && t.answer !== 'fraud')
      return null;
    return { ...(t as PushTransaction), detail: typeof t.detail === 'string' ? t.detail : null };
  } catch {
    return null;
  }
}

/** Two random digits, 10 to 99, without modulo bias. */
export function matchNumber(random: MethodServices['random']): string {
  for (;;) {
    const n = random.bytes(1)[0] ?? 255;
    if (n < 180) return String(10 + (n % 90));
  }
}

export function createPushTransactions(services: MethodServices, lifetimeMs: number) {
  const { ephemeral, clock, random } = services;
  const txKey = (id: string) => `push-tx:${id}`;
  const bindingKey = (binding: string, methodId: string) => `push-tx-of:${binding}:${methodId}`;
  const deviceKey = (methodId: string) => `push-tx-device:${methodId}`;
  const live = (t: PushTransaction | null) => (t !== null && t.expiresAt > clock.now() ? t : null);
  const byId = async (id: string | null) =>
    id === null ? null : live(readTransaction(await ephemeral.get(txKey(id))));

  return {
    /** A new transaction for `record` and `binding`, replacing the older ones there. */
    async issue(record: MethodRecord, binding: string): Promise<PushTransaction> {
      const now = clock.now();
      const tx: PushTransaction = {
        id: randomId(random, 18),
        userId: record.userId,
        methodId: record.id,
        binding,
        number: matchNumber(random),
        createdAt: now,
        expiresAt: now + lifetimeMs,
        answer: null,
        detail: null,
      };
      await ephemeral.put(txKey(tx.id), JSON.stringify(tx), lifetimeMs);
      await Promise.all([
        ephemeral.put(bindingKey(binding, record.id), tx.id, lifetimeMs),
        ephemeral.put(deviceKey(record.id), tx.id, lifetimeMs),
      ]);
      return tx;
    },

    /** The newest transaction of `binding` for this device, while it lasts, or null. */
    async ofBinding(binding: string, methodId: string): Promise<PushTransaction | null> {
      const tx = await byId(await ephemeral.get(bindingKey(binding, methodId)));
      return tx !== null && tx.binding === binding && tx.methodId === methodId ? tx : null;
    },

    /** The device's newest transaction if it is still unanswered, or null. */
    async waitingFor(methodId: string): Promise<PushTransaction | null> {
      const tx = await byId(await ephemeral.get(deviceKey(methodId)));
      return tx !== null && tx.methodId === methodId && tx.answer === null ? tx : null;
    },

    /** The transaction `id` while it lasts, or null. */
    get: (id: string) => byId(id),

    /** Records the first answer to `tx`; false when it was answered already. */
    async answer(tx: PushTransaction, answer: PushAnswer, detail: string | null): Promise<boolean> {
      const remainingMs = tx.expiresAt - clock.now();
      if (remainingMs <= 0) return false;
      if (!(await ephemeral.consumeOnce(`push-answered:${tx.id}`, lifetimeMs))) return false;
      await ephemeral.put(txKey(tx.id), JSON.stringify({ ...tx, answer, detail }), remainingMs);
      return true;
    },

    /** Spends an approved transaction: true for the first caller only. */
    consume: (tx: PushTransaction) => ephemeral.consumeOnce(`push-used:${tx.id}`, lifetimeMs),
  };
}

export type PushTransactions = ReturnType<typeof createPushTransactions>;
