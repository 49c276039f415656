// Housekeeping for the PostgreSQL tables whose rows expire (ephemeral state, OpenID provider
// models): the base of their two stores. An expired row is never returned (each store's
// statements compare `expires_at` with the injected clock, passed as a parameter), and every so
// many writes the expired rows are deleted in the background, one sweep at a time, so the tables
// do not grow without bound. A sweep that fails (the server is briefly away) is simply left to
// the next one.
import type { Clock } from '../../src/engine/capabilities.ts';
import { type PostgresDatabase, run, type Statement } from './queries.ts';

/** A store over one table whose rows expire; `sql.purge` deletes the rows expired at `$1` (now). */
export abstract class ExpiringTableStore<Sql extends { readonly purge: Statement }> {
  /** Expired rows are swept after this many writes (and by `purgeExpired()`). */
  static readonly PURGE_EVERY = 500;

  protected readonly db: PostgresDatabase;
  protected readonly clock: Clock;
  protected readonly sql: Sql;
  #writes = 0;
  #running: Promise<void> | null = null;

  /** Expects a migrated schema (createPostgresStores migrates it). */
  constructor(db: PostgresDatabase, clock: Clock, sql: Sql) {
    this.db = db;
    this.clock = clock;
    this.sql = sql;
  }

  /** Deletes every expired entry now; returns how many. */
  async purgeExpired(): Promise<number> {
    return (await run(this.db.pool, this.sql.purge, [this.clock.now()])).rowCount ?? 0;
  }

  /** Resolves once no background sweep is under way (before the pool is closed). */
  async settled(): Promise<void> {
    await this.#running;
  }

  /** Counts one write; starts a sweep when it is time and none is under way. */
  protected wrote(): void {
    if (++this.#writes < ExpiringTableStore.PURGE_EVERY || this.#running) return;
    this.#writes = 0;
    this.#running = this.purgeExpired().then(
      () => {
        this.#running = null;
      },
      () => {
        this.#running = null;
      },
    );
  }
}
