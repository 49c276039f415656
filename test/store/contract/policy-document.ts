// The policy-document part of the store contract (src/store/ports/policy-document.ts):
// compare-and-set on the version; a stale or wrong version writes nothing, and of twenty
// concurrent saves naming one version exactly one wins and is the one stored.
import assert from 'node:assert/strict';
import type { PolicyDocumentStore } from '../../../src/store/ports.ts';
import { CONTRACT_EPOCH, type ContractContext, concurrently } from './harness.ts';

export function policyDocumentContract(ctx: ContractContext): void {
  describe('policy document (compare-and-set)', () => {
    let repo: PolicyDocumentStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

    const policyDoc = (overrides: Record<string, unknown> = {}) => ({
      namedLocations: [{ id: 'office', cidrs: ['203.0.113.0/24', '2001:db8::/32'] }],
      authenticationStrengths: [],
      policies: [
        {
          id: 'p-1',
          name: 'Règle « bureau » ✓',
          state: 'enabled',
          conditions: { users: { include: ['*'], exclude: [] }, locations: null, risk: ['high'] },
          grant: { operator: 'OR', controls: ['mfa'], sessionMinutes: 480, ratio: 0.5, block: false },
        },
      ],
      ...overrides,
    });

    it('getPolicyDocument is null until a document is saved', async () => {
      assert.equal(await repo.getPolicyDocument(), null);
    });

    it('the first save (expected 0) is version 1 and round-trips exactly, with who and when', async () => {
      const doc = policyDoc();
      const saved = await repo.putPolicyDocument(doc, 0, CONTRACT_EPOCH + 5, 'admin@example.com');
      const expected = {
        version: 1,
        document: policyDoc(),
        updatedAt: CONTRACT_EPOCH + 5,
        updatedBy: 'admin@example.com',
      };
      assert.deepStrictEqual(saved, expected);
      assert.deepStrictEqual(await repo.getPolicyDocument(), expected);
    });

    it('each save with the current version moves it up by one; a null author round-trips', async () => {
      assert.equal((await repo.putPolicyDocument(policyDoc({ rev: 1 }), 0, 1000, 'a'))?.version, 1);
      assert.equal((await repo.putPolicyDocument(policyDoc({ rev: 2 }), 1, 2000, 'b'))?.version, 2);
      const third = await repo.putPolicyDocument(policyDoc({ rev: 3 }), 2, 3000, null);
      const expected = { version: 3, document: policyDoc({ rev: 3 }), updatedAt: 3000, updatedBy: null };
      assert.deepStrictEqual(third, expected);
      assert.deepStrictEqual(await repo.getPolicyDocument(), expected);
    });

    it('a stale or wrong expectedVersion answers null and writes nothing', async () => {
      assert.equal(await repo.putPolicyDocument(policyDoc({ rev: 'x' }), 1, 500, 'x'), null);
      assert.equal(await repo.getPolicyDocument(), null, 'nothing saved yet: only expected 0 may write');
      await repo.putPolicyDocument(policyDoc({ rev: 1 }), 0, 1000, 'a');
      await repo.putPolicyDocument(policyDoc({ rev: 2 }), 1, 2000, 'b');
      const current = { version: 2, document: policyDoc({ rev: 2 }), updatedAt: 2000, updatedBy: 'b' };
      for (const stale of [0, 1, 3, 7, -1, 1.5]) {
        assert.equal(
          await repo.putPolicyDocument(policyDoc({ rev: 'stale' }), stale, 9000, 'z'),
          null,
          `expected ${stale}`,
        );
      }
      assert.deepStrictEqual(await repo.getPolicyDocument(), current);
    });

    it('20 concurrent first saves (expected 0) → exactly one wins, and its document is stored', async () => {
      const results = await concurrently(20, (i) =>
        repo.putPolicyDocument(policyDoc({ writer: i }), 0, CONTRACT_EPOCH + i, `w-${i}`),
      );
      const winners = results.flatMap((r, i) => (r ? [i] : []));
      assert.equal(winners.length, 1);
      const w = winners[0] as number;
      assert.equal(results[w]?.version, 1);
      assert.deepStrictEqual(await repo.getPolicyDocument(), {
        version: 1,
        document: policyDoc({ writer: w }),
        updatedAt: CONTRACT_EPOCH + w,
        updatedBy: `w-${w}`,
      });
    });

    it('20 concurrent saves with the current version → exactly one wins, and its document is stored', async () => {
      await repo.putPolicyDocument(policyDoc({ rev: 1 }), 0, 1000, 'a');
      await repo.putPolicyDocument(policyDoc({ rev: 2 }), 1, 2000, 'a');
      const results = await concurrently(20, (i) =>
        repo.putPolicyDocument(policyDoc({ writer: i }), 2, CONTRACT_EPOCH + i, `w-${i}`),
      );
      const winners = results.flatMap((r, i) => (r ? [i] : []));
      assert.equal(winners.length, 1);
      const w = winners[0] as number;
      assert.equal(results[w]?.version, 3);
      assert.deepStrictEqual(await repo.getPolicyDocument(), {
        version: 3,
        document: policyDoc({ writer: w }),
        updatedAt: CONTRACT_EPOCH + w,
        updatedBy: `w-${w}`,
      });
    });

    it('hands out copies: mutating the saved, returned or read document changes nothing stored', async () => {
      const doc = policyDoc();
      const saved = await repo.putPolicyDocument(doc, 0, 1000, 'a');
      assert.ok(saved);
      doc.policies.length = 0;
      doc.namedLocations[0]?.cidrs.push('0.0.0.0/0');
      (saved.document as { policies: unknown[] }).policies.push('mutated');
      saved.version = 99;
      const got = await repo.getPolicyDocument();
      assert.ok(got);
      const gotDoc = got.document as ReturnType<typeof policyDoc>;
      (gotDoc.policies[0] as { state: string }).state = 'disabled';
      gotDoc.namedLocations = [];
      got.updatedBy = 'mutated';
      const expected = { version: 1, document: policyDoc(), updatedAt: 1000, updatedBy: 'a' };
      assert.deepStrictEqual(await repo.getPolicyDocument(), expected);
      assert.ok(await repo.putPolicyDocument(policyDoc({ rev: 2 }), 1, 2000, 'a'), 'the version is still 1');
    });
  });
}
