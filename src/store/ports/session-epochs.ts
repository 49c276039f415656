// Session epochs: per user, "every sign-in completed before this time is void" (bumped by an
// administrator's reset or a session revocation; src/engine/session-epochs.ts). They are stored
// as counters under the key `signin-epoch:<userId>`, so this port is the part of the counter
// port they use: `advance(key, now)` moves an epoch only forward (two revocations racing leave
// the later time), `getCounter(key)` reads it (null: never revoked). The contract checks that
// epochs hold millisecond timestamps exactly and that concurrent bumps keep the latest.
import type { CounterStore } from './counters.ts';

export type SessionEpochStore = Pick<CounterStore, 'advance' | 'getCounter'>;
