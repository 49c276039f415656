// The engine as the test apps build it (test/helpers/app.ts, test/helpers/oidc-idp.ts): memory
// stores on the test clock unless given, one fixed sealing key, every audit event kept in
// `events`, remembered devices on (14 days, at most 60) with a cookie that is not Secure (the
// tests speak plain HTTP); the test's own options on top.
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { type AuditEvent, createMfa, type MfaOptions, type Stores } from '../../src/index.ts';
import type { TestClock } from './test-clock.ts';

export function createTestMfa(
  overrides: Partial<MfaOptions> & { stores?: Stores },
  base: { clock: TestClock; issuer: string; keyFill: number },
) {
  const { clock } = base;
  const events: AuditEvent[] = [];
  const stores = overrides.stores ?? createMemoryStores({ clock });
  const mfa = createMfa({
    stores,
    clock,
    issuer: base.issuer,
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, base.keyFill) }],
    audit: (e) => {
      events.push(e);
    },
    ...overrides,
    rememberDevice: {
      enabled: true,
      days: 14,
      maxDays: 60,
      cookieName: 'mfakit_rd',
      secureCookie: false,
      ...overrides.rememberDevice,
    },
  });
  return { mfa, events, stores };
}
