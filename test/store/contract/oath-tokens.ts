// The OATH token inventory part of the store contract (src/store/ports/oath-tokens.ts): an
// import is all or nothing, a free token goes to exactly one of fifty users racing for it (with
// the method it becomes, in the same write), only its holder can free it, and a sealed secret is
// replaced only while it is still the one read (fifty racing: exactly one).
import assert from 'node:assert/strict';
import type { OathTokenRecord, OathTokenStore } from '../../../src/store/ports.ts';
import { methodFixture, tokenFixture } from './fixtures.ts';
import { CONTRACT_EPOCH, type ContractContext, concurrently, countTrue } from './harness.ts';

export function oathTokensContract(ctx: ContractContext): void {
  describe('OATH tokens', () => {
    let repo: OathTokenStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

    const t1 = tokenFixture({ serial: 'TK-0001' });
    const t2 = tokenFixture({
      serial: 'TK-0002',
      kind: 'totp',
      algorithm: 'sha256',
      digits: 8,
      period: 60,
      sealedSecret: 'k1.iv.other.tag',
      importedAt: CONTRACT_EPOCH + 1,
    });
    const t3 = tokenFixture({ serial: 'TK-0003' });

    it('imports and round-trips tokens exactly; lists them by serial', async () => {
      await repo.importTokens([t3, t1]);
      await repo.importTokens([t2]);
      assert.deepStrictEqual(await repo.getToken('TK-0002'), t2);
      assert.deepStrictEqual(await repo.getToken('TK-0001'), t1);
      assert.equal(await repo.getToken('TK-9999'), null);
      assert.deepStrictEqual(await repo.listTokens(), [t1, t2, t3]);
    });

    it('imports an empty batch as a no-op', async () => {
      await repo.importTokens([]);
      assert.deepStrictEqual(await repo.listTokens(), []);
    });

    it('import is all or nothing when a serial already exists', async () => {
      await repo.importTokens([t2]);
      await assert.rejects(repo.importTokens([t1, tokenFixture({ serial: 'TK-0002', kind: 'hotp' }), t3]));
      assert.deepStrictEqual(await repo.listTokens(), [t2]);
    });

    it('import is all or nothing when a serial repeats within the batch', async () => {
      await assert.rejects(repo.importTokens([t1, t2, tokenFixture({ serial: 'TK-0001' })]));
      assert.deepStrictEqual(await repo.listTokens(), []);
    });

    it('assignToken assigns a free token once; absent tokens are refused', async () => {
      await repo.importTokens([t1]);
      assert.equal(await repo.assignToken('TK-0001', 'u-1'), true);
      assert.deepStrictEqual(await repo.getToken('TK-0001'), { ...t1, assignedTo: 'u-1' });
      assert.equal(await repo.assignToken('TK-0001', 'u-2'), false);
      assert.equal(await repo.assignToken('TK-0001', 'u-1'), false);
      assert.equal((await repo.getToken('TK-0001'))?.assignedTo, 'u-1');
      assert.equal(await repo.assignToken('TK-9999', 'u-1'), false);
      assert.equal(await repo.getToken('TK-9999'), null);
    });

    it('50 concurrent assignToken() for different users → exactly one winner, who holds it', async () => {
      await repo.importTokens([t1]);
      const results = await concurrently(50, (i) => repo.assignToken('TK-0001', `u-${i}`));
      assert.equal(countTrue(results), 1);
      const winner = results.indexOf(true);
      assert.equal((await repo.getToken('TK-0001'))?.assignedTo, `u-${winner}`);
    });

    it('assigned with its method: the token held and the method stored, or neither (taken, or the method refused)', async () => {
      const repository = ctx.stores.repository;
      await repository.importTokens([t1, t2]);
      const m = methodFixture({ id: 'm-tk', counterKey: 'token:TK-0001' });
      assert.equal(await repository.assignToken('TK-0001', 'u-1', m), true);
      assert.equal((await repository.getToken('TK-0001'))?.assignedTo, 'u-1');
      assert.deepStrictEqual(await repository.getMethod('u-1', 'm-tk'), m);
      const other = methodFixture({ id: 'm-other', userId: 'u-2' });
      assert.equal(await repository.assignToken('TK-0001', 'u-2', other), false);
      assert.equal(await repository.getMethod('u-2', 'm-other'), null, 'no method for a token taken');
      await assert.rejects(repository.assignToken('TK-0002', 'u-1', methodFixture({ id: 'm-tk' })));
      assert.equal(
        (await repository.getToken('TK-0002'))?.assignedTo,
        null,
        'a refused method leaves the token free',
      );
    });

    it('50 concurrent assignToken() with methods → one holder, one method', async () => {
      const repository = ctx.stores.repository;
      await repository.importTokens([t1]);
      const method = (i: number) =>
        methodFixture({ id: `m-${i}`, userId: `u-${i}`, counterKey: 'token:TK-0001' });
      const results = await concurrently(50, (i) => repository.assignToken('TK-0001', `u-${i}`, method(i)));
      assert.equal(countTrue(results), 1);
      const winner = results.indexOf(true);
      assert.equal((await repository.getToken('TK-0001'))?.assignedTo, `u-${winner}`);
      const methods = await Promise.all(results.map((_, i) => repository.listMethods(`u-${i}`)));
      assert.deepStrictEqual(
        methods.map((list) => list.length),
        results.map((won) => (won ? 1 : 0)),
      );
    });

    it('unassignTokens frees only that user and counts; freed tokens can be reassigned', async () => {
      await repo.importTokens([t1, t2, t3]);
      await repo.assignToken('TK-0001', 'u-1');
      await repo.assignToken('TK-0002', 'u-1');
      await repo.assignToken('TK-0003', 'u-2');
      assert.equal(await repo.unassignTokens('u-1'), 2);
      assert.deepStrictEqual(await repo.listTokens(), [t1, t2, { ...t3, assignedTo: 'u-2' }]);
      assert.equal(await repo.unassignTokens('u-1'), 0);
      assert.equal(await repo.assignToken('TK-0001', 'u-3'), true);
    });

    it('unassignToken frees one token, only for its holder', async () => {
      await repo.importTokens([t1, t2]);
      await repo.assignToken('TK-0001', 'u-1');
      await repo.assignToken('TK-0002', 'u-1');
      assert.equal(await repo.unassignToken('TK-0001', 'u-2'), false, 'another user cannot free it');
      assert.equal(await repo.unassignToken('TK-0001', 'u-1'), true);
      assert.equal(await repo.unassignToken('TK-0001', 'u-1'), false);
      assert.equal(await repo.unassignToken('TK-9999', 'u-1'), false);
      assert.deepStrictEqual(await repo.listTokens(), [t1, { ...t2, assignedTo: 'u-1' }]);
    });

    it('hands out copies', async () => {
      await repo.importTokens([t1]);
      const got = await repo.getToken('TK-0001');
      assert.ok(got);
      got.assignedTo = 'u-1';
      const listed = await repo.listTokens();
      (listed[0] as OathTokenRecord).sealedSecret = 'mutated';
      assert.deepStrictEqual(await repo.getToken('TK-0001'), t1);
    });

    it('replaceTokenSecret replaces the sealed secret only while it is still the one read', async () => {
      await repo.importTokens([t1, t2]);
      await repo.assignToken('TK-0001', 'u-1');
      assert.equal(await repo.replaceTokenSecret('TK-0001', 'k0.stale', 'k2.iv.new.tag'), false);
      assert.equal(await repo.replaceTokenSecret('TK-9999', t1.sealedSecret, 'k2.iv.new.tag'), false);
      assert.equal(await repo.replaceTokenSecret('TK-0001', t1.sealedSecret, 'k2.iv.new.tag'), true);
      assert.deepStrictEqual(await repo.listTokens(), [
        { ...t1, sealedSecret: 'k2.iv.new.tag', assignedTo: 'u-1' },
        t2,
      ]);
      assert.equal(await repo.replaceTokenSecret('TK-0001', t1.sealedSecret, 'k3.iv.other.tag'), false);
    });

    it('replaceTokenSecret: 50 concurrent replacements from one read → exactly one', async () => {
      await repo.importTokens([t1]);
      const results = await concurrently(50, (i) =>
        repo.replaceTokenSecret('TK-0001', t1.sealedSecret, `k2.iv.${i}.tag`),
      );
      assert.equal(countTrue(results), 1);
      assert.equal((await repo.getToken('TK-0001'))?.sealedSecret, `k2.iv.${results.indexOf(true)}.tag`);
    });
  });
}
