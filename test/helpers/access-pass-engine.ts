// An engine for the Temporary Access Pass tests: real stores (memory or an SQLite file), a clock
// the test moves, and every audit event kept for inspection.
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import type { AuditEvent } from '../../src/audit/events.ts';
import { createMfa, type Mfa } from '../../src/engine/create-mfa.ts';
import type { MfaOptions } from '../../src/engine/options.ts';
import type { Stores } from '../../src/store/ports.ts';
import { codeFor } from './app.ts';
import { type TestClock, testClock } from './test-clock.ts';
import { totpSecretOf } from './totp-now.ts';

export const TAP_KEY = { id: 'k1', key: Buffer.alloc(32, 9) };
/** An administrator's request context, and a user's. */
export const ADMIN = { ip: '198.51.100.1', requestId: 'req-admin', by: 'admin@example.com' };
export const USER = { ip: '203.0.113.7', requestId: 'req-user' };

export interface TapEngine {
  mfa: Mfa;
  stores: Stores;
  clock: TestClock;
  events: AuditEvent[];
}

/** `path`: an SQLite file; else memory stores. */
export function tapEngine(
  options: Partial<MfaOptions> & { path?: string; stores?: Stores; clock?: TestClock } = {},
): TapEngine {
  const { path, stores: given, clock: givenClock, ...rest } = options;
  const clock = givenClock ?? testClock();
  const stores = given ?? (path ? createSqliteStores({ path, clock }) : createMemoryStores({ clock }));
  const events: AuditEvent[] = [];
  const mfa = createMfa({
    stores,
    clock,
    issuer: 'Test Co',
    sealingKeys: [TAP_KEY],
    audit: (e) => {
      events.push(e);
    },
    ...rest,
  });
  return { mfa, stores, clock, events };
}

export const MINUTE = 60_000;

/**
 * Confirms an authenticator-app draft begun during the pending sign-in `pendingId` with the
 * app's current code, as the user's phone would (labelled `label`, from USER's address).
 */
export function confirmTotpDraft(
  t: TapEngine,
  pendingId: string,
  draft: { draftId: string; fields: { readonly [field: string]: unknown } },
  label: string,
) {
  const code = codeFor(totpSecretOf(draft), t.clock);
  return t.mfa.confirmPendingEnrollment(pendingId, 'totp', draft.draftId, { code }, label, USER);
}
