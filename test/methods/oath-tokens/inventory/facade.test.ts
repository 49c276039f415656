/** OATH hardware tokens through the engine facade (mfa.tokens): removing and reassigning tokens. */

import assert from 'node:assert/strict';
import { hotpCode } from '../../../../src/methods/otp/otp.ts';
import { ctx, events, HEADER, hex20, mfa, SEED_1, useOathTokenWorld } from './fixtures.ts';

describe('OATH hardware tokens', () => {
  useOathTokenWorld();

  describe('through the facade (mfa.tokens)', () => {
    it('removing one token method frees only that token; a reassigned token never accepts codes its previous holder used', async () => {
      await mfa.tokens.importCsv(
        [
          `${HEADER},kind`,
          `HW-A,${SEED_1.toString('hex')},sha1,6,,hotp`,
          `HW-B,${hex20('HW-B')},sha1,6,,hotp`,
        ].join('\n'),
        ctx,
      );
      const a = await mfa.tokens.assign('HW-A', 'alice', '', ctx);
      await mfa.tokens.assign('HW-B', 'alice', '', ctx);
      assert.equal(await mfa.admin.getUserState('alice'), 'enforced', 'assignment counts as registration');
      assert.ok(events.some((e) => e.type === 'enrolled' && e.methodId === a.id));
      const start = await mfa.beginSignIn({ userId: 'alice', amr: ['pwd'], ip: ctx.ip });
      assert.equal(start.status, 'mfa');
      if (start.status !== 'mfa') return;
      const used = hotpCode(SEED_1, { algorithm: 'sha1', digits: 6, counter: 0 });
      assert.equal((await mfa.verifyPending(start.pending.id, { code: used }, ctx)).ok, true);

      assert.equal(await mfa.methods.remove('alice', a.id, ctx), true);
      const inventory = await mfa.tokens.list();
      assert.equal(inventory.find((t) => t.serial === 'HW-A')?.assignedTo, null);
      assert.equal(
        inventory.find((t) => t.serial === 'HW-B')?.assignedTo,
        'alice',
        'the other token stays with alice',
      );

      await mfa.tokens.assign('HW-A', 'mallory', '', ctx);
      const m = await mfa.beginSignIn({ userId: 'mallory', amr: ['pwd'], ip: ctx.ip });
      if (m.status !== 'mfa') throw new Error('expected mfa');
      assert.equal(
        (await mfa.verifyPending(m.pending.id, { code: used }, ctx)).ok,
        false,
        'counter 0 was used by alice',
      );
      const next = hotpCode(SEED_1, { algorithm: 'sha1', digits: 6, counter: 1 });
      assert.equal((await mfa.verifyPending(m.pending.id, { code: next }, ctx)).ok, true);
    });
  });
});
