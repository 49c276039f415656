/** OATH hardware tokens: assigning a token to a user, signing in with it, and HOTP resync. */

import assert from 'node:assert/strict';
import { MfaError } from '../../../../src/errors.ts';
import { hotpCode, totpCode } from '../../../../src/methods/otp/otp.ts';
import { otpDataOf, sealedSecretContext } from '../../../../src/methods/otp/otp-record.ts';
import {
  counterKeyOf,
  ctx,
  events,
  GOOD_CSV,
  HEADER,
  HOTP,
  mfa,
  now,
  repository,
  SEED_1,
  SEED_2,
  SEED_4,
  sealer,
  seedOf,
  tokens,
  tokensWith,
  useOathTokenWorld,
  verify,
} from './fixtures.ts';

describe('OATH hardware tokens', () => {
  useOathTokenWorld();

  describe('assign, sign-in and resync', () => {
    beforeEach(async () => {
      await tokens.importCsv(GOOD_CSV, ctx);
    });

    it('assigns a HOTP token: the method carries the serial, its seed is re-sealed for the user', async () => {
      const method = await tokens.assign('HW-0001', 'alice', 'Key fob', ctx);
      assert.equal(method.kind, 'hotp');
      const data = otpDataOf(method);
      assert.equal(data.tokenSerial, 'HW-0001');
      assert.equal(method.counterKey, 'token:HW-0001');
      assert.equal(method.label, 'Key fob');
      assert.deepEqual([data.algorithm, data.digits, data.period], ['sha1', 6, 0]);

      const methods = await mfa.methods.list('alice');
      assert.deepEqual(
        methods.map((m) => [m.id, m.kind, m.details.tokenSerial, m.description]),
        [[method.id, 'hotp', 'HW-0001', 'Hardware token HW-0001']],
      );
      const stored = await repository.getMethod('alice', method.id);
      const token = await repository.getToken('HW-0001');
      assert.ok(stored && token);
      assert.equal(token.assignedTo, 'alice');
      const storedSecret = otpDataOf(stored).sealedSecret;
      assert.notEqual(storedSecret, token.sealedSecret);
      assert.deepEqual(sealer.open(storedSecret, sealedSecretContext('alice', method.id)), SEED_1);
      assert.throws(() => sealer.open(storedSecret, 'token:HW-0001'));
      assert.equal((await tokens.list()).find((t) => t.serial === 'HW-0001')?.assignedTo, 'alice');

      const assigned = events.filter((e) => e.type === 'token_assigned');
      assert.equal(assigned.length, 1);
      assert.equal(assigned[0]?.userId, 'alice');
      assert.equal(assigned[0]?.methodId, method.id);
      assert.equal(assigned[0]?.detail, 'HW-0001');
    });

    it('signs in with HOTP codes; refuses replay and codes past the look-ahead; resync moves the window', async () => {
      const method = await tokens.assign('HW-0001', 'alice', 'Key fob', ctx);
      const code = (counter: number) => hotpCode(SEED_1, { algorithm: 'sha1', digits: 6, counter });
      const lookAhead = HOTP.lookAhead;
      assert.equal(lookAhead, 10);

      const first = await verify('alice', code(0));
      assert.ok(first.ok, 'counter 0 signs in');
      if (!first.ok) return;
      assert.deepEqual(first.stamp.amr, ['pwd', 'otp', 'hwk', 'mfa']);

      assert.deepEqual(
        await verify('alice', code(0)),
        { ok: false, error: 'invalid_code' },
        'replay refused',
      );
      // Last accepted is 0, so 1..11 are in the window: 12 is not, nor 52.
      assert.deepEqual(await verify('alice', code(lookAhead + 2)), { ok: false, error: 'invalid_code' });
      assert.deepEqual(await verify('alice', code(52)), { ok: false, error: 'invalid_code' });
      assert.equal(await repository.getCounter(counterKeyOf(method)), 0);

      // Resync needs two consecutive codes.
      assert.equal(await tokens.resync('alice', method.id, code(50), code(52), ctx), false);
      assert.equal(await tokens.resync('alice', method.id, code(51), code(50), ctx), false);
      assert.equal(await tokens.resync('alice', method.id, code(50), '12345', ctx), false);
      assert.equal(await repository.getCounter(counterKeyOf(method)), 0);
      assert.equal(await tokens.resync('alice', method.id, code(50), code(51), ctx), true);
      assert.equal(await repository.getCounter(counterKeyOf(method)), 51);
      const resynced = events.filter((e) => e.type === 'counter_resynced');
      assert.equal(resynced.length, 1);
      assert.equal(resynced[0]?.methodId, method.id);
      assert.deepEqual(resynced[0]?.data, { from: 0, to: 51 });

      // The resync codes themselves are spent; the next one works, once.
      assert.deepEqual(await verify('alice', code(51)), { ok: false, error: 'invalid_code' });
      const after = await verify('alice', code(52));
      assert.ok(after.ok, 'counter 52 signs in after the resync');
      if (!after.ok) return;
      assert.deepEqual(after.stamp.amr, ['pwd', 'otp', 'hwk', 'mfa']);
      assert.deepEqual(await verify('alice', code(52)), { ok: false, error: 'invalid_code' });
    });

    it('resync searches exactly resyncWindow counters past the last accepted one', async () => {
      const method = await tokens.assign('HW-0004', 'alice', '', ctx);
      assert.equal(method.label, 'Hardware token HW-0004');
      const code = (counter: number) => hotpCode(SEED_4, { algorithm: 'sha1', digits: 8, counter });
      const window = HOTP.resyncWindow;
      assert.equal(window, 100);
      // Nothing accepted yet (counter -1): code1 may sit at 0..100.
      assert.equal(await tokens.resync('alice', method.id, code(window + 1), code(window + 2), ctx), false);
      assert.equal(await tokens.resync('alice', method.id, code(window), code(window + 1), ctx), true);
      assert.equal(await repository.getCounter(counterKeyOf(method)), window + 1);
      // Replaying the same pair does not move it again.
      assert.equal(await tokens.resync('alice', method.id, code(window), code(window + 1), ctx), false);
      const ok = await verify('alice', code(window + 2));
      assert.ok(ok.ok);
    });

    it('resync works over a large window, and past a chance match of the first code', async () => {
      // Find a seed whose 6-digit codes repeat within 0..900: code(i) === code(j), i < j, code(i+1) !== code(j+1).
      const codeOf = (seed: Buffer, counter: number) =>
        hotpCode(seed, { algorithm: 'sha1', digits: 6, counter });
      let found: { seed: Buffer; i: number; j: number } | null = null;
      for (let n = 0; found === null && n < 100; n++) {
        const seed = seedOf(`collide-${n}`, 20);
        const firstAt = new Map<string, number>();
        for (let c = 0; c <= 900 && found === null; c++) {
          const code = codeOf(seed, c);
          const i = firstAt.get(code);
          if (i !== undefined && codeOf(seed, i + 1) !== codeOf(seed, c + 1)) found = { seed, i, j: c };
          else if (i === undefined) firstAt.set(code, c);
        }
      }
      assert.ok(found, 'a seed with a repeated code');
      const { seed, i, j } = found;
      await tokens.importCsv([HEADER, `BIG-1,${seed.toString('hex')},sha1,6,`].join('\n'), ctx);
      const wide = tokensWith(1000);
      const method = await wide.assign('BIG-1', 'carol', 'Fob', ctx);
      assert.ok(i < j);
      assert.equal(await wide.resync('carol', method.id, codeOf(seed, j), codeOf(seed, j + 1), ctx), true);
      assert.equal(await repository.getCounter(counterKeyOf(method)), j + 1);
      // From j + 1 the window reaches j + 2 + 1000; one past it is refused, the edge accepted.
      const edge = j + 2 + 1000;
      assert.equal(
        await wide.resync('carol', method.id, codeOf(seed, edge + 1), codeOf(seed, edge + 2), ctx),
        false,
      );
      assert.equal(
        await wide.resync('carol', method.id, codeOf(seed, edge), codeOf(seed, edge + 1), ctx),
        true,
      );
      assert.equal(await repository.getCounter(counterKeyOf(method)), edge + 1);
    });

    it('resync refuses TOTP methods (not_hotp) and unknown methods', async () => {
      const totp = await tokens.assign('HW-0002', 'bob', 'Card', ctx);
      await assert.rejects(tokens.resync('bob', totp.id, '12345678', '12345678', ctx), {
        code: 'not_hotp',
        status: 400,
      });
      await assert.rejects(tokens.resync('bob', 'nope', '123456', '123456', ctx), { code: 'unknown_method' });
      const hotp = await tokens.assign('HW-0001', 'alice', 'Fob', ctx);
      await assert.rejects(tokens.resync('bob', hotp.id, '123456', '123456', ctx), {
        code: 'unknown_method',
      });
    });

    it('a 60 s SHA-256 TOTP token signs in with its own period and algorithm', async () => {
      const method = await tokens.assign('HW-0002', 'bob', 'Card', ctx);
      assert.deepEqual(
        [method.kind, otpDataOf(method).algorithm, otpDataOf(method).digits, otpDataOf(method).period],
        ['totp', 'sha256', 8, 60],
      );
      const code = (period: number) =>
        totpCode(SEED_2, { algorithm: 'sha256', digits: 8, period, epochSeconds: Math.floor(now / 1000) });
      assert.deepEqual(
        await verify('bob', code(30)),
        { ok: false, error: 'invalid_code' },
        'a 30 s code is not it',
      );
      const ok = await verify('bob', code(60));
      assert.ok(ok.ok);
      if (!ok.ok) return;
      assert.deepEqual(ok.stamp.amr, ['pwd', 'otp', 'hwk', 'mfa']);
      assert.deepEqual(await verify('bob', code(60)), { ok: false, error: 'invalid_code' }, 'replay refused');
    });

    it('20 concurrent assignments of one token: exactly one wins', async () => {
      const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
      const results = await Promise.allSettled(users.map((u) => tokens.assign('HW-0003', u, 'Card', ctx)));
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 19);
      for (const r of lost) {
        assert.ok(r.reason instanceof MfaError);
        assert.equal(r.reason.code, 'token_unavailable');
        assert.equal(r.reason.status, 409);
      }
      const winner = won[0]?.status === 'fulfilled' ? won[0].value : null;
      assert.ok(winner);
      const token = await repository.getToken('HW-0003');
      assert.equal(token?.assignedTo, winner.userId);
      const methodCounts = await Promise.all(
        users.map(async (u) => (await repository.listMethods(u)).length),
      );
      assert.equal(
        methodCounts.reduce((a, b) => a + b, 0),
        1,
      );
      assert.equal(events.filter((e) => e.type === 'token_assigned').length, 1);
    });

    it('an unknown or already assigned serial → token_unavailable (409)', async () => {
      await assert.rejects(tokens.assign('NOPE-1', 'alice', 'x', ctx), {
        code: 'token_unavailable',
        status: 409,
      });
      await tokens.assign('HW-0001', 'alice', 'x', ctx);
      await assert.rejects(tokens.assign('HW-0001', 'bob', 'x', ctx), {
        code: 'token_unavailable',
        status: 409,
      });
      assert.deepEqual(await repository.listMethods('bob'), []);
    });
  });
});
