// The security-info portal's express-session records in mfakit's ephemeral store (the one the
// pending sign-ins live in: SQLite, PostgreSQL or Redis), so that every process of the federation
// server finds a browser's portal session, whichever of them the browser reaches. Each record
// expires with its cookie (`set` is given the time the cookie has left; there is no `touch`, which
// would rewrite a record another request may be changing); a store that cannot be reached fails the request (no session is
// invented).

import session from 'express-session';
import type { EphemeralStore } from 'mfakit';

const KEY = (sid: string) => `fed:portal-session:${sid}`;

export class EphemeralSessionStore extends session.Store {
  readonly #ephemeral: EphemeralStore;
  readonly #fallbackTtlMs: number;

  /** `fallbackTtlMs`: how long a record lives when its cookie has no max age. */
  constructor(ephemeral: EphemeralStore, fallbackTtlMs: number) {
    super();
    this.#ephemeral = ephemeral;
    this.#fallbackTtlMs = fallbackTtlMs;
  }

  #ttlOf(data: session.SessionData): number {
    const maxAge = data.cookie?.maxAge;
    return typeof maxAge === 'number' && maxAge > 0 ? maxAge : this.#fallbackTtlMs;
  }

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    this.#ephemeral.get(KEY(sid)).then(
      (text) => callback(null, text === null ? null : (JSON.parse(text) as session.SessionData)),
      (err: unknown) => callback(err),
    );
  }

  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    this.#ephemeral.put(KEY(sid), JSON.stringify(data), this.#ttlOf(data)).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.#ephemeral.delete(KEY(sid)).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }
}
