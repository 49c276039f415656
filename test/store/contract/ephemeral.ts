// The ephemeral part of the store contract (src/store/ports/ephemeral.ts), on a clock the test
// moves by hand: one winner among fifty concurrent `consumeOnce`s (again after expiry), fifty
// concurrent `increment`s hand out 1..50, `decrement` never goes below zero nor revives an
// expired count, one of fifty concurrent `take`s gets the value, `take` of a count reads and
// clears it, and expiry is exact.
import assert from 'node:assert/strict';
import type { EphemeralStore } from '../../../src/store/ports.ts';
import { type ContractContext, concurrently, countTrue } from './harness.ts';

export function ephemeralContract(ctx: ContractContext): void {
  describe('ephemeral: consumeOnce', () => {
    let eph: EphemeralStore;
    beforeEach(() => {
      eph = ctx.stores.ephemeral;
    });

    it('is true for the first caller only, per key', async () => {
      assert.equal(await eph.consumeOnce('once:a', 60_000), true);
      assert.equal(await eph.consumeOnce('once:a', 60_000), false);
      assert.equal(await eph.consumeOnce('once:b', 60_000), true);
    });

    it('holds for exactly ttlMs; failed attempts do not extend the window', async () => {
      assert.equal(await eph.consumeOnce('k', 1000), true);
      ctx.later(500);
      assert.equal(await eph.consumeOnce('k', 1000), false);
      ctx.later(499);
      assert.equal(await eph.consumeOnce('k', 1000), false);
      ctx.later(1);
      assert.equal(await eph.consumeOnce('k', 1000), true, 'consumable again once the ttl has run out');
      assert.equal(await eph.consumeOnce('k', 1000), false);
      ctx.later(999);
      assert.equal(await eph.consumeOnce('k', 1000), false, 'the new mark has its own ttl');
    });

    it('50 concurrent consumeOnce() → exactly one true', async () => {
      const results = await concurrently(50, () => eph.consumeOnce('k', 60_000));
      assert.equal(countTrue(results), 1);
    });

    it('after expiry, 50 concurrent consumeOnce() → exactly one true again', async () => {
      assert.equal(await eph.consumeOnce('k', 1000), true);
      ctx.later(1000);
      const results = await concurrently(50, () => eph.consumeOnce('k', 1000));
      assert.equal(countTrue(results), 1);
    });

    it('delete releases the mark', async () => {
      assert.equal(await eph.consumeOnce('k', 60_000), true);
      await eph.delete('k');
      assert.equal(await eph.consumeOnce('k', 60_000), true);
    });
  });

  describe('ephemeral: increment', () => {
    let eph: EphemeralStore;
    beforeEach(() => {
      eph = ctx.stores.ephemeral;
    });

    it('counts up from 1; getCount reads it; absent keys count 0', async () => {
      assert.equal(await eph.getCount('fails:u-1'), 0);
      assert.equal(await eph.increment('fails:u-1', 60_000), 1);
      assert.equal(await eph.increment('fails:u-1', 60_000), 2);
      assert.equal(await eph.increment('fails:u-1', 60_000), 3);
      assert.equal(await eph.getCount('fails:u-1'), 3);
      assert.equal(await eph.getCount('fails:u-2'), 0);
      assert.equal(await eph.increment('fails:u-2', 60_000), 1);
      assert.equal(await eph.getCount('fails:u-1'), 3);
    });

    it('50 concurrent increment() → final count 50, returned values exactly 1..50', async () => {
      const results = await concurrently(50, () => eph.increment('k', 60_000));
      assert.deepStrictEqual(
        [...results].sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      assert.equal(await eph.getCount('k'), 50);
    });

    it('expiry slides: each increment pushes it to now + ttl; after that the count restarts', async () => {
      const t0 = ctx.clock.now();
      assert.equal(await eph.increment('k', 1000), 1);
      ctx.clock.set(t0 + 999);
      assert.equal(await eph.increment('k', 1000), 2);
      ctx.clock.set(t0 + 1998);
      assert.equal(await eph.increment('k', 1000), 3, 'still counting 1998 ms after the first increment');
      ctx.clock.set(t0 + 2997);
      assert.equal(await eph.getCount('k'), 3);
      ctx.clock.set(t0 + 2998);
      assert.equal(await eph.getCount('k'), 0, 'expired ttl ms after the last increment');
      assert.equal(await eph.increment('k', 1000), 1);
      assert.equal(await eph.getCount('k'), 1);
    });

    it('the first increment after expiry starts again at 1', async () => {
      await eph.increment('k', 1000);
      await eph.increment('k', 1000);
      ctx.later(1000);
      assert.equal(await eph.increment('k', 1000), 1);
      assert.equal(await eph.getCount('k'), 1);
    });

    it('getCount does not extend the expiry', async () => {
      await eph.increment('k', 1000);
      ctx.later(900);
      assert.equal(await eph.getCount('k'), 1);
      ctx.later(100);
      assert.equal(await eph.getCount('k'), 0);
    });

    it('delete resets the count', async () => {
      await eph.increment('k', 60_000);
      await eph.increment('k', 60_000);
      await eph.delete('k');
      assert.equal(await eph.getCount('k'), 0);
      assert.equal(await eph.increment('k', 60_000), 1);
    });

    it('take reads a count as its decimal value and clears it; racing increments are each counted once', async () => {
      for (let i = 0; i < 3; i++) await eph.increment('k', 60_000);
      assert.equal(await eph.take('k'), '3');
      assert.equal(await eph.getCount('k'), 0);
      // A tally read and reset by take while others add to it (the throttle's unreported refusals).
      const [taken] = await Promise.all([
        eph.take('k'),
        ...Array.from({ length: 30 }, () => eph.increment('k', 60_000)),
      ]);
      assert.equal(Number(taken ?? 0) + (await eph.getCount('k')), 30);
    });
  });

  describe('ephemeral: decrement', () => {
    let eph: EphemeralStore;
    beforeEach(() => {
      eph = ctx.stores.ephemeral;
    });

    const countTo = async (key: string, n: number, ttlMs = 60_000) => {
      for (let i = 0; i < n; i++) await eph.increment(key, ttlMs);
    };

    it('takes one off a live count and returns the new count, never below zero', async () => {
      await countTo('k', 2);
      assert.equal(await eph.decrement('k'), 1);
      assert.equal(await eph.getCount('k'), 1);
      assert.equal(await eph.decrement('k'), 0);
      assert.equal(await eph.decrement('k'), 0, 'a count at zero stays at zero');
      assert.equal(await eph.getCount('k'), 0);
      assert.equal(await eph.increment('k', 60_000), 1, 'no headroom was created below zero');
    });

    it('an absent key stays absent: no negative count a later increment would start from', async () => {
      assert.equal(await eph.decrement('nothing'), 0);
      assert.equal(await eph.getCount('nothing'), 0);
      assert.equal(await eph.increment('nothing', 60_000), 1);
    });

    it('an expired count is not revived', async () => {
      await countTo('k', 3, 1000);
      ctx.later(1000);
      assert.equal(await eph.decrement('k'), 0);
      assert.equal(await eph.getCount('k'), 0);
      assert.equal(await eph.increment('k', 1000), 1);
    });

    it('leaves the expiry where the last increment put it', async () => {
      const t0 = ctx.clock.now();
      await countTo('k', 3, 1000);
      ctx.clock.set(t0 + 900);
      assert.equal(await eph.decrement('k'), 2);
      ctx.clock.set(t0 + 999);
      assert.equal(await eph.getCount('k'), 2);
      ctx.clock.set(t0 + 1000);
      assert.equal(await eph.getCount('k'), 0, 'expired ttl ms after the last increment, not the decrement');
    });

    it('only touches its own key', async () => {
      await countTo('a', 2);
      await countTo('b', 2);
      await eph.decrement('a');
      assert.equal(await eph.getCount('a'), 1);
      assert.equal(await eph.getCount('b'), 2);
    });

    it('50 concurrent decrement() of a count of 30 → ends at 0; returns 29..1 once each and 0 to the rest', async () => {
      await countTo('k', 30);
      const results = await concurrently(50, () => eph.decrement('k'));
      assert.deepStrictEqual(
        [...results].sort((a, b) => a - b),
        [...Array.from({ length: 21 }, () => 0), ...Array.from({ length: 29 }, (_, i) => i + 1)],
      );
      assert.equal(await eph.getCount('k'), 0);
    });

    it('25 increments racing 25 decrements on a count of 50 → back at 50, none lost', async () => {
      await countTo('k', 50);
      await concurrently(50, (i) => (i % 2 === 0 ? eph.increment('k', 60_000) : eph.decrement('k')));
      assert.equal(await eph.getCount('k'), 50);
    });
  });

  describe('ephemeral: put / get / take / delete', () => {
    let eph: EphemeralStore;
    beforeEach(() => {
      eph = ctx.stores.ephemeral;
    });

    it('round-trips values exactly', async () => {
      const values = [
        '',
        'plain',
        'ünïcödé ✓ 🔐',
        JSON.stringify({ a: [1, null], b: 'x' }),
        'x'.repeat(65_536),
      ];
      for (const [i, v] of values.entries()) await eph.put(`v:${i}`, v, 60_000);
      for (const [i, v] of values.entries()) assert.equal(await eph.get(`v:${i}`), v);
      assert.equal(await eph.get('v:absent'), null);
    });

    it('get answers null once the ttl has run out, and does not extend it', async () => {
      await eph.put('k', 'v', 1000);
      ctx.later(999);
      assert.equal(await eph.get('k'), 'v');
      ctx.later(1);
      assert.equal(await eph.get('k'), null);
      assert.equal(await eph.take('k'), null);
    });

    it('put overwrites the value and restarts the ttl', async () => {
      await eph.put('k', 'first', 1000);
      ctx.later(900);
      await eph.put('k', 'second', 1000);
      ctx.later(900);
      assert.equal(await eph.get('k'), 'second');
      ctx.later(100);
      assert.equal(await eph.get('k'), null);
    });

    it('put after expiry stores the new value', async () => {
      await eph.put('k', 'old', 1000);
      ctx.later(5000);
      await eph.put('k', 'new', 1000);
      assert.equal(await eph.get('k'), 'new');
    });

    it('take reads and deletes', async () => {
      await eph.put('k', 'v', 60_000);
      assert.equal(await eph.take('k'), 'v');
      assert.equal(await eph.take('k'), null);
      assert.equal(await eph.get('k'), null);
      assert.equal(await eph.take('absent'), null);
    });

    it('take of an expired entry answers null', async () => {
      await eph.put('k', 'v', 1000);
      ctx.later(1000);
      assert.equal(await eph.take('k'), null);
      assert.equal(await eph.get('k'), null);
    });

    it('50 concurrent take() of one key → exactly one gets the value', async () => {
      await eph.put('k', 'the-value', 60_000);
      const results = await concurrently(50, () => eph.take('k'));
      assert.equal(results.filter((r) => r === 'the-value').length, 1);
      assert.equal(results.filter((r) => r === null).length, 49);
      assert.equal(await eph.get('k'), null);
    });

    it('delete removes one key; deleting an absent key is fine', async () => {
      await eph.put('a', '1', 60_000);
      await eph.put('b', '2', 60_000);
      await eph.delete('a');
      assert.equal(await eph.get('a'), null);
      assert.equal(await eph.get('b'), '2');
      await eph.delete('absent');
    });
  });
}
