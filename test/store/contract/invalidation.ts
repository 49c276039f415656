// The invalidation channel's contract (src/store/ports/invalidation.ts), run by each adapter that
// carries one (Redis pub/sub, PostgreSQL LISTEN/NOTIFY) between separate connections, as between
// processes: what one channel publishes reaches every subscriber of the topic in the same
// namespace (a Redis key prefix, a PostgreSQL schema), in order, and nothing else; unsubscribing
// and closing stop delivery; a failing handler harms no other.
import assert from 'node:assert/strict';
import type { InvalidationChannel } from '../../../src/store/ports.ts';

/** How a test opens channels: in a namespace, optionally reporting handler errors. */
export interface InvalidationChannels {
  freshNamespace(): string;
  open(
    namespace: string,
    onHandlerError?: (error: unknown, topic: string) => void,
  ): Promise<InvalidationChannel>;
}

/** Everything a handler was called with, and a way to wait for the first `n` of it. */
export function inbox() {
  const messages: string[] = [];
  let wake: (() => void) | undefined;
  return {
    messages,
    handler: (message: string) => {
      messages.push(message);
      wake?.();
    },
    async until(count: number, timeoutMs = 3000): Promise<string[]> {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`got ${messages.length} of ${count} messages: ${messages.join(', ')}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, left);
        });
      }
      return messages;
    },
  };
}

/** The channel's behaviour; `channels` is read inside the tests (after the suite's `before`). */
export function invalidationContract(channels: () => InvalidationChannels): void {
  const opened: InvalidationChannel[] = [];
  const channel = async (namespace: string, onHandlerError?: (error: unknown, topic: string) => void) => {
    const created = await channels().open(namespace, onHandlerError);
    opened.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
  });

  it('a message published by one process reaches the subscribers of its topic in the others, in order', async () => {
    const namespace = channels().freshNamespace();
    const [publisher, subscriber] = [await channel(namespace), await channel(namespace)];
    const revoked = inbox();
    const policy = inbox();
    const ownEcho = inbox();
    await subscriber.subscribe('session-revoked', revoked.handler);
    await subscriber.subscribe('policy-changed', policy.handler);
    await publisher.subscribe('session-revoked', ownEcho.handler);

    for (const user of ['u-1', 'u-2', 'u-3']) await publisher.publish('session-revoked', user);
    await publisher.publish('policy-changed', JSON.stringify({ version: 7 }));

    assert.deepEqual(await revoked.until(3), ['u-1', 'u-2', 'u-3']);
    assert.deepEqual(await policy.until(1), ['{"version":7}']);
    assert.deepEqual(await ownEcho.until(3), ['u-1', 'u-2', 'u-3'], 'the publishing process hears it too');
    assert.deepEqual(revoked.messages, ['u-1', 'u-2', 'u-3'], 'no message of another topic');
  });

  it('another namespace is another deployment: it hears nothing', async () => {
    const [namespace, otherNamespace] = [channels().freshNamespace(), channels().freshNamespace()];
    const [publisher, same] = [await channel(namespace), await channel(namespace)];
    const [otherPublisher, other] = [await channel(otherNamespace), await channel(otherNamespace)];
    const heard = inbox();
    const elsewhere = inbox();
    await same.subscribe('session-revoked', heard.handler);
    await other.subscribe('session-revoked', elsewhere.handler);
    await publisher.publish('session-revoked', 'u-1');
    // Both servers deliver to a connection in publishing order: had the first message reached
    // `other`, it would come before this one.
    await otherPublisher.publish('session-revoked', 'marker');
    assert.deepEqual(await elsewhere.until(1), ['marker']);
    assert.deepEqual(await heard.until(1), ['u-1']);
  });

  it('after unsubscribing a handler is called no more; a failing handler harms no other', async () => {
    const namespace = channels().freshNamespace();
    const errors: unknown[] = [];
    const publisher = await channel(namespace);
    const subscriber = await channel(namespace, (error, topic) => errors.push([topic, error]));
    const dropped = inbox();
    const kept = inbox();
    const unsubscribe = await subscriber.subscribe('session-revoked', dropped.handler);
    await subscriber.subscribe('session-revoked', () => {
      throw new Error('handler bug');
    });
    await subscriber.subscribe('session-revoked', async () => {
      throw new Error('async handler bug');
    });
    await subscriber.subscribe('session-revoked', kept.handler);

    await publisher.publish('session-revoked', 'first');
    assert.deepEqual(await kept.until(1), ['first']);
    assert.deepEqual(await dropped.until(1), ['first']);
    assert.equal(errors.length, 2, 'both failing handlers were reported');

    await unsubscribe();
    await publisher.publish('session-revoked', 'second');
    assert.deepEqual(await kept.until(2), ['first', 'second']);
    assert.deepEqual(dropped.messages, ['first']);
  });

  it('a closed channel stops receiving and refuses to publish', async () => {
    const namespace = channels().freshNamespace();
    const [publisher, open] = [await channel(namespace), await channel(namespace)];
    const closing = await channels().open(namespace);
    const heard = inbox();
    const stillOpen = inbox();
    await closing.subscribe('session-revoked', heard.handler);
    await open.subscribe('session-revoked', stillOpen.handler);
    await closing.close();
    await publisher.publish('session-revoked', 'u-1');
    await stillOpen.until(1);
    assert.deepEqual(heard.messages, []);
    await assert.rejects(closing.publish('session-revoked', 'u-2'), /closed/i);
  });
}
