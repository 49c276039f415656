// How the CLI's commands name the application's store (stores.ts): `--store sqlite:FILE`,
// `--store postgres:URL` or `--store postgres` with `--schema`, and `--db FILE`, the older
// spelling of `--store sqlite:FILE`, which keeps working. A store named twice, a schema for an
// SQLite file or for no store, a store of no known kind: usage errors (exit 2), nothing opened.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mfakitInProcess } from '../helpers/mfakit-cli.ts';

const cli = mfakitInProcess;

describe('mfakit: naming the store (--store, --schema, --db)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mfakit-store-options-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--db FILE and --store sqlite:FILE are one store: a document imported through one is listed through the other', async () => {
    const db = join(dir, 'app.sqlite');
    const file = join(dir, 'policies.json');
    await writeFile(file, JSON.stringify({ policies: [] }));
    const imported = await cli(['policies', 'import', file, '--db', db, '--create']);
    assert.equal(imported.code, 0, imported.stderr);
    const listed = await cli(['policies', 'list', '--store', `sqlite:${db}`, '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal((JSON.parse(listed.stdout) as { version: number }).version, 1);
    const missing = await cli(['policies', 'list', '--store', `sqlite:${join(dir, 'typo.sqlite')}`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /typo\.sqlite: no such database file/);
  });

  const cases: [string, string[], Record<string, string>, RegExp][] = [
    [
      'both --store and --db',
      ['policies', 'list', '--store', 'sqlite:x.sqlite', '--db', 'x.sqlite'],
      {},
      /give --store or --db \(the same as --store sqlite:FILE\), not both/,
    ],
    [
      '--schema with an SQLite store',
      ['tap', 'show', '--user', 'a', '--db', 'x.sqlite', '--schema', 'mfakit'],
      {},
      /--schema goes with a postgres store/,
    ],
    [
      '--schema without a store',
      ['what-if', '--user', 'a', '--ip', '192.0.2.1', '--policies', 'x', '--schema', 'mfakit'],
      {},
      /--schema goes with --store postgres:URL or postgres/,
    ],
    [
      'a policy file and a store',
      ['what-if', '--user', 'a', '--ip', '192.0.2.1', '--policies', 'x', '--store', 'sqlite:y'],
      {},
      /what-if needs exactly one of --policies FILE and --store \(or --db FILE\)/,
    ],
    [
      'a store of no known kind',
      ['tap', 'show', '--user', 'a', '--store', 'mysql://db'],
      {},
      /--store must be sqlite:PATH, postgres:URL or postgres \(got "mysql:\/\/db"\)/,
    ],
    [
      '--store postgres without DATABASE_URL',
      ['policies', 'list', '--store', 'postgres'],
      {},
      /DATABASE_URL, which is not set/,
    ],
    ['an empty --db', ['policies', 'list', '--db', ''], {}, /--db needs the database file/],
    [
      '--create beside a read',
      ['policies', 'list', '--db', 'y', '--create'],
      {},
      /policies list does not take --create/,
    ],
    [
      'a store for validate',
      ['policies', 'validate', 'x.json', '--store', 'sqlite:y'],
      {},
      /policies validate does not take --store/,
    ],
  ];
  for (const [name, args, env, message] of cases)
    it(`${name}: exit 2 with the usage, nothing created`, async () => {
      // Every file named is in the test's own directory.
      const res = await cli(
        args.map((arg) =>
          arg.replace(/^(sqlite:)?(\w+\.sqlite)$/, (_, scheme = '', file) => `${scheme}${join(dir, file)}`),
        ),
        env,
      );
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, message);
      assert.match(res.stderr, /Usage:\n {2}mfakit what-if/);
      assert.equal(res.stdout, '');
      assert.deepEqual(await readdir(dir), ['app.sqlite', 'policies.json']);
    });
});
