// The methods part of the store contract (src/store/ports/methods.ts): records round-trip
// exactly and come out as copies, an existing id is refused, a user sees and deletes only their
// own methods, lists are oldest first, a lookup key is unique per kind (fifty racing inserts: one
// stored), of fifty concurrent deletes exactly one wins, and a method inserted with its counter,
// or removed with what it releases, is one write.
// For sealing-key rotation: a walk over every user's methods page by page visits each once, and
// a data replacement is a compare-and-set (fifty racing from one read: exactly one wins).
import assert from 'node:assert/strict';
import type { MethodStore } from '../../../src/store/ports.ts';
import { methodFixture, tokenFixture } from './fixtures.ts';
import { CONTRACT_EPOCH, type ContractContext, concurrently, countTrue } from './harness.ts';

export function methodsContract(ctx: ContractContext): void {
  describe('methods', () => {
    let repo: MethodStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

    it('round-trips a TOTP method exactly, nulls included', async () => {
      const m = methodFixture();
      await repo.insertMethod(m);
      assert.deepStrictEqual(await repo.getMethod('u-1', 'm-1'), m);
      assert.deepStrictEqual(await repo.listMethods('u-1'), [m]);
    });

    it('round-trips a hardware-token HOTP method exactly', async () => {
      const m = methodFixture({
        id: 'm-hw',
        kind: 'hotp',
        data: {
          sealedSecret: 'k1.iv.ct.tag',
          algorithm: 'sha512',
          digits: 8,
          period: 0,
          tokenSerial: 'TK-0042',
        },
        counterKey: 'token:TK-0042',
        lastUsedAt: CONTRACT_EPOCH + 1234,
      });
      await repo.insertMethod(m);
      assert.deepStrictEqual(await repo.getMethod('u-1', 'm-hw'), m);
    });

    it('getMethod answers null for an unknown id and for the wrong user', async () => {
      await repo.insertMethod(methodFixture());
      assert.equal(await repo.getMethod('u-1', 'nope'), null);
      assert.equal(await repo.getMethod('u-2', 'm-1'), null);
    });

    it('listMethods lists only that user, oldest first', async () => {
      const b = methodFixture({ id: 'm-b', createdAt: CONTRACT_EPOCH + 20 });
      const a = methodFixture({ id: 'm-a', createdAt: CONTRACT_EPOCH + 10 });
      const c = methodFixture({ id: 'm-c', createdAt: CONTRACT_EPOCH + 30, kind: 'hotp', counterKey: null });
      const other = methodFixture({ id: 'm-x', userId: 'u-2' });
      for (const m of [b, other, c, a]) await repo.insertMethod(m);
      assert.deepStrictEqual(await repo.listMethods('u-1'), [a, b, c]);
      assert.deepStrictEqual(await repo.listMethods('u-2'), [other]);
      assert.deepStrictEqual(await repo.listMethods('u-3'), []);
    });

    it('a lookup key finds its one method, whoever the user, and only for its kind', async () => {
      const key = 'credential-Zm9vYmFy';
      const m = methodFixture({ id: 'm-key', kind: 'passkey', lookupKey: key, counterKey: null });
      await repo.insertMethod(m);
      await repo.insertMethod(methodFixture({ id: 'm-plain' }));
      assert.deepStrictEqual(await repo.findMethodByLookupKey('passkey', key), m);
      assert.equal(await repo.findMethodByLookupKey('totp', key), null);
      assert.equal(await repo.findMethodByLookupKey('passkey', 'other'), null);
      // The same key under another kind is another method's business.
      await repo.insertMethod(methodFixture({ id: 'm-other-kind', kind: 'other', lookupKey: key }));
      assert.equal((await repo.findMethodByLookupKey('passkey', key))?.id, 'm-key');
    });

    it('refuses a second method with the same lookup key and kind, even for another user', async () => {
      const key = 'credential-dup';
      await repo.insertMethod(methodFixture({ id: 'm-a', kind: 'passkey', lookupKey: key }));
      await assert.rejects(
        repo.insertMethod(methodFixture({ id: 'm-b', userId: 'u-2', kind: 'passkey', lookupKey: key })),
      );
      assert.equal(await repo.getMethod('u-2', 'm-b'), null);
    });

    it('50 concurrent inserts of one lookup key → exactly one stored', async () => {
      const results = await concurrently(50, (i) =>
        repo
          .insertMethod(
            methodFixture({ id: `m-race-${i}`, userId: `u-${i}`, kind: 'passkey', lookupKey: 'k' }),
          )
          .then(
            () => true,
            () => false,
          ),
      );
      assert.equal(countTrue(results), 1);
      assert.ok(await repo.findMethodByLookupKey('passkey', 'k'));
    });

    it('markMethodUsed moves the last use forward only, for the owner only', async () => {
      await repo.insertMethod(methodFixture({ counterKey: null }));
      await repo.markMethodUsed('u-2', 'm-1', CONTRACT_EPOCH + 50);
      assert.equal((await repo.getMethod('u-1', 'm-1'))?.lastUsedAt, null, 'another user cannot mark it');
      await repo.markMethodUsed('u-1', 'm-1', CONTRACT_EPOCH + 50);
      await repo.markMethodUsed('u-1', 'm-1', CONTRACT_EPOCH + 20);
      assert.equal((await repo.getMethod('u-1', 'm-1'))?.lastUsedAt, CONTRACT_EPOCH + 50);
      assert.equal((await repo.listMethods('u-1'))[0]?.lastUsedAt, CONTRACT_EPOCH + 50);
      await repo.markMethodUsed('u-1', 'nope', CONTRACT_EPOCH + 60);
    });

    it('inserted with its counter: both in one write, the counter moving forward only; a refused insert moves none', async () => {
      const repository = ctx.stores.repository;
      const m = methodFixture();
      await repository.insertMethod(m, 7);
      assert.deepStrictEqual(await repository.getMethod('u-1', 'm-1'), m);
      assert.equal(await repository.getCounter('totp:m-1'), 7);
      assert.equal(
        await repository.advance('totp:m-1', 7),
        false,
        'the step its registration proved is spent',
      );
      await assert.rejects(repository.insertMethod(methodFixture({ counterKey: 'totp:other' }), 9));
      assert.equal(await repository.getCounter('totp:other'), null, 'the refused insert moved no counter');
      await repository.advance('token:TK-1', 10);
      await repository.insertMethod(methodFixture({ id: 'm-2', counterKey: 'token:TK-1' }), 5);
      assert.equal(await repository.getCounter('token:TK-1'), 10, 'never backwards');
      await repository.insertMethod(methodFixture({ id: 'm-3', counterKey: null }), 3);
      assert.equal((await repository.getMethod('u-1', 'm-3'))?.counterKey, null);
    });

    it('refuses to insert a second method with an existing id', async () => {
      const m = methodFixture();
      await repo.insertMethod(m);
      await assert.rejects(repo.insertMethod(methodFixture({ userId: 'u-2', label: 'hijack' })));
      assert.deepStrictEqual(await repo.getMethod('u-1', 'm-1'), m);
      assert.equal(await repo.getMethod('u-2', 'm-1'), null);
    });

    it('deleteMethod refuses the wrong user and deletes for the owner, once', async () => {
      const m = methodFixture();
      await repo.insertMethod(m);
      assert.equal(await repo.deleteMethod('u-2', 'm-1'), false);
      assert.deepStrictEqual(await repo.getMethod('u-1', 'm-1'), m);
      assert.equal(await repo.deleteMethod('u-1', 'nope'), false);
      assert.equal(await repo.deleteMethod('u-1', 'm-1'), true);
      assert.equal(await repo.getMethod('u-1', 'm-1'), null);
      assert.equal(await repo.deleteMethod('u-1', 'm-1'), false);
    });

    it('removed with its release: the counter deleted and the token freed in the same write, only if the method went', async () => {
      const repository = ctx.stores.repository;
      await repository.importTokens([tokenFixture({ serial: 'TK-R' }), tokenFixture({ serial: 'TK-S' })]);
      assert.equal(
        await repository.assignToken('TK-R', 'u-1', methodFixture({ id: 'm-tk', counterKey: 'token:TK-R' })),
        true,
      );
      await repository.advance('token:TK-R', 5);
      assert.equal(await repository.assignToken('TK-S', 'u-2'), true);
      await repository.insertMethod(methodFixture({ id: 'm-app' }), 3);
      assert.equal(await repository.deleteMethod('u-2', 'm-app', { counterKey: 'totp:m-app' }), false);
      assert.equal(await repository.getCounter('totp:m-app'), 3, 'nothing released when nothing was removed');
      assert.equal(
        await repository.deleteMethod('u-1', 'm-app', { counterKey: 'totp:m-app', tokenSerial: 'TK-S' }),
        true,
      );
      assert.equal(await repository.getCounter('totp:m-app'), null);
      assert.equal(
        (await repository.getToken('TK-S'))?.assignedTo,
        'u-2',
        "another user's token stays theirs",
      );
      assert.equal(await repository.deleteMethod('u-1', 'm-tk', { tokenSerial: 'TK-R' }), true);
      assert.equal((await repository.getToken('TK-R'))?.assignedTo, null);
      assert.equal(await repository.getCounter('token:TK-R'), 5, 'the token keeps its counter');
    });

    it('deleteMethod: 50 concurrent deletes → exactly one true', async () => {
      await repo.insertMethod(methodFixture());
      assert.equal(countTrue(await concurrently(50, () => repo.deleteMethod('u-1', 'm-1'))), 1);
    });

    it('deleteAllMethods deletes only that user and returns the count', async () => {
      await repo.insertMethod(methodFixture({ id: 'm-1' }));
      await repo.insertMethod(methodFixture({ id: 'm-2', createdAt: CONTRACT_EPOCH + 1 }));
      const other = methodFixture({ id: 'm-3', userId: 'u-2' });
      await repo.insertMethod(other);
      assert.equal(await repo.deleteAllMethods('u-1'), 2);
      assert.deepStrictEqual(await repo.listMethods('u-1'), []);
      assert.deepStrictEqual(await repo.listMethods('u-2'), [other]);
      assert.equal(await repo.deleteAllMethods('u-1'), 0);
    });

    it('hands out copies: mutating a returned or inserted record changes nothing stored', async () => {
      const m = methodFixture();
      await repo.insertMethod(m);
      m.label = 'mutated after insert';
      const got = await repo.getMethod('u-1', 'm-1');
      assert.ok(got);
      assert.equal(got.label, 'Téléphone 📱');
      got.userId = 'u-2';
      const listed = await repo.listMethods('u-1');
      assert.equal(listed.length, 1);
      (listed[0] as { data: Record<string, unknown> }).data.sealedSecret = 'mutated';
      assert.deepStrictEqual(await repo.getMethod('u-1', 'm-1'), methodFixture());
    });

    it("listMethodsPage walks every user's methods page by page, each once, in one order", async () => {
      const ids = ['m-c', 'm-a', 'm-e', 'm-b', 'm-d'];
      for (const [i, id] of ids.entries())
        await repo.insertMethod(methodFixture({ id, userId: `u-${i % 3}`, createdAt: CONTRACT_EPOCH + i }));
      const all = await repo.listMethodsPage(null, 100);
      assert.deepStrictEqual(all.map((m) => m.id).sort(), [...ids].sort());
      const walked = [];
      for (let after: string | null = null; ; ) {
        const page = await repo.listMethodsPage(after, 2);
        assert.ok(page.length <= 2);
        if (page.length === 0) break;
        walked.push(...page);
        after = page[page.length - 1]?.id ?? null;
      }
      assert.deepStrictEqual(walked, all, 'pages of two follow the order of one page of all');
      assert.deepStrictEqual(
        all.find((m) => m.id === 'm-a'),
        methodFixture({ id: 'm-a', userId: 'u-1', createdAt: CONTRACT_EPOCH + 1 }),
      );
      assert.deepStrictEqual(await repo.listMethodsPage(all[all.length - 1]?.id ?? null, 2), []);
    });

    it('replaceMethodData replaces the data only while it is still the one read, for the owner only', async () => {
      const m = methodFixture({ lastUsedAt: CONTRACT_EPOCH + 5, counterKey: null });
      await repo.insertMethod(m);
      const read = await repo.getMethod('u-1', 'm-1');
      assert.ok(read);
      const next = { ...read.data, sealedSecret: 'k2.iv.resealed.tag' };
      assert.equal(await repo.replaceMethodData('u-2', 'm-1', read.data, next), false, 'not the owner');
      assert.equal(await repo.replaceMethodData('u-1', 'nope', read.data, next), false);
      assert.equal(await repo.replaceMethodData('u-1', 'm-1', read.data, next), true);
      assert.deepStrictEqual(await repo.getMethod('u-1', 'm-1'), { ...m, data: next });
      // The data read before is stale now: a second writer from that read changes nothing.
      const other = { ...read.data, sealedSecret: 'k3.iv.other.tag' };
      assert.equal(await repo.replaceMethodData('u-1', 'm-1', read.data, other), false);
      assert.deepStrictEqual((await repo.getMethod('u-1', 'm-1'))?.data, next);
    });

    it('replaceMethodData: 50 concurrent replacements from one read → exactly one, whose data stays', async () => {
      await repo.insertMethod(methodFixture());
      const read = await repo.getMethod('u-1', 'm-1');
      assert.ok(read);
      const results = await concurrently(50, (i) =>
        repo.replaceMethodData('u-1', 'm-1', read.data, { ...read.data, sealedSecret: `k2.iv.${i}.tag` }),
      );
      assert.equal(countTrue(results), 1);
      const stored = await repo.getMethod('u-1', 'm-1');
      assert.equal(stored?.data.sealedSecret, `k2.iv.${results.indexOf(true)}.tag`);
    });
  });
}
