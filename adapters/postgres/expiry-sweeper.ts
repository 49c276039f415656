// Housekeeping for the PostgreSQL tables whose rows expire (ephemeral state, OpenID provider
// models): an expired row is never returned, and every so many writes the expired rows are
// deleted in the background, one sweep at a time, so the tables do not grow without bound. A
// sweep that fails (the server is briefly away) is simply left to the next one.

export class ExpirySweeper {
  #every: number;
  #purge: () => Promise<number>;
  #writes = 0;
  #running: Promise<void> | null = null;

  /** Calls `purge` in the background after every `every` writes reported by `wrote()`. */
  constructor(every: number, purge: () => Promise<number>) {
    this.#every = every;
    this.#purge = purge;
  }

  /** Counts one write; starts a sweep when it is time and none is under way. */
  wrote(): void {
    if (++this.#writes < this.#every || this.#running) return;
    this.#writes = 0;
    this.#running = this.#purge().then(
      () => {
        this.#running = null;
      },
      () => {
        this.#running = null;
      },
    );
  }

  /** Resolves once no sweep is under way (before the pool is closed). */
  async settled(): Promise<void> {
    await this.#running;
  }
}
