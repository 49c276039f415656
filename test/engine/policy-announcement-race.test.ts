// A policy document another process saves while this one is re-reading the policies: the
// announcement of the new version arrives while the read that saw the older one is still under
// way. That read must not count as fresh, or the process keeps the old policies for
// `policyRefreshSeconds` (15 s) after being told of the new ones.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createInvalidationBus } from '../../src/engine/invalidation-bus.ts';
import { createPolicySource, POLICIES_TOPIC } from '../../src/engine/policy-source.ts';
import type { InvalidationChannel, InvalidationHandler, Repository } from '../../src/store/ports.ts';
import { testClock } from '../helpers/test-clock.ts';

const EMPTY = { namedLocations: [], authenticationStrengths: [], policies: [] };

/** The channel between processes, in one process: every subscriber of a topic hears each message. */
function loopbackChannel(): InvalidationChannel {
  const handlers = new Map<string, Set<InvalidationHandler>>();
  return {
    async publish(topic, message) {
      for (const handler of handlers.get(topic) ?? []) await handler(message);
    },
    async subscribe(topic, handler) {
      const set = handlers.get(topic) ?? new Set();
      handlers.set(topic, set.add(handler));
      return async () => {
        set.delete(handler);
      };
    },
    async close() {},
  };
}

describe('policies: a new version announced during a read of the old one', () => {
  it('the next request reads again and gets the new version, not after the refresh time', async () => {
    const clock = testClock();
    const { repository: shared } = createMemoryStores({ clock });
    await shared.putPolicyDocument(EMPTY, 0, clock.now(), 'a');
    // This process's reads of the document wait for `release` once it is set.
    let hold: Promise<void> | null = null;
    const repository = new Proxy(shared, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (name !== 'getPolicyDocument') return typeof value === 'function' ? value.bind(target) : value;
        return async () => {
          const seen = await target.getPolicyDocument();
          if (hold) await hold;
          return seen;
        };
      },
    }) as Repository;
    const channel = loopbackChannel();
    const bus = createInvalidationBus(channel);
    const source = createPolicySource({ input: 'store', repository, clock, refreshSeconds: 15, bus });
    await bus.ready();
    assert.equal((await source.current()).version, 1);

    clock.advance(15_001);
    let release = () => {};
    hold = new Promise((resolve) => {
      release = resolve;
    });
    const refreshing = source.current(); // reads version 1, then waits
    await new Promise((resolve) => setImmediate(resolve));
    await shared.putPolicyDocument(EMPTY, 1, clock.now(), 'another process');
    await channel.publish(POLICIES_TOPIC, '2');
    release();
    hold = null;
    assert.equal((await refreshing).version, 1, 'the read under way saw the old version');

    clock.advance(1);
    assert.equal((await source.current()).version, 2, 'read again at the next request');
  });
});
