// Counts, in this process, what the stores send to their servers: every Redis command (node-redis
// reports each one on its `node-redis:command` tracing channel) and every PostgreSQL query (each
// call of pg's Client#query, which is one round trip: a transaction is BEGIN, its statements and
// COMMIT). Each is filed under the label of the async context it was sent from (`within`), e.g.
// the HTTP request being served, so a bench can say which request sent what. Beside the count,
// `waits` counts those sent while no other of the same server was awaited: commands sent
// together (Promise.all) are pipelined on one connection or run side by side on the pool, and
// cost one wait. Counts, not timings: they do not depend on the machine's load.
import { AsyncLocalStorage } from 'node:async_hooks';
import { tracingChannel } from 'node:diagnostics_channel';
import pg from 'pg';

export interface Trip {
  server: 'redis' | 'postgres';
  /** The command with its first arguments (keys, script digests), or the SQL's first words. */
  what: string;
  label: string;
  /** Sent while no other of the same server was in flight. */
  wait: boolean;
}

const context = new AsyncLocalStorage<string>();
let trips: Trip[] | null = null;
const inFlight = { redis: 0, postgres: 0 };

function record(server: Trip['server'], what: string) {
  const wait = inFlight[server] === 0;
  inFlight[server]++;
  trips?.push({ server, what, label: context.getStore() ?? '(no request)', wait });
}

function settled(server: Trip['server']) {
  inFlight[server] = Math.max(0, inFlight[server] - 1);
}

let installed = false;

/** Starts listening to node-redis and wrapping pg's queries (once per process). */
export function installTripCounter(): void {
  if (installed) return;
  installed = true;
  tracingChannel<{ command: string; args: string[] }>('node-redis:command').subscribe({
    start: (ctx) => record('redis', ctx.args.slice(0, 4).join(' ').slice(0, 120)),
    end: () => {},
    asyncStart: () => {},
    asyncEnd: () => settled('redis'),
    error: () => {},
  });
  const original = pg.Client.prototype.query;
  // pg's query has a dozen overloads (text or config, values, callback): passed on untouched.
  // biome-ignore lint/suspicious/noExplicitAny: the wrapper forwards whichever overload was called
  pg.Client.prototype.query = function (this: pg.Client, ...args: any[]) {
    const first = args[0] as string | { text?: string; values?: unknown[] } | undefined;
    const text = typeof first === 'string' ? first : (first?.text ?? '(query object)');
    const given = Array.isArray(args[1]) ? args[1] : typeof first === 'object' ? first.values : undefined;
    const values = given ? ` [${given.slice(0, 4).map(String).join(', ')}]` : '';
    record('postgres', `${text.replace(/\s+/g, ' ').trim().slice(0, 90)}${values.slice(0, 120)}`);
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (...r: unknown[]) => void;
      args[last] = (...r: unknown[]) => {
        settled('postgres');
        callback(...r);
      };
      return original.apply(this, args as Parameters<typeof original>);
    }
    const result = original.apply(this, args as Parameters<typeof original>) as unknown;
    if (result instanceof Promise)
      result.then(
        () => settled('postgres'),
        () => settled('postgres'),
      );
    else settled('postgres');
    return result;
  } as typeof original;
}

/** Runs `fn` with what it sends filed under `label`. */
export function within<T>(label: string, fn: () => T): T {
  return context.run(label, fn);
}

/** What `fn` (and anything else in the process meanwhile) sent. */
export async function countTrips(fn: () => Promise<void>): Promise<Trip[]> {
  const mine: Trip[] = [];
  trips = mine;
  try {
    await fn();
  } finally {
    trips = null;
  }
  return mine;
}

/** `n commands (w waits)` for one server's trips. */
export function tally(list: Trip[], server: Trip['server']): { count: number; waits: number } {
  const of = list.filter((t) => t.server === server);
  return { count: of.length, waits: of.filter((t) => t.wait).length };
}
