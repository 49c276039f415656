// What every part of the store contract shares: a clock the test moves by hand, the factory an
// adapter hands in, and `contractContext`, which gives each test fresh stores built on a fresh
// clock and closes them afterwards.
import type { Stores } from '../../../src/store/ports.ts';

/** A clock the test moves by hand. Milliseconds since the epoch. */
export interface TestClock {
  now(): number;
  set(ms: number): void;
}

/** Builds fresh stores on the given clock; called once per test. */
export type StoreFactory = (clock: TestClock) => Promise<Stores>;

export const CONTRACT_EPOCH = 1_700_000_000_000;

export function createTestClock(start = CONTRACT_EPOCH): TestClock {
  let current = start;
  return {
    now: () => current,
    set(ms) {
      current = ms;
    },
  };
}

/** The current test's stores and clock, as seen by each aggregate's part of the contract. */
export interface ContractContext {
  /** Fresh for every test. */
  readonly stores: Stores;
  readonly clock: TestClock;
  /** Moves the clock forward by `ms`. */
  later(ms: number): void;
}

/**
 * Call inside a `describe`: before each test builds fresh stores with `make` on a fresh test
 * clock, after each closes them. Pass the context to the aggregate contracts to run.
 */
export function contractContext(make: StoreFactory): ContractContext {
  let clock = createTestClock();
  let stores: Stores | undefined;
  beforeEach(async () => {
    clock = createTestClock();
    stores = await make(clock);
  });
  afterEach(async () => {
    await stores?.close?.();
    stores = undefined;
  });
  return {
    get stores() {
      if (!stores) throw new Error('store contract: stores are built before each test only');
      return stores;
    },
    get clock() {
      return clock;
    },
    later(ms) {
      clock.set(clock.now() + ms);
    },
  };
}

/**
 * Starts `n` calls at once, then waits for all of them. Every call is fired before any is
 * awaited, so an adapter whose primitives are read-modify-write across an await (a network
 * round trip, a connection pool) fails the cases that use it.
 */
export async function concurrently<T>(n: number, call: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => call(i)));
}

export const countTrue = (results: boolean[]) => results.filter((r) => r).length;
