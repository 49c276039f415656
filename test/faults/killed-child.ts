// SIGKILL in the middle of a write, made deterministic: a child `node` process runs the engine on
// PostgreSQL; the test holds a lock (a table, or a row it is inserting) that one of the child's
// statements needs, waits until the server shows that statement waiting for it, and kills the
// child with SIGKILL there — after the writes before it, before the ones after it. The child's
// connections ask the server to check every 50 ms that their client is still there
// (`client_connection_check_interval`), so the waiting statement is aborted as soon as the process
// is gone, as it would be on a crash, rather than run when the lock is released.
import assert from 'node:assert/strict';
import type pg from 'pg';
import { spawnPostgresChild } from '../store/postgres-schemas.ts';
import type { Child } from '../store/sqlite-child.ts';

const mfakitUrl = new URL('../../src/index.ts', import.meta.url).href;

/**
 * A child with `mfa` (createMfa on PostgreSQL stores in `SCHEMA`, sealing key 3s, its connections
 * named `APP_NAME`), `say(value)` (one JSON line to the test) and `heard()` (the test's next
 * line), running `body`; then it closes its stores and exits.
 */
export function engineChild(
  body: string,
  env: { DATABASE_URL: string; SCHEMA: string; APP_NAME: string },
): Child {
  return spawnPostgresChild(
    `
    const { createMfa } = await import(${JSON.stringify(mfakitUrl)});
    const { createInterface } = await import('node:readline');
    const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
    const heard = async () => (await input.next()).value;
    const say = (value) => process.stdout.write(JSON.stringify(value) + '\\n');
    const pool = new pg.Pool({
      connectionString: process.env.DATABASE_URL,
      application_name: process.env.APP_NAME,
      options: '-c client_connection_check_interval=50',
    });
    pool.on('error', () => {});
    const stores = await ADAPTER.createPostgresStores({ pool, schema: process.env.SCHEMA });
    const mfa = createMfa({
      stores,
      issuer: 'Faults',
      sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 3) }],
      audit: () => {},
    });
    const ctx = { ip: '127.0.0.1' };
    ${body}
    await stores.close();
    await pool.end();
    process.stdin.destroy();
    `,
    env,
  );
}

/** The next JSON line of the child. */
export async function heardFrom<T>(child: Child): Promise<T> {
  return JSON.parse(await child.line()) as T;
}

async function poll<T>(what: string, ms: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Waits until a statement of the child's (connections named `appName`) waits on a lock, checks it
 * is the one expected (`statement` matches its text), SIGKILLs the child, and waits until the
 * server has dropped that statement's connection (its transaction rolled back).
 */
export async function killWhileWaiting(
  admin: pg.Pool,
  child: Child,
  appName: string,
  statement: RegExp,
): Promise<void> {
  const waiting = await poll('the child to wait on the lock', 10_000, async () => {
    const { rows } = await admin.query<{ pid: number; query: string }>(
      `SELECT pid, query FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
      [appName],
    );
    return rows[0];
  });
  assert.match(waiting.query, statement, 'killed in the middle of the expected write');
  child.process.kill('SIGKILL');
  const { signal } = await child.exited;
  assert.equal(signal, 'SIGKILL');
  await poll('the server to drop the killed process', 5_000, async () => {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [waiting.pid]);
    return rowCount === 0 ? true : undefined;
  });
}

/** A transaction of the test's own holding what the child will need, until `release()`. */
export async function holdLock(admin: pg.Pool, statements: string[]): Promise<{ release(): Promise<void> }> {
  const client = await admin.connect();
  await client.query('BEGIN');
  for (const sql of statements) await client.query(sql);
  return {
    async release() {
      await client.query('ROLLBACK');
      client.release();
    },
  };
}
