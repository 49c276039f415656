/**
 * Refused first-factor attempts cost the attacker no password check, so they must not cost the
 * deployment a durable audit row each: the first refusal of its kind in a minute is audited
 * (the rows read back from the repository, as `admin.auditLog` reports them), the others are
 * counted and carried by the next audited one. An attacker rotating identifiers or addresses
 * must not multiply the rows. Memory stores on an injected clock; the last test on PostgreSQL
 * and Redis, where the count is shared through the ephemeral store.
 */
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import {
  type AccountDirectory,
  createMfa,
  type FirstFactorResult,
  type MfaOptions,
  type Stores,
} from '../../src/index.ts';
import { useScaledStores } from '../helpers/scaled-stores.ts';
import { type TestClock, testClock } from '../helpers/test-clock.ts';

const directory: AccountDirectory = {
  resolve: (identifier) => (identifier === 'alice' ? { id: 'alice' } : null),
  verifyPassword: async (accountId, password) => accountId === 'alice' && password === 'alice-pw',
};

function harness(stores: Stores, clock: TestClock, firstFactor: MfaOptions['firstFactor'] = {}) {
  const mfa = createMfa({
    stores,
    clock,
    issuer: 'Test',
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 7) }],
    audit: () => {},
    firstFactor,
  });
  const gate = mfa.firstFactorGate(directory);
  return {
    attempt: (identifier: string, ip: string, requestId: string) =>
      gate.signIn({ identifier, secret: 'guess', kind: 'password', ip, requestId }),
    /** The durable `first_factor_throttled` rows, oldest first. */
    async throttledRows() {
      const rows = await mfa.admin.auditLog({ limit: 5000 });
      return rows
        .filter((r) => r.type === 'first_factor_throttled')
        .sort((a, b) => a.at - b.at)
        .map(
          (r) => r.data as { ip: string; requestId: string; detail: string; data: Record<string, unknown> },
        );
    },
  };
}

const memory = () => {
  const clock = testClock();
  return { clock, stores: createMemoryStores({ clock }) };
};
const throttled = (r: FirstFactorResult) => r.ok === false && r.error === 'throttled';
const IP = '198.51.100.7';

/** Locks alice's password budget at the hard limit (three failures, one second apart). */
async function lockAlice(h: ReturnType<typeof harness>, clock: TestClock) {
  for (let i = 0; i < 3; i++) {
    assert.equal(throttled(await h.attempt('alice', `203.0.113.${i}`, `lock-${i}`)), false);
    clock.advance(2_000);
  }
}
const LOCKING = { freeAttempts: 2, hardLimit: 3, maxDelaySeconds: 1 };

