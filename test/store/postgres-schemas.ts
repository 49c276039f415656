// Helpers of the PostgreSQL adapter's own tests: the server from DATABASE_URL (skipped when unset
// on a developer machine, a failure under CI=true), a fresh schema with a random name for each
// test, dropped after it so runs never collide, and child `node` processes with the adapter as
// `ADAPTER` and node-postgres as `pg`, for races between processes.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { requireEnv } from '../helpers/peers.ts';
import { type Child, spawnNode } from './sqlite-child.ts';

const EXAMPLE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface PostgresTestServer {
  /** DATABASE_URL (set once the suite's `before` has run). */
  readonly url: string;
  /** A schema name no other test or run uses; dropped after the current test. */
  freshSchema(): string;
  /** A pool of the test's own, to look at or tamper with the tables (ended after the suite). */
  readonly admin: pg.Pool;
}

/**
 * Call inside a `describe`: needs DATABASE_URL before its tests, drops every schema handed out
 * by `freshSchema()` after each test (after the test's own afterEach hooks closed its stores).
 */
export function postgresTestServer(): PostgresTestServer {
  let url = '';
  let admin: pg.Pool | undefined;
  let handedOut: string[] = [];
  before(function () {
    url = requireEnv(this, 'DATABASE_URL', EXAMPLE_URL);
    admin = new pg.Pool({ connectionString: url, max: 2 });
  });
  afterEach(async () => {
    const schemas = handedOut;
    handedOut = [];
    for (const schema of schemas) await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
  after(async () => {
    await admin?.end();
  });
  return {
    get url() {
      return url;
    },
    freshSchema() {
      const schema = `mfakit_test_${randomBytes(8).toString('hex')}`;
      handedOut.push(schema);
      return schema;
    },
    get admin() {
      if (!admin) throw new Error('the PostgreSQL test server is ready in tests only');
      return admin;
    },
  };
}

const adapterUrl = new URL('../../adapters/postgres/index.ts', import.meta.url).href;

/** A child `node` process running `script` with `ADAPTER` (mfakit/adapters/postgres) and `pg` imported. */
export function spawnPostgresChild(script: string, env: Record<string, string>): Child {
  return spawnNode(`import pg from 'pg';\n${script}`, env, adapterUrl);
}
