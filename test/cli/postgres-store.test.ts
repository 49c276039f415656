// `mfakit tap`, `mfakit policies` and `mfakit what-if` on an application's PostgreSQL schema
// (`--store postgres:URL --schema NAME`, or `--store postgres` with DATABASE_URL), as an operator
// runs them against a deployment on PostgreSQL: a pass issued by the CLI is verified once by the
// application's engine on the same schema; a document imported and enabled by the CLI is the one
// that engine obeys, and an application already running on the schema hears of the change at
// once (LISTEN/NOTIFY, before the command exits); every change is audited there as by "cli". A
// schema that does not exist is refused and left uncreated, unless `policies import --create` is
// asked to create it.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresStores, type PostgresStores } from '../../adapters/postgres/index.ts';
import { createMfa } from '../../src/engine/create-mfa.ts';
import { ACCESS_PASS_ALPHABET } from '../../src/engine/temporary-access-pass.ts';
import { mfakit, mfakitInProcess } from '../helpers/mfakit-cli.ts';
import { testClock } from '../helpers/test-clock.ts';
import { postgresTestServer } from '../store/postgres-schemas.ts';

const APP1 = { id: 'app1', key: Buffer.alloc(32, 0x5a) };
const APP2 = { id: 'app2', key: Buffer.alloc(32, 0x11) };
/** The application's keys as the CLI takes them: app2 current, app1 still listed. */
const KEYS_ENV = {
  MFAKIT_SEALING_KEYS: `app2:${APP2.key.toString('base64')},app1:${APP1.key.toString('base64')}`,
};
const USER = { ip: '203.0.113.7' };

const blockLegacy = {
  id: 'block-legacy',
  name: 'Block legacy clients',
  state: 'reportOnly',
  assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
  conditions: { clientAppTypes: ['legacy'] },
  grant: { block: true },
};
const mfaEverywhere = {
  id: 'mfa-everywhere',
  name: 'MFA everywhere',
  state: 'on',
  assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
  grant: { controls: ['mfa'] },
};

/** The command line in this process, for the many short commands (DATABASE_URL as this process has it). */
const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
  mfakitInProcess(args, { DATABASE_URL: process.env.DATABASE_URL, ...env });

