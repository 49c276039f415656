// Retransmitted Access-Requests (RFC 5080 §2.2.2). A NAS that hears no reply in time sends the
// same packet again, byte for byte; it must get the same reply, never a second run of the
// request: a one-time code checked twice fails the second time as a replay (and counts as a
// wrong code), a push would be sent twice. So each request's reply — or, while it is still being
// worked out, its promise — is kept for a few seconds, keyed by the client, the source address
// and port, and a hash of the whole packet. Only requests that passed the client's secret and
// Message-Authenticator checks are kept, and the table is bounded (the oldest entry goes first).
import { createHash } from 'node:crypto';

const MAX_ENTRIES = 10_000;

export interface ReplyCache {
  key(client: string, source: string, packet: Buffer): string;
  /** The reply (or the reply being worked out) for this key, if it was seen recently. */
  get(key: string): Promise<Buffer | null> | undefined;
  set(key: string, reply: Promise<Buffer | null>): void;
  clear(): void;
}

export function createReplyCache(ttlMs: number, now: () => number = Date.now): ReplyCache {
  const entries = new Map<string, { reply: Promise<Buffer | null>; expiresAt: number }>();

  function prune(at: number) {
    // Map order is insertion order, and every entry lives as long: expired ones lead.
    for (const [key, entry] of entries) {
      if (entry.expiresAt > at && entries.size < MAX_ENTRIES) break;
      entries.delete(key);
    }
  }

  return {
    key: (client, source, packet) =>
      `${client}\u0000${source}\u0000${createHash('sha256').update(packet).digest('base64')}`,
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= now()) {
        entries.delete(key);
        return undefined;
      }
      return entry.reply;
    },
    set(key, reply) {
      const at = now();
      prune(at);
      entries.set(key, { reply, expiresAt: at + ttlMs });
    },
    clear: () => entries.clear(),
  };
}