describe('first-factor gate: refused attempts in the audit trail', () => {
  it('1,000 refused attempts from one address in a minute leave one row, the first refusal', async () => {
    const { clock, stores } = memory();
    const h = harness(stores, clock);
    const results: FirstFactorResult[] = [];
    for (let i = 0; i < 1000; i++) results.push(await h.attempt('nobody', IP, `r${i}`));
    const firstRefused = results.findIndex(throttled);
    assert.equal(firstRefused, 5, 'five free attempts, then refused');
    assert.ok(results.slice(5).every(throttled));
    const rows = await h.throttledRows();
    assert.equal(rows.length, 1, `${rows.length} rows for 995 refusals`);
    assert.equal(rows[0]?.requestId, 'r5', 'the first refusal is the one kept');
    assert.equal(rows[0]?.ip, IP);
    assert.deepEqual(rows[0]?.data, { kind: 'password' }, 'nothing unreported before the first');
  });

  it('rotating identifiers (and addresses within one /64) does not multiply rows; a minute later the next carries the count', async () => {
    const { clock, stores } = memory();
    const h = harness(stores, clock, { perAddress: { maxFailures: 20, windowMinutes: 15 } });
    let refused = 0;
    for (let i = 0; i < 1000; i++) {
      const ip = `2001:db8:1:2::${(i % 500).toString(16)}`;
      if (throttled(await h.attempt(`name-${i}`, ip, `r${i}`))) refused++;
    }
    assert.equal(refused, 980, 'twenty checked, then the address is refused');
    let rows = await h.throttledRows();
    assert.equal(rows.length, 1, `${rows.length} rows for 980 refusals`);
    assert.equal(rows[0]?.detail, 'address_limit');
    assert.equal(rows[0]?.requestId, 'r20');

    clock.advance(59_000);
    assert.ok(throttled(await h.attempt('name-x', '2001:db8:1:2::beef', 'late')));
    assert.equal((await h.throttledRows()).length, 1, 'still within the minute');
    clock.advance(1_000);
    assert.ok(throttled(await h.attempt('name-y', '2001:db8:1:2::cafe', 'next')));
    rows = await h.throttledRows();
    assert.equal(rows.length, 2);
    assert.equal(rows[1]?.requestId, 'next');
    assert.deepEqual(rows[1]?.data, { kind: 'password', unreported: 980 }, '979 + the late one');
    clock.advance(60_000);
    assert.ok(throttled(await h.attempt('name-z', '2001:db8:1:2::1', 'third')));
    assert.deepEqual((await h.throttledRows())[2]?.data, { kind: 'password' }, 'reported once only');
  });

  it('many addresses hammering one locked account give one row a minute, then one with the count', async () => {
    const { clock, stores } = memory();
    const h = harness(stores, clock, LOCKING);
    await lockAlice(h, clock);
    for (let i = 0; i < 300; i++)
      assert.ok(throttled(await h.attempt('alice', `192.0.2.${i % 250}`, `a${i}`)), `attempt ${i}`);
    let rows = await h.throttledRows();
    assert.equal(rows.length, 1, `${rows.length} rows for 300 refusals from 250 addresses`);
    assert.equal(rows[0]?.detail, 'locked');
    assert.equal(rows[0]?.requestId, 'a0');
    clock.advance(60_000);
    for (let i = 0; i < 10; i++) assert.ok(throttled(await h.attempt('alice', `10.9.${i}.1`, `b${i}`)));
    rows = await h.throttledRows();
    assert.equal(rows.length, 2);
    assert.equal(rows[1]?.requestId, 'b0');
    assert.deepEqual(rows[1]?.data, { kind: 'password', unreported: 299 });
  });

  describe('on PostgreSQL and Redis', function () {
    this.timeout(60_000);
    const scaledStores = useScaledStores();

    it('a locked account hammered concurrently from many addresses: one row a minute, the count carried once', async () => {
      const clock = testClock();
      const shortLived = await scaledStores(clock);
      // Two gates on the same stores, as two processes of one deployment.
      const [h1, h2] = [harness(shortLived, clock, LOCKING), harness(shortLived, clock, LOCKING)];
      if (!h1 || !h2) throw new Error('unreachable');
      await lockAlice(h1, clock);
      const burst = (tag: string) =>
        Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            (i % 2 ? h1 : h2).attempt('alice', `192.0.2.${i % 200}`, `${tag}${i}`),
          ),
        );
      assert.ok((await burst('a')).every(throttled));
      assert.equal((await h1.throttledRows()).length, 1);
      clock.advance(60_000);
      assert.ok((await burst('b')).every(throttled));
      clock.advance(60_000);
      assert.ok((await burst('c')).every(throttled));
      clock.advance(60_000);
      assert.ok(throttled(await h2.attempt('alice', '198.51.100.1', 'd')));
      const rows = await h1.throttledRows();
      assert.equal(rows.length, 4, `${rows.length} rows for 601 refusals over four minutes`);
      assert.ok(rows.every((r) => r.detail === 'locked'));
      // Within a burst, a refusal counted before the minute's audited one took the count is
      // reported by that one, later ones by the next: the split varies, the total does not.
      const unreported = rows.map((r) => (r.data.unreported as number | undefined) ?? 0);
      assert.equal(unreported[0], 0);
      assert.equal(
        unreported.reduce((a, b) => a + b, 0),
        601 - 4,
        `each unaudited refusal reported exactly once: ${unreported.join(', ')}`,
      );
    });
  });
});