describe('mfakit on PostgreSQL (--store postgres…, --schema)', function () {
  // The tap cases start Node processes.
  this.timeout(120_000);
  let dir = '';
  const opened: PostgresStores[] = [];
  // Closed before the server's own hook drops the test's schemas (hooks run in this order).
  afterEach(async () => {
    for (const stores of opened.splice(0)) await stores.close();
  });
  const server = postgresTestServer();
  /** The application's stores on `schema` (created and migrated as the application does at start). */
  const appStores = async (schema: string) => {
    const stores = await createPostgresStores({ url: server.url, schema });
    opened.push(stores);
    return stores;
  };
  const schemaExists = async (schema: string) =>
    (await server.admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount === 1;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mfakit-cli-pg-'));
  });
  after(async () => {
    // Without DATABASE_URL the suite is skipped before `before` made the directory.
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('tap issue (a child process), then the application on the same schema verifies the pass once; show and revoke; audited as by "cli"', async () => {
    const schema = server.freshSchema();
    const stores = await appStores(schema);
    const app = createMfa({ stores, issuer: 'App', sealingKeys: [APP2, APP1], audit: () => {} });
    const store = ['--store', `postgres:${server.url}`, '--schema', schema];

    const issued = await mfakit(['tap', 'issue', '--user', 'alice', '--lifetime', '2h', ...store, '--json'], {
      ...KEYS_ENV,
      MFAKIT_SEALING_KEY: '',
    });
    assert.equal(issued.code, 0, issued.stderr);
    const pass = JSON.parse(issued.stdout) as { id: string; pass: string; userId: string };
    assert.equal(pass.userId, 'alice');
    assert.match(pass.pass, new RegExp(`^[${ACCESS_PASS_ALPHABET}]{12}$`));

    // Stored in the schema: read through the adapter, verified by the application's engine.
    const record = await stores.repository.getAccessPass('alice');
    assert.equal(record?.id, pass.id);
    assert.equal(record?.createdBy, 'cli');
    assert.deepStrictEqual(await app.accessPasses.verify('alice', pass.pass, USER), {
      ok: true,
      id: pass.id,
      oneTime: true,
    });
    assert.deepStrictEqual(await app.accessPasses.verify('alice', pass.pass, USER), {
      ok: false,
      detail: 'used',
    });
    const events = await stores.repository.listAudit({ userId: 'alice', limit: 100 });
    const issuedEvent = events.find((e) => e.type === 'access_pass_issued');
    assert.equal((issuedEvent?.data.data as { by?: string } | undefined)?.by, 'cli');

    // --store postgres alone reads DATABASE_URL.
    const shown = await cli(['tap', 'show', '--user', 'alice', '--store', 'postgres', '--schema', schema]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^Temporary Access Pass for alice: used\n/);
    assert.ok(!shown.stdout.includes(pass.pass), 'show prints no pass');

    const revoked = await mfakit(['tap', 'revoke', '--user', 'alice', ...store]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(await stores.repository.getAccessPass('alice'), null);
    assert.equal(await app.accessPasses.get('alice'), null);
    const again = await cli(['tap', 'revoke', '--user', 'alice', ...store]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /alice has no Temporary Access Pass; nothing revoked/);
  });

  it('a schema that does not exist is refused (exit 1) and not created, also by tap issue and what-if', async () => {
    const schema = server.freshSchema();
    const store = ['--store', server.url, '--schema', schema];
    for (const args of [
      ['tap', 'issue', '--user', 'bob', ...store],
      ['tap', 'show', '--user', 'bob', ...store],
      ['policies', 'list', ...store],
      ['what-if', '--user', 'bob', '--ip', '198.51.100.7', ...store],
    ]) {
      const res = await cli(args, KEYS_ENV);
      assert.equal(res.code, 1, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, new RegExp(`\\(--store\\): no schema "${schema}"`));
    }
    assert.equal(await schemaExists(schema), false);
  });

  it('policies import (--create makes the schema), list, enable, export: the document the application obeys; what-if on the schema; audited as by "cli"', async () => {
    const schema = server.freshSchema();
    const store = ['--store', `postgres:${server.url}`, '--schema', schema];
    const file = join(dir, 'policies.json');
    await writeFile(file, JSON.stringify({ policies: [mfaEverywhere, blockLegacy] }));

    const refused = await cli(['policies', 'import', file, ...store]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`no schema "${schema}"`));
    assert.equal(await schemaExists(schema), false);
    const imported = await cli(['policies', 'import', file, ...store, '--create']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /version 1, 2 policies/);
    assert.equal(await schemaExists(schema), true);

    const listed = await cli(['policies', 'list', ...store]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /Policies \(version 1\): 2/);
    assert.match(listed.stdout, /block-legacy\s+reportOnly/);
    const enabled = await cli([
      'policies',
      'enable',
      'block-legacy',
      '--store',
      'postgres',
      '--schema',
      schema,
    ]);
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.match(enabled.stdout, /block-legacy is now on: version 2/);
    const exported = await cli(['policies', 'export', ...store]);
    assert.deepEqual(
      (JSON.parse(exported.stdout) as { policies: { id: string; state: string }[] }).policies.map((p) => [
        p.id,
        p.state,
      ]),
      [
        ['mfa-everywhere', 'on'],
        ['block-legacy', 'on'],
      ],
    );

    // The saved document, read through the adapter; the application on the schema obeys it.
    const stores = await appStores(schema);
    const saved = await stores.repository.getPolicyDocument();
    assert.equal(saved?.version, 2);
    assert.equal(saved?.updatedBy, 'cli');
    const app = createMfa({ stores, issuer: 'App', sealingKeys: [APP2], policies: 'store', audit: () => {} });
    const legacy = await app.beginSignIn({ userId: 'carol', amr: ['pwd'], clientAppType: 'legacy', ...USER });
    assert.equal(legacy.status, 'blocked');
    const browser = await app.beginSignIn({
      userId: 'carol',
      amr: ['pwd'],
      clientAppType: 'browser',
      ...USER,
    });
    assert.notEqual(browser.status, 'blocked');

    const whatIf = await cli([
      'what-if',
      '--user',
      'carol',
      '--ip',
      USER.ip,
      '--client',
      'legacy',
      ...store,
      '--json',
    ]);
    assert.equal(whatIf.code, 0, whatIf.stderr);
    assert.equal((JSON.parse(whatIf.stdout) as { action: string }).action, 'block');

    const changes = (await stores.repository.listAudit({ limit: 100 })).filter(
      (e) => e.type === 'policies_changed',
    );
    assert.deepEqual(
      changes.map((e) => [
        (e.data as { detail?: string }).detail,
        (e.data.data as { version: number }).version,
      ]),
      [
        ['cli', 2],
        ['cli', 1],
      ],
    );
  });

  it('a policy the command line enables reaches an application running on the schema at once, before its refresh', async () => {
    const schema = server.freshSchema();
    const store = ['--store', `postgres:${server.url}`, '--schema', schema];
    const file = join(dir, 'policies-live.json');
    await writeFile(file, JSON.stringify({ policies: [mfaEverywhere, blockLegacy] }));
    assert.equal((await cli(['policies', 'import', file, ...store, '--create'])).code, 0);
    // The application's clock never moves, so it never re-reads the document on its own.
    const clock = testClock();
    const stores = await createPostgresStores({ url: server.url, schema, clock });
    opened.push(stores);
    const app = createMfa({
      stores,
      clock,
      issuer: 'App',
      sealingKeys: [APP2],
      policies: 'store',
      audit: () => {},
    });
    await app.ready();
    assert.equal((await app.policies.current()).version, 1);

    const enabled = await mfakit(['policies', 'enable', 'block-legacy', ...store]);
    assert.equal(enabled.code, 0, enabled.stderr);
    for (let i = 0; i < 300 && (await app.policies.current()).version !== 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal((await app.policies.current()).version, 2, 'heard from the command line, which has exited');
    const legacy = await app.beginSignIn({ userId: 'carol', amr: ['pwd'], clientAppType: 'legacy', ...USER });
    assert.equal(legacy.status, 'blocked');
  });
});
