// Audit retention through the engine (`mfa.admin.pruneAuditLog`): what an operator relies on —
// old events go, recent ones stay, the run is recorded as `audit_pruned` with who asked, the
// deletion goes in batches to the end — and what must never happen: a bound in the future or
// less than a day back (a typo in a retention) deletes anything.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { DAY_MS } from '../../src/engine/audit-retention.ts';
import { MfaError } from '../../src/errors.ts';
import type { AuditEventRecord } from '../../src/store/ports.ts';
import { ADMIN, type TapEngine, tapEngine } from '../helpers/access-pass-engine.ts';
import { testClock } from '../helpers/test-clock.ts';

const HOUR = 3_600_000;

describe('audit retention: mfa.admin.pruneAuditLog', () => {
  let t: TapEngine;
  let batches: number[];
  beforeEach(() => {
    const clock = testClock();
    const stores = createMemoryStores({ clock });
    const prune = stores.repository.pruneAudit.bind(stores.repository);
    batches = [];
    stores.repository.pruneAudit = async (before, limit) => {
      const deleted = await prune(before, limit);
      batches.push(deleted);
      return deleted;
    };
    t = tapEngine({ stores, clock });
  });

  /** Appends events `ageMs` before now each (ids `old-<i>`), straight into the store. */
  async function appendAged(...ages: number[]) {
    for (const [i, age] of ages.entries())
      await t.stores.repository.appendAudit({
        id: `old-${i}`,
        at: t.clock.now() - age,
        type: 'verified',
        userId: 'alice',
        data: {},
      });
  }
  const stored = async (): Promise<AuditEventRecord[]> => t.stores.repository.listAudit({ limit: 1000 });

  it('deletes what is older than the retention, keeps the rest, and records audit_pruned with who asked', async () => {
    await appendAged(100 * DAY_MS, 91 * DAY_MS, 90 * DAY_MS, 89 * DAY_MS, HOUR);
    const result = await t.mfa.admin.pruneAuditLog(
      { olderThanMs: 90 * DAY_MS, by: 'admin@example.com' },
      ADMIN,
    );
    const before = t.clock.now() - 90 * DAY_MS;
    assert.deepStrictEqual(result, { before, count: 2 });
    const left = await stored();
    assert.deepStrictEqual(
      left.map((e) => e.id).slice(1),
      ['old-4', 'old-3', 'old-2'],
      'the event exactly 90 days old is at the bound and stays',
    );
    const [pruned] = left;
    assert.equal(pruned?.type, 'audit_pruned');
    assert.equal(pruned?.at, t.clock.now());
    assert.equal(pruned?.userId, null);
    assert.deepStrictEqual(pruned?.data.data, { before, count: 2, by: 'admin@example.com' });
    assert.equal(pruned?.data.ip, ADMIN.ip);
    const [event] = t.events;
    assert.equal(event?.type, 'audit_pruned');
  });

  it('takes a time instead of a retention, and records a run that deleted nothing too', async () => {
    await appendAged(10 * DAY_MS, 3 * DAY_MS);
    const before = t.clock.now() - 5 * DAY_MS;
    assert.deepStrictEqual(await t.mfa.admin.pruneAuditLog({ before, by: null }), { before, count: 1 });
    assert.deepStrictEqual(await t.mfa.admin.pruneAuditLog({ before, by: 'cli' }), { before, count: 0 });
    const runs = (await stored()).filter((e) => e.type === 'audit_pruned');
    assert.deepStrictEqual(
      runs.map((e) => e.data.data),
      [
        { before, count: 0, by: 'cli' },
        { before, count: 1, by: null },
      ],
    );
  });

  it('deletes in batches until nothing old is left', async () => {
    await appendAged(...Array.from({ length: 10 }, (_, i) => 2 * DAY_MS + i));
    const result = await t.mfa.admin.pruneAuditLog({ olderThanMs: DAY_MS, by: 'cli', batchSize: 3 });
    assert.equal(result.count, 10);
    assert.deepStrictEqual(batches, [3, 3, 3, 1]);
    assert.deepStrictEqual(
      (await stored()).map((e) => e.type),
      ['audit_pruned'],
    );
  });

  it('two runs at once delete every old event once between them, and each is recorded', async () => {
    await appendAged(...Array.from({ length: 25 }, (_, i) => 2 * DAY_MS + i), HOUR);
    const runs = await Promise.all([
      t.mfa.admin.pruneAuditLog({ olderThanMs: DAY_MS, by: 'a', batchSize: 4 }),
      t.mfa.admin.pruneAuditLog({ olderThanMs: DAY_MS, by: 'b', batchSize: 4 }),
    ]);
    assert.equal(runs[0].count + runs[1].count, 25);
    const left = await stored();
    assert.deepStrictEqual(left.map((e) => e.type).sort(), ['audit_pruned', 'audit_pruned', 'verified']);
  });

  describe('refuses, deleting nothing and recording nothing', () => {
    const refusals: [string, () => Record<string, unknown>, RegExp][] = [
      ['a retention of 0', () => ({ olderThanMs: 0 }), /at least 1 day/],
      ['a retention of an hour', () => ({ olderThanMs: HOUR }), /at least 1 day/],
      ['a retention a millisecond short of a day', () => ({ olderThanMs: DAY_MS - 1 }), /at least 1 day/],
      ['a negative retention', () => ({ olderThanMs: -DAY_MS }), /at least 1 day/],
      ['an infinite retention', () => ({ olderThanMs: Number.POSITIVE_INFINITY }), /milliseconds/],
      ['a retention that is not a number', () => ({ olderThanMs: '90d' }), /milliseconds/],
      ['a time in the future', () => ({ before: t.clock.now() + HOUR }), /in the future/],
      ['a time less than a day ago', () => ({ before: t.clock.now() - DAY_MS + 1 }), /at least 1 day ago/],
      ['a time that is no time', () => ({ before: Number.NaN }), /ms since the epoch/],
      ['both a retention and a time', () => ({ olderThanMs: 2 * DAY_MS, before: 0 }), /exactly one/],
      ['neither', () => ({}), /exactly one/],
      ['a batch of 0', () => ({ olderThanMs: 2 * DAY_MS, batchSize: 0 }), /batchSize/],
      ['a batch of 10001', () => ({ olderThanMs: 2 * DAY_MS, batchSize: 10_001 }), /batchSize/],
      ['a fractional batch', () => ({ olderThanMs: 2 * DAY_MS, batchSize: 1.5 }), /batchSize/],
      ['a `by` that is no name', () => ({ olderThanMs: 2 * DAY_MS, by: 42 }), /by must/],
    ];
    for (const [name, request, message] of refusals)
      it(name, async () => {
        await appendAged(400 * DAY_MS, 2 * DAY_MS, HOUR, 0);
        await assert.rejects(
          // biome-ignore lint/suspicious/noExplicitAny: requests as an untyped (JavaScript) caller sends them
          t.mfa.admin.pruneAuditLog({ by: 'cli', ...request() } as any),
          (err: unknown) => {
            assert.ok(err instanceof MfaError, String(err));
            assert.equal(err.status, 400);
            assert.equal(err.code, 'audit_prune_invalid');
            assert.match(err.message, message);
            return true;
          },
        );
        assert.equal((await stored()).length, 4);
        assert.deepStrictEqual(batches, [], 'the store was never asked');
        assert.deepStrictEqual(t.events, []);
      });
  });
});
