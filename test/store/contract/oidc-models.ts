// The OIDC models part of the store contract (src/store/ports/oidc-models.ts): payloads
// round-trip as fresh copies, entries expire to the millisecond, lookups see only live entries
// of their model, `consume` marks an entry once (twenty concurrent: one winner), and revoking a
// grant removes only that model's entries of it. An adapter without an OIDC store skips it.
import assert from 'node:assert/strict';
import type { OidcStore } from '../../../src/store/ports.ts';
import { type ContractContext, concurrently, countTrue } from './harness.ts';

export function oidcModelsContract(ctx: ContractContext): void {
  describe('oidc store', () => {
    let oidc: OidcStore;
    beforeEach(function () {
      // The port is optional on Stores; an adapter without it skips these cases.
      if (!ctx.stores.oidc) this.skip();
      oidc = ctx.stores.oidc;
    });
    const inAMinute = () => ctx.clock.now() + 60_000;

    it('round-trips a JSON payload as a fresh copy; upsert replaces it', async () => {
      const payload = {
        jti: 'at-1',
        kind: 'AccessToken',
        scope: 'openid email',
        claims: { id_token: { email: null } },
        extra: { 'ünï 🔐': [1, 2.5, true, null] },
        exp: 1_700_000_060,
      };
      await oidc.upsert('AccessToken', 'at-1', payload, inAMinute());
      const found = await oidc.find('AccessToken', 'at-1');
      assert.deepEqual(found, payload);
      assert.notEqual(found, payload);
      if (found) found.scope = 'mutated';
      assert.equal((await oidc.find('AccessToken', 'at-1'))?.scope, 'openid email');

      await oidc.upsert('AccessToken', 'at-1', { jti: 'at-1', scope: 'openid' }, inAMinute());
      assert.deepEqual(await oidc.find('AccessToken', 'at-1'), { jti: 'at-1', scope: 'openid' });
      assert.equal(await oidc.find('AccessToken', 'absent'), null);
    });

    it('an entry expires at expiresAtMs; null never expires; upsert restarts the expiry', async () => {
      await oidc.upsert('AccessToken', 'short', { jti: 'short' }, ctx.clock.now() + 1000);
      await oidc.upsert('Client', 'c-1', { client_id: 'c-1' }, null);
      ctx.later(999);
      assert.ok(await oidc.find('AccessToken', 'short'));
      ctx.later(1);
      assert.equal(await oidc.find('AccessToken', 'short'), null);
      assert.equal(await oidc.consume('AccessToken', 'short', 1), false);
      ctx.later(365 * 86_400_000);
      assert.deepEqual(await oidc.find('Client', 'c-1'), { client_id: 'c-1' });

      await oidc.upsert('Session', 's', { uid: 'u' }, ctx.clock.now() + 1000);
      ctx.later(900);
      await oidc.upsert('Session', 's', { uid: 'u' }, ctx.clock.now() + 1000);
      ctx.later(900);
      assert.ok(await oidc.find('Session', 's'));
      assert.ok(await oidc.findByUid('Session', 'u'));
    });

    it('findByUid and findByUserCode find live entries of that model only', async () => {
      await oidc.upsert('Session', 's-1', { uid: 'uid-1', accountId: 'a' }, inAMinute());
      await oidc.upsert(
        'DeviceCode',
        'dc-1',
        { userCode: 'ABCD-EFGH', grantId: 'g' },
        ctx.clock.now() + 1000,
      );
      assert.deepEqual(await oidc.findByUid('Session', 'uid-1'), { uid: 'uid-1', accountId: 'a' });
      assert.equal(await oidc.findByUid('Interaction', 'uid-1'), null);
      assert.equal(await oidc.findByUid('Session', 'uid-2'), null);
      assert.deepEqual(await oidc.findByUserCode('DeviceCode', 'ABCD-EFGH'), {
        userCode: 'ABCD-EFGH',
        grantId: 'g',
      });
      assert.equal(await oidc.findByUserCode('DeviceCode', 'abcd-efgh'), null);

      // The index follows the payload: a new uid replaces the old one.
      await oidc.upsert('Session', 's-1', { uid: 'uid-2' }, inAMinute());
      assert.equal(await oidc.findByUid('Session', 'uid-1'), null);
      assert.deepEqual(await oidc.findByUid('Session', 'uid-2'), { uid: 'uid-2' });

      ctx.later(1000);
      assert.equal(await oidc.findByUserCode('DeviceCode', 'ABCD-EFGH'), null);
    });

    it('consume sets payload.consumed once; find shows it', async () => {
      await oidc.upsert('AuthorizationCode', 'code-1', { jti: 'code-1', grantId: 'g' }, inAMinute());
      assert.equal(await oidc.consume('AuthorizationCode', 'code-1', 1_700_000_005), true);
      assert.deepEqual(await oidc.find('AuthorizationCode', 'code-1'), {
        jti: 'code-1',
        grantId: 'g',
        consumed: 1_700_000_005,
      });
      assert.equal(await oidc.consume('AuthorizationCode', 'code-1', 1_700_000_009), false);
      assert.equal((await oidc.find('AuthorizationCode', 'code-1'))?.consumed, 1_700_000_005);
      assert.equal(await oidc.consume('AuthorizationCode', 'absent', 1), false);
      assert.equal(await oidc.consume('AccessToken', 'code-1', 1), false, 'models are apart');
    });

    it('20 concurrent consume() of one entry → exactly one wins', async () => {
      await oidc.upsert('AuthorizationCode', 'code-1', { jti: 'code-1' }, inAMinute());
      const results = await concurrently(20, (i) => oidc.consume('AuthorizationCode', 'code-1', 1000 + i));
      assert.equal(countTrue(results), 1);
      const winner = results.indexOf(true);
      assert.equal((await oidc.find('AuthorizationCode', 'code-1'))?.consumed, 1000 + winner);
    });

    it("revokeByGrantId removes that model's entries of that grant, and nothing else", async () => {
      await oidc.upsert('AccessToken', 'at-1', { grantId: 'g-1' }, inAMinute());
      await oidc.upsert('AccessToken', 'at-3', { grantId: 'g-1' }, inAMinute());
      await oidc.upsert('RefreshToken', 'rt-1', { grantId: 'g-1' }, inAMinute());
      await oidc.upsert('Interaction', 'i-1', { grantId: 'g-1' }, inAMinute());
      await oidc.upsert('AccessToken', 'at-2', { grantId: 'g-2' }, inAMinute());
      await oidc.upsert('Grant', 'g-1', { jti: 'g-1', accountId: 'a' }, inAMinute());
      await oidc.revokeByGrantId('AccessToken', 'g-1');
      assert.equal(await oidc.find('AccessToken', 'at-1'), null);
      assert.equal(await oidc.find('AccessToken', 'at-3'), null);
      assert.ok(await oidc.find('RefreshToken', 'rt-1'), 'another model of the grant stays');
      assert.ok(await oidc.find('Interaction', 'i-1'), 'an open interaction stays');
      assert.ok(await oidc.find('AccessToken', 'at-2'));
      assert.ok(await oidc.find('Grant', 'g-1'), 'the Grant itself has no grantId');
      await oidc.revokeByGrantId('RefreshToken', 'g-1');
      assert.equal(await oidc.find('RefreshToken', 'rt-1'), null);
      await oidc.revokeByGrantId('AccessToken', 'absent');
    });

    it('destroy removes one entry and its lookups; destroying an absent one is fine', async () => {
      await oidc.upsert('Session', 's-1', { uid: 'uid-1' }, inAMinute());
      await oidc.upsert('Session', 's-2', { uid: 'uid-2' }, inAMinute());
      await oidc.destroy('Session', 's-1');
      assert.equal(await oidc.find('Session', 's-1'), null);
      assert.equal(await oidc.findByUid('Session', 'uid-1'), null);
      assert.ok(await oidc.find('Session', 's-2'));
      await oidc.destroy('Session', 'absent');
    });

    it('models are kept apart: one id in two models is two entries', async () => {
      await oidc.upsert('AccessToken', 'x', { model: 'AccessToken' }, inAMinute());
      await oidc.upsert('RefreshToken', 'x', { model: 'RefreshToken' }, inAMinute());
      assert.deepEqual(await oidc.find('AccessToken', 'x'), { model: 'AccessToken' });
      assert.deepEqual(await oidc.find('RefreshToken', 'x'), { model: 'RefreshToken' });
      await oidc.destroy('AccessToken', 'x');
      assert.equal(await oidc.find('AccessToken', 'x'), null);
      assert.deepEqual(await oidc.find('RefreshToken', 'x'), { model: 'RefreshToken' });
      // A separator in the name cannot make two keys collide.
      await oidc.upsert('a:b', 'c', { n: 1 }, null);
      await oidc.upsert('a', 'b:c', { n: 2 }, null);
      assert.deepEqual(await oidc.find('a:b', 'c'), { n: 1 });
      assert.deepEqual(await oidc.find('a', 'b:c'), { n: 2 });
    });
  });
}
