// The engine's side of invalidation between processes: a component that drops something from
// its cache (a session epoch bumped, a remembered device or Temporary Access Pass revoked, the
// policy document replaced) announces it on a topic; every process's same component hears it
// and drops its copy too. Over the stores' `invalidation` channel when there is one (e.g. Redis
// pub/sub), else nothing: each process then sees another's change within its one-second cache.
// Never fails a caller: a message that cannot be sent or handled is a process warning.
import type { InvalidationChannel } from '../store/ports.ts';

export interface InvalidationBus {
  /** Tells the other processes (and this one) that `key` changed under `topic`. */
  announce(topic: string, key: string): void;
  /** Runs `handler` for every key announced under `topic`, by any process. */
  on(topic: string, handler: (key: string) => void): void;
  /** Resolves once every subscription is in place (tests, start-up). */
  ready(): Promise<void>;
}

const warn = (what: string, error: unknown) =>
  process.emitWarning(`mfakit: invalidation ${what}: ${(error as Error)?.message ?? String(error)}`);

export function createInvalidationBus(channel: InvalidationChannel | undefined): InvalidationBus {
  const pending: Promise<unknown>[] = [];
  return {
    announce(topic, key) {
      channel?.publish(topic, key).catch((error) => warn(`publish on ${topic}`, error));
    },
    on(topic, handler) {
      if (!channel) return;
      pending.push(
        channel
          .subscribe(topic, (message) => {
            try {
              handler(message);
            } catch (error) {
              warn(`handler of ${topic}`, error);
            }
          })
          .catch((error) => warn(`subscribe to ${topic}`, error)),
      );
    },
    async ready() {
      await Promise.all(pending);
    },
  };
}
