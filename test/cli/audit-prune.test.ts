// `mfakit audit prune --older-than DURATION STORE`, as an operator schedules it, on an SQLite
// file and on a PostgreSQL schema: events older than the retention are gone, recent ones are
// kept, the run is in the trail as `audit_pruned` by "cli"; a retention under a day (a typo
// such as `--older-than 0` or `1h`), a bad batch, a missing option and an unknown store exit 2
// with a message and delete nothing.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Stores } from '../../src/store/ports.ts';
import { cliPostgresSchemas } from '../helpers/cli-postgres-schemas.ts';
import { cliSqliteFiles } from '../helpers/cli-sqlite-files.ts';
import { mfakit, mfakitInProcess, type Run } from '../helpers/mfakit-cli.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How old each seeded event is: two beyond 90 days, two within. */
const AGES = { e200d: 200 * DAY, e91d: 91 * DAY, e89d: 89 * DAY, e1h: HOUR };

async function seed(stores: Stores) {
  for (const [id, age] of Object.entries(AGES))
    await stores.repository.appendAudit({
      id,
      at: Date.now() - age,
      type: 'verified',
      userId: 'alice',
      data: {},
    });
}

/** Every stored event, newest first. */
const stored = (stores: Stores) => stores.repository.listAudit({ limit: 1000 });

/** The cases every store runs: `store()` gives a fresh one with its CLI options. */
function pruneCases(
  store: () => Promise<{ stores: Stores; args: string[] }>,
  cli: (args: string[]) => Promise<Run>,
) {
  it('removes the events older than --older-than, keeps the recent ones, and records audit_pruned by "cli"', async () => {
    const { stores, args } = await store();
    await seed(stores);
    const started = Date.now();
    const res = await cli(['audit', 'prune', '--older-than', '90d', ...args]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^removed 2 audit events from before \S+Z; recorded as audit_pruned by cli\n$/);
    const [pruned, ...rest] = await stored(stores);
    assert.deepStrictEqual(
      rest.map((e) => e.id),
      ['e1h', 'e89d'],
    );
    assert.equal(pruned?.type, 'audit_pruned');
    const data = pruned?.data.data as { before: number; count: number; by: string };
    assert.equal(data.count, 2);
    assert.equal(data.by, 'cli');
    assert.ok(data.before >= started - 90 * DAY && data.before <= Date.now() - 90 * DAY);
    assert.equal(pruned?.data.ip, '127.0.0.1');
  });

  it('--json and --batch: every old event goes, a batch at a time', async () => {
    const { stores, args } = await store();
    await seed(stores);
    const res = await cli(['audit', 'prune', '--older-than', '2d', '--batch', '1', '--json', ...args]);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { removed: number; before: string };
    assert.equal(out.removed, 3);
    assert.ok(Math.abs(Date.parse(out.before) - (Date.now() - 2 * DAY)) < 60_000);
    assert.deepStrictEqual(
      (await stored(stores)).map((e) => e.type === 'audit_pruned' || e.id),
      [true, 'e1h'],
    );
  });

  for (const [what, argv, message] of [
    ['--older-than 0', ['--older-than', '0'], /--older-than must be at least 1d/],
    ['--older-than 1h (below a day)', ['--older-than', '1h'], /--older-than must be at least 1d/],
    ['--older-than 1439 (minutes, a minute short of a day)', ['--older-than', '1439'], /at least 1d/],
    ['--older-than 90x', ['--older-than', '90x'], /--older-than must be minutes or a duration/],
    ['no --older-than', [], /audit prune needs --older-than DURATION/],
    [
      '--batch 0',
      ['--older-than', '90d', '--batch', '0'],
      /--batch must be a number of events from 1 to 10000/,
    ],
    ['--batch 20000', ['--older-than', '90d', '--batch', '20000'], /--batch must be/],
    ['an argument', ['--older-than', '90d', 'extra'], /takes no arguments/],
  ] as const)
    it(`refuses ${what} with exit 2 and deletes nothing`, async () => {
      const { stores, args } = await store();
      await seed(stores);
      const res = await cli(['audit', 'prune', ...argv, ...args]);
      assert.equal(res.code, 2, res.stdout);
      assert.match(res.stderr, message);
      assert.match(res.stderr, /Usage:/);
      assert.equal(res.stdout, '');
      assert.deepStrictEqual(
        (await stored(stores)).map((e) => e.id),
        ['e1h', 'e89d', 'e91d', 'e200d'],
      );
    });
}

describe('mfakit audit prune', function () {
  this.timeout(120_000);

  it('refuses an unknown store, no store, and an unknown subcommand with exit 2', async () => {
    const unknown = await mfakitInProcess([
      'audit',
      'prune',
      '--older-than',
      '90d',
      '--store',
      'mysql://db/app',
    ]);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /--store must be sqlite:PATH, postgres:URL or postgres \(got "mysql:\/\/db\/app"\)/,
    );
    const none = await mfakitInProcess(['audit', 'prune', '--older-than', '90d']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /audit prune needs --store \(or --db FILE\)/);
    const sub = await mfakitInProcess(['audit', 'purge', '--older-than', '90d', '--db', 'x']);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /unknown audit subcommand "purge"/);
  });

  describe('on an SQLite file (--db, --store sqlite:)', () => {
    const { fresh, pathIn } = cliSqliteFiles('mfakit-audit-prune-');

    pruneCases(
      () => fresh('db'),
      (args) => mfakitInProcess(args),
    );

    it('as a child process, the way cron runs it (--store sqlite:PATH)', async () => {
      const { stores, args } = await fresh('store');
      await seed(stores);
      const res = await mfakit(['audit', 'prune', '--older-than', '90d', ...args]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^removed 2 audit events/);
      assert.deepStrictEqual(
        (await stored(stores)).map((e) => (e.id.startsWith('e') ? e.id : e.type)),
        ['audit_pruned', 'e1h', 'e89d'],
      );
    });

    it('a missing file is refused (exit 1) and not created', async () => {
      const path = pathIn('missing.sqlite');
      const res = await mfakitInProcess(['audit', 'prune', '--older-than', '90d', '--db', path]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /no such database file/);
      assert.equal(existsSync(path), false);
    });
  });

  describe('on a PostgreSQL schema (--store postgres…, --schema)', () => {
    const { server, fresh, cli } = cliPostgresSchemas();

    pruneCases(() => fresh('url'), cli);

    it('--store postgres reads DATABASE_URL', async () => {
      const { stores, args } = await fresh('env');
      await seed(stores);
      const res = await cli(['audit', 'prune', '--older-than', '90d', '--json', ...args]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(JSON.parse(res.stdout).removed, 2);
      assert.equal((await stored(stores)).length, 3);
    });

    it('a schema that does not exist is refused (exit 1) and left uncreated', async () => {
      const schema = server.freshSchema();
      const res = await cli([
        'audit',
        'prune',
        '--older-than',
        '90d',
        '--store',
        'postgres',
        '--schema',
        schema,
      ]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, new RegExp(`no schema "${schema}"`));
      const found = await server.admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      assert.equal(found.rowCount, 0);
    });
  });
});
