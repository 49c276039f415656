// The retention part of the audit contract (`pruneAudit`, src/store/ports/audit.ts): only events
// strictly before the bound go, oldest `at` first and at most `limit` of them, the count is
// exact, what is left lists as before (newest first by append order), and prunes running at
// once delete every old event exactly once between them.
import assert from 'node:assert/strict';
import type { AuditEventRecord, AuditStore } from '../../../src/store/ports.ts';
import { auditFixture } from './fixtures.ts';
import { CONTRACT_EPOCH, type ContractContext, concurrently } from './harness.ts';

const BEFORE = CONTRACT_EPOCH + 10_000;

/** Appends events with these `at` offsets from CONTRACT_EPOCH, in this order, ids `e<i>`. */
async function appendAt(repo: AuditStore, offsets: number[]): Promise<AuditEventRecord[]> {
  const events = offsets.map((offset, i) =>
    auditFixture({ id: `e${i}`, at: CONTRACT_EPOCH + offset, data: { i } }),
  );
  for (const e of events) await repo.appendAudit(e);
  return events;
}

const ids = (events: AuditEventRecord[]) => events.map((e) => e.id);

export function auditRetentionContract(ctx: ContractContext): void {
  describe('audit retention', () => {
    let repo: AuditStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

    it('deletes the events before the bound and keeps one exactly at it and those after', async () => {
      const events = await appendAt(repo, [0, 9_999, 10_000, 10_001, 50_000]);
      assert.equal(await repo.pruneAudit(BEFORE, 100), 2);
      assert.deepStrictEqual(await repo.listAudit({ limit: 10 }), [events[4], events[3], events[2]]);
      assert.equal(await repo.pruneAudit(BEFORE, 100), 0, 'nothing old is left');
      assert.equal(await repo.pruneAudit(CONTRACT_EPOCH, 100), 0, 'nothing before the epoch');
      assert.equal((await repo.listAudit({ limit: 10 })).length, 3);
    });

    it('deletes at most `limit`, oldest `at` first whatever the append order, same-ms events in append order', async () => {
      // Appended out of time order (an outage is recorded late, with the time it happened).
      await appendAt(repo, [5_000, 1_000, 3_000, 1_000, 20_000, 2_000]);
      assert.equal(await repo.pruneAudit(BEFORE, 2), 2);
      assert.deepStrictEqual(ids(await repo.listAudit({ limit: 10 })), ['e5', 'e4', 'e2', 'e0']);
      assert.equal(await repo.pruneAudit(BEFORE, 1), 1);
      assert.deepStrictEqual(ids(await repo.listAudit({ limit: 10 })), ['e4', 'e2', 'e0']);
      assert.equal(await repo.pruneAudit(BEFORE, 5), 2, 'fewer left than the limit: all of them');
      assert.deepStrictEqual(ids(await repo.listAudit({ limit: 10 })), ['e4']);
    });

    it('between two same-millisecond events, deletes the one appended first', async () => {
      await appendAt(repo, [1_000, 1_000, 1_000]);
      assert.equal(await repo.pruneAudit(BEFORE, 1), 1);
      assert.deepStrictEqual(ids(await repo.listAudit({ limit: 10 })), ['e2', 'e1']);
    });

    it('a limit of zero or less deletes nothing (never "no limit")', async () => {
      await appendAt(repo, [0, 1, 2]);
      assert.equal(await repo.pruneAudit(BEFORE, 0), 0);
      assert.equal(await repo.pruneAudit(BEFORE, -1), 0);
      assert.equal(await repo.pruneAudit(BEFORE, 0.5), 0);
      assert.equal((await repo.listAudit({ limit: 10 })).length, 3);
    });

    it('leaves what remains listed newest first by append order, the user filter included', async () => {
      const old = auditFixture({ id: 'old', userId: 'u-1', at: CONTRACT_EPOCH });
      const a = auditFixture({ id: 'a', userId: 'u-1', at: BEFORE + 2 });
      const b = auditFixture({ id: 'b', userId: 'u-2', at: BEFORE + 1 });
      const c = auditFixture({ id: 'c', userId: 'u-1', at: BEFORE + 1 });
      for (const e of [old, a, b, c]) await repo.appendAudit(e);
      assert.equal(await repo.pruneAudit(BEFORE, 10), 1);
      assert.deepStrictEqual(await repo.listAudit({ limit: 10 }), [c, b, a]);
      assert.deepStrictEqual(await repo.listAudit({ userId: 'u-1', limit: 10 }), [c, a]);
      // Appending goes on after a prune, still in append order.
      const d = auditFixture({ id: 'd', userId: null, at: BEFORE + 3 });
      await repo.appendAudit(d);
      assert.deepStrictEqual(await repo.listAudit({ limit: 2 }), [d, c]);
    });

    it('prunes running at once delete every old event exactly once between them', async () => {
      const old = Array.from({ length: 40 }, (_, i) => i * 100);
      const recent = [10_000, 10_001, 30_000];
      await appendAt(repo, [...old, ...recent]);
      const counts = await concurrently(10, () => repo.pruneAudit(BEFORE, 1_000));
      assert.equal(
        counts.reduce((sum, n) => sum + n, 0),
        old.length,
      );
      assert.deepStrictEqual(ids(await repo.listAudit({ limit: 100 })), ['e42', 'e41', 'e40']);
    });

    it('batched prunes running at once (each until it deletes nothing) count each event once', async () => {
      const old = Array.from({ length: 60 }, (_, i) => i * 10);
      await appendAt(repo, [...old, 20_000]);
      const loop = async () => {
        let total = 0;
        for (;;) {
          const n = await repo.pruneAudit(BEFORE, 7);
          if (n === 0) return total;
          total += n;
        }
      };
      const totals = await concurrently(5, loop);
      assert.equal(
        totals.reduce((sum, n) => sum + n, 0),
        old.length,
      );
      assert.deepStrictEqual(ids(await repo.listAudit({ limit: 100 })), ['e60']);
    });
  });
}
