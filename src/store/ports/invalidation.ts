// Invalidation messages between processes sharing the stores: when one process revokes a
// session, a remembered device or a Temporary Access Pass, or changes the policies, the others
// drop what they cached at once instead of after their one-second caches run out. Optional
// (`Stores.invalidation`): without it, each process sees another's change within a second.
// Delivery is at most once; the caches' own short expiry stays the backstop.

/** Called with each message published on a topic the handler subscribed to. */
export type InvalidationHandler = (message: string) => void | Promise<void>;

export interface InvalidationChannel {
  /** Sends `message` to every process subscribed to `topic` now (this one included). */
  publish(topic: string, message: string): Promise<void>;
  /** Calls `handler` with each message published on `topic` from the moment this resolves; resolves to an unsubscribe. */
  subscribe(topic: string, handler: InvalidationHandler): Promise<() => Promise<void>>;
  /** Ends every subscription and the connections this channel opened. */
  close(): Promise<void>;
}
