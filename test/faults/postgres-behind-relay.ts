// PostgreSQL stores the outage tests can cut off: a fresh schema reached through a TCP relay
// (test/helpers/tcp-relay.ts) that the test cuts and restores, so the server itself keeps
// running for the other tests. Call `usePostgresBehindRelay()` inside a `describe`; the stores and
// the relay are closed after each test.
import { createPostgresStores, type PostgresStores } from '../../adapters/postgres/index.ts';
import type { Clock } from '../../src/engine/capabilities.ts';
import { type TcpRelay, tcpRelay } from '../helpers/tcp-relay.ts';
import { postgresTestServer } from '../store/postgres-schemas.ts';

export interface PostgresBehindRelay {
  /** The server's own connection (not through the relay), to read what was stored. */
  readonly admin: ReturnType<typeof postgresTestServer>['admin'];
  /** Opens the stores on a fresh schema through a new relay; `relay` cuts them off. */
  open(clock: Clock): Promise<{ stores: PostgresStores; relay: TcpRelay; schema: string }>;
}

export function usePostgresBehindRelay(): PostgresBehindRelay {
  const postgres = postgresTestServer();
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => {});
  });
  return {
    get admin() {
      return postgres.admin;
    },
    async open(clock) {
      const server = new URL(postgres.url);
      const relay = await tcpRelay({ host: server.hostname, port: Number(server.port || 5432) });
      closers.push(() => relay.close());
      const throughRelay = new URL(postgres.url);
      throughRelay.host = `127.0.0.1:${relay.port}`;
      const schema = postgres.freshSchema();
      const stores = await createPostgresStores({ url: throughRelay.toString(), schema, clock });
      closers.push(() => stores.close());
      return { stores, relay, schema };
    },
  };
}
