// The audit part of the store contract (src/store/ports/audit.ts): events with nested data
// round-trip exactly, lists are newest first by append order, the user filter applies before
// the limit, and records come out as copies.
import assert from 'node:assert/strict';
import type { AuditStore } from '../../../src/store/ports.ts';
import { auditFixture } from './fixtures.ts';
import { CONTRACT_EPOCH, type ContractContext } from './harness.ts';

export function auditContract(ctx: ContractContext): void {
  describe('audit', () => {
    let repo: AuditStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

    it('round-trips an event exactly, nested data and null user included', async () => {
      const e = auditFixture({
        id: 'a-rich',
        userId: null,
        type: 'mfa.token.import',
        data: {
          ip: '203.0.113.7',
          ok: false,
          attempts: 3,
          ratio: 0.25,
          none: null,
          text: 'ünïcödé ✓ "quoted" \\ \n',
          nested: { list: [1, 'two', null, { deep: true }], empty: {} },
        },
      });
      await repo.appendAudit(e);
      assert.deepStrictEqual(await repo.listAudit({ limit: 10 }), [e]);
    });

    it('lists newest first, up to the limit', async () => {
      const events = Array.from({ length: 5 }, (_, i) =>
        auditFixture({ id: `a-${i}`, at: CONTRACT_EPOCH + i * 1000, data: { i } }),
      );
      for (const e of events) await repo.appendAudit(e);
      assert.deepStrictEqual(await repo.listAudit({ limit: 10 }), [...events].reverse());
      assert.deepStrictEqual(await repo.listAudit({ limit: 2 }), [events[4], events[3]]);
      assert.deepStrictEqual(await repo.listAudit({ limit: 1 }), [events[4]]);
    });

    it('events appended in the same millisecond come back in reverse append order', async () => {
      const events = Array.from({ length: 4 }, (_, i) => auditFixture({ id: `same-${i}` }));
      for (const e of events) await repo.appendAudit(e);
      assert.deepStrictEqual(
        (await repo.listAudit({ limit: 10 })).map((e) => e.id),
        ['same-3', 'same-2', 'same-1', 'same-0'],
      );
    });

    it('filters by user before applying the limit', async () => {
      const a0 = auditFixture({ id: 'a0', userId: 'u-1', at: CONTRACT_EPOCH + 0 });
      const b0 = auditFixture({ id: 'b0', userId: 'u-2', at: CONTRACT_EPOCH + 1 });
      const a1 = auditFixture({ id: 'a1', userId: 'u-1', at: CONTRACT_EPOCH + 2 });
      const n0 = auditFixture({ id: 'n0', userId: null, at: CONTRACT_EPOCH + 3 });
      const b1 = auditFixture({ id: 'b1', userId: 'u-2', at: CONTRACT_EPOCH + 4 });
      const b2 = auditFixture({ id: 'b2', userId: 'u-2', at: CONTRACT_EPOCH + 5 });
      for (const e of [a0, b0, a1, n0, b1, b2]) await repo.appendAudit(e);
      assert.deepStrictEqual(await repo.listAudit({ userId: 'u-1', limit: 10 }), [a1, a0]);
      assert.deepStrictEqual(await repo.listAudit({ userId: 'u-1', limit: 1 }), [a1]);
      assert.deepStrictEqual(await repo.listAudit({ userId: 'u-2', limit: 2 }), [b2, b1]);
      assert.deepStrictEqual(await repo.listAudit({ userId: 'u-3', limit: 10 }), []);
      assert.deepStrictEqual(await repo.listAudit({ limit: 3 }), [b2, b1, n0]);
    });

    it('hands out copies', async () => {
      const e = auditFixture({ data: { nested: { n: 1 } } });
      await repo.appendAudit(e);
      const [got] = await repo.listAudit({ limit: 1 });
      assert.ok(got);
      got.data.nested = 'mutated';
      got.type = 'mutated';
      assert.deepStrictEqual(await repo.listAudit({ limit: 1 }), [
        auditFixture({ data: { nested: { n: 1 } } }),
      ]);
    });
  });
}
