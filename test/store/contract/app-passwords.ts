// The app password part of the store contract (src/store/ports/app-passwords.ts): records come
// back exactly and as copies, lists are per user and oldest first, a user never holds more than
// the maximum even when fifty additions race, an existing id is refused, the last use only moves
// forward, and deleting one or all never touches another user's.
import assert from 'node:assert/strict';
import type { AppPasswordStore } from '../../../src/store/ports.ts';
import { appPasswordFixture } from './fixtures.ts';
import { CONTRACT_EPOCH, type ContractContext } from './harness.ts';

export function appPasswordsContract(ctx: ContractContext): void {
  describe('app passwords', () => {
    let repo: AppPasswordStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

    const ids = async (userId: string) => (await repo.listAppPasswords(userId)).map((p) => p.id);

    it('round-trips a record exactly: nulls, several apps with awkward names, an expiry', async () => {
      assert.deepStrictEqual(await repo.listAppPasswords('u-1'), []);
      const plain = appPasswordFixture();
      const full = appPasswordFixture({
        id: 'ap-2',
        name: 'VPN, "bureau" {old} \\ NULL',
        // Names that break naive list encodings: separators, quotes, braces, backslashes, NULL.
        apps: ['mail', 'vpn,legacy', '"quoted"', '{braces}', 'back\\slash', 'NULL', 'calendrier 📅', ''],
        createdAt: CONTRACT_EPOCH + 1,
        expiresAt: CONTRACT_EPOCH + 90 * 86_400_000,
        lastUsedAt: CONTRACT_EPOCH + 2,
      });
      assert.equal(await repo.addAppPassword(plain, 10), true);
      assert.equal(await repo.addAppPassword(full, 10), true);
      assert.deepStrictEqual(await repo.listAppPasswords('u-1'), [plain, full]);
    });

    it('lists one user only, oldest first, the same createdAt ordered by id (code-point order)', async () => {
      const at = (id: string, createdAt: number, userId = 'u-1') =>
        appPasswordFixture({ id, userId, createdAt: CONTRACT_EPOCH + createdAt });
      for (const record of [
        at('ap-c', 5),
        at('ap-b', 0),
        at('ap-other', 1, 'u-2'),
        at('ap-a', 0),
        at('ap-B', 0),
        at('ap-d', 1),
      ])
        assert.equal(await repo.addAppPassword(record, 10), true);
      // 'B' (U+0042) sorts before 'a' (U+0061) by code point, whatever a database's locale says.
      assert.deepStrictEqual(await ids('u-1'), ['ap-B', 'ap-a', 'ap-b', 'ap-d', 'ap-c']);
      assert.deepStrictEqual(await ids('u-2'), ['ap-other']);
      assert.deepStrictEqual(await ids('nobody'), []);
    });

    it('keeps the maximum when 50 additions for one user race; another user is unaffected', async () => {
      const max = 5;
      await repo.addAppPassword(appPasswordFixture({ id: 'other-0', userId: 'u-2' }), max);
      const racing = Array.from({ length: 50 }, (_, i) =>
        repo.addAppPassword(appPasswordFixture({ id: `ap-${String(i).padStart(2, '0')}` }), max),
      );
      const others = Array.from({ length: 3 }, (_, i) =>
        repo.addAppPassword(appPasswordFixture({ id: `other-${i + 1}`, userId: 'u-2' }), max),
      );
      const results = await Promise.all(racing);
      assert.deepStrictEqual(await Promise.all(others), [true, true, true], "the other user's additions");
      assert.equal(results.filter((added) => added).length, max, 'exactly max additions win');
      const won = results.flatMap((added, i) => (added ? [`ap-${String(i).padStart(2, '0')}`] : []));
      assert.deepStrictEqual(await ids('u-1'), won, 'the winners, and only they, are stored');
      assert.deepStrictEqual(await ids('u-2'), ['other-0', 'other-1', 'other-2', 'other-3']);
    });

    it('refuses an addition at the maximum; a deletion makes room again', async () => {
      for (let i = 0; i < 3; i++) await repo.addAppPassword(appPasswordFixture({ id: `ap-${i}` }), 3);
      assert.equal(await repo.addAppPassword(appPasswordFixture({ id: 'ap-3' }), 3), false);
      assert.equal(await repo.addAppPassword(appPasswordFixture({ id: 'ap-4' }), 2), false, 'a lower max');
      assert.deepStrictEqual(await ids('u-1'), ['ap-0', 'ap-1', 'ap-2']);
      assert.equal(await repo.deleteAppPassword('u-1', 'ap-1'), true);
      assert.equal(await repo.addAppPassword(appPasswordFixture({ id: 'ap-3' }), 3), true);
      assert.deepStrictEqual(await ids('u-1'), ['ap-0', 'ap-2', 'ap-3']);
    });

    it('refuses an existing id, for the same or another user, and keeps the stored one', async () => {
      const original = appPasswordFixture();
      await repo.addAppPassword(original, 10);
      await assert.rejects(repo.addAppPassword(appPasswordFixture({ hash: 'k1:b3RoZXI' }), 10));
      await assert.rejects(repo.addAppPassword(appPasswordFixture({ userId: 'u-2', name: 'hijack' }), 10));
      assert.deepStrictEqual(await repo.listAppPasswords('u-1'), [original]);
      assert.deepStrictEqual(await repo.listAppPasswords('u-2'), []);
      assert.equal(
        await repo.addAppPassword(appPasswordFixture({ id: 'ap-2' }), 10),
        true,
        'the store still works',
      );
    });

    it("touch only moves the last use forward, and only for the owner's own id", async () => {
      await repo.addAppPassword(appPasswordFixture(), 10);
      const lastUsed = async () => (await repo.listAppPasswords('u-1'))[0]?.lastUsedAt;
      await repo.touchAppPassword('u-1', 'ap-1', CONTRACT_EPOCH + 10);
      assert.equal(await lastUsed(), CONTRACT_EPOCH + 10);
      await repo.touchAppPassword('u-1', 'ap-1', CONTRACT_EPOCH + 5);
      assert.equal(await lastUsed(), CONTRACT_EPOCH + 10, 'never backwards');
      await repo.touchAppPassword('u-2', 'ap-1', CONTRACT_EPOCH + 50);
      await repo.touchAppPassword('nobody', 'ap-1', CONTRACT_EPOCH + 50);
      await repo.touchAppPassword('u-1', 'ap-unknown', CONTRACT_EPOCH + 50);
      assert.equal(await lastUsed(), CONTRACT_EPOCH + 10, "another user's touch changes nothing");
      assert.deepStrictEqual(await repo.listAppPasswords('u-2'), [], 'and creates nothing');
      await repo.touchAppPassword('u-1', 'ap-1', CONTRACT_EPOCH + 20);
      assert.equal(await lastUsed(), CONTRACT_EPOCH + 20);
    });

    it('50 concurrent touches in any order leave the latest time', async () => {
      await repo.addAppPassword(appPasswordFixture(), 10);
      const times = Array.from({ length: 50 }, (_, i) => CONTRACT_EPOCH + ((i * 17) % 50));
      await Promise.all(times.map((at) => repo.touchAppPassword('u-1', 'ap-1', at)));
      assert.equal((await repo.listAppPasswords('u-1'))[0]?.lastUsedAt, CONTRACT_EPOCH + 49);
    });

    it("deletes one for its owner only, once; another user's same id is untouched", async () => {
      await repo.addAppPassword(appPasswordFixture(), 10);
      await repo.addAppPassword(appPasswordFixture({ id: 'ap-2' }), 10);
      assert.equal(await repo.deleteAppPassword('u-2', 'ap-1'), false, "not another user's");
      assert.equal(await repo.deleteAppPassword('nobody', 'ap-1'), false);
      assert.deepStrictEqual(await ids('u-1'), ['ap-1', 'ap-2']);
      assert.equal(await repo.deleteAppPassword('u-1', 'ap-1'), true);
      assert.equal(await repo.deleteAppPassword('u-1', 'ap-1'), false, 'once');
      assert.deepStrictEqual(await ids('u-1'), ['ap-2']);
    });

    it("deletes all of a user's, returning their ids, and no other user's", async () => {
      for (let i = 0; i < 3; i++) await repo.addAppPassword(appPasswordFixture({ id: `ap-${i}` }), 10);
      await repo.addAppPassword(appPasswordFixture({ id: 'other', userId: 'u-2' }), 10);
      assert.deepStrictEqual((await repo.deleteAppPasswords('u-1')).sort(), ['ap-0', 'ap-1', 'ap-2']);
      assert.deepStrictEqual(await ids('u-1'), []);
      assert.deepStrictEqual(await repo.deleteAppPasswords('u-1'), []);
      assert.deepStrictEqual(await repo.deleteAppPasswords('nobody'), []);
      assert.deepStrictEqual(await ids('u-2'), ['other']);
      assert.equal(await repo.addAppPassword(appPasswordFixture({ id: 'ap-0' }), 1), true, 'room again');
    });

    it('hands out copies: mutating a stored or returned record changes nothing stored', async () => {
      const record = appPasswordFixture({ apps: ['mail', 'vpn'] });
      await repo.addAppPassword(record, 10);
      record.name = 'changed';
      record.apps.push('everything');
      const [got] = await repo.listAppPasswords('u-1');
      assert.ok(got);
      got.apps.push('admin');
      got.lastUsedAt = 1;
      assert.deepStrictEqual(await repo.listAppPasswords('u-1'), [
        appPasswordFixture({ apps: ['mail', 'vpn'] }),
      ]);
    });
  });
}
