// `mfakit tap issue|show|revoke`, run as an operator runs it (a child process on a real SQLite
// file): a pass issued by the CLI is verified by the application's engine on the same file with
// the same key; bad lifetimes and a missing key exit 2 with a message and write nothing.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import { createMfa } from '../../src/engine/create-mfa.ts';
import { ACCESS_PASS_ALPHABET } from '../../src/engine/temporary-access-pass.ts';
import { mfakit } from '../helpers/mfakit-cli.ts';

const KEY = Buffer.alloc(32, 0x5a);
const KEY_ENV = { MFAKIT_SEALING_KEY: KEY.toString('base64'), MFAKIT_SEALING_KEY_ID: 'app1' };
const USER = { ip: '203.0.113.7' };
const HOUR = 3_600_000;

/** The application's engine on the same file: its key `app1` listed after a newer one. */
function application(path: string, maxLifetimeMinutes?: number) {
  const stores = createSqliteStores({ path });
  const mfa = createMfa({
    stores,
    issuer: 'App',
    ...(maxLifetimeMinutes !== undefined ? { temporaryAccessPass: { maxLifetimeMinutes } } : {}),
    sealingKeys: [
      { id: 'app2', key: Buffer.alloc(32, 0x11) },
      { id: 'app1', key: KEY },
    ],
    audit: () => {},
  });
  return { mfa, close: async () => stores.close?.() };
}

describe('mfakit tap', function () {
  // Each case starts a Node process or several.
  this.timeout(120_000);
  let dir: string;
  let files = 0;
  const freshDb = async () => {
    const path = join(dir, `app-${files++}.sqlite`);
    await createSqliteStores({ path }).close?.();
    return path;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mfakit-tap-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('issue --json, then the application verifies the pass once on the same file; audited as by "cli"', async () => {
    const db = await freshDb();
    const before = Date.now();
    const res = await mfakit(
      ['tap', 'issue', '--user', 'alice', '--lifetime', '2h', '--db', db, '--json'],
      KEY_ENV,
    );
    assert.equal(res.code, 0, res.stderr);
    const issued = JSON.parse(res.stdout);
    assert.equal(issued.userId, 'alice');
    assert.equal(issued.oneTime, true);
    assert.match(issued.pass, new RegExp(`^[${ACCESS_PASS_ALPHABET}]{12}$`));
    const startsAt = Date.parse(issued.startsAt);
    assert.ok(startsAt >= before && startsAt <= Date.now());
    assert.equal(Date.parse(issued.expiresAt) - startsAt, 2 * HOUR);

    const app = application(db);
    try {
      assert.deepStrictEqual(await app.mfa.accessPasses.verify('alice', issued.pass, USER), {
        ok: true,
        id: issued.id,
        oneTime: true,
      });
      assert.deepStrictEqual(await app.mfa.accessPasses.verify('alice', issued.pass, USER), {
        ok: false,
        detail: 'used',
      });
      assert.equal((await app.mfa.accessPasses.get('alice'))?.createdBy, 'cli');
      const [event] = await app.mfa.admin
        .auditLog({ userId: 'alice', limit: 100 })
        .then((events) => events.filter((e) => e.type === 'access_pass_issued'));
      // The stored event keeps the engine event's fields; its own `data` is nested under `data`.
      assert.equal(event?.data.ip, '127.0.0.1');
      assert.deepStrictEqual(event?.data.data, {
        by: 'cli',
        startsAt,
        expiresAt: startsAt + 2 * HOUR,
        oneTime: true,
        lifetimeMinutes: 120,
      });
    } finally {
      await app.close();
    }
  });

  it('issue prints the pass once with its validity; show never prints it; --multi and --start; revoke', async () => {
    const db = await freshDb();
    const start = new Date(Date.now() + 2 * HOUR).toISOString();
    const res = await mfakit(
      ['tap', 'issue', '--user', 'bob', '--lifetime', '90', '--multi', '--start', start, '--db', db],
      KEY_ENV,
    );
    assert.equal(res.code, 0, res.stderr);
    const pass = /^ {2}([A-Z2-9]{12})$/m.exec(res.stdout)?.[1];
    assert.ok(pass, res.stdout);
    assert.match(res.stdout, /shown only now/);
    assert.match(res.stdout, new RegExp(`valid from ${start} until \\S+ \\(90 minutes\\), multi-use`));

    const shown = await mfakit(['tap', 'show', '--user', 'bob', '--db', db]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^Temporary Access Pass for bob: pending\n/);
    assert.match(shown.stdout, /use +multi-use/);
    assert.match(shown.stdout, /issued .* by cli/);
    const json = await mfakit(['tap', 'show', '--user', 'bob', '--db', db, '--json']);
    assert.equal(JSON.parse(json.stdout).state, 'pending');
    assert.equal(JSON.parse(json.stdout).startsAt, start);
    for (const out of [shown.stdout, json.stdout]) assert.ok(!out.includes(pass), 'show prints no pass');

    const app = application(db);
    try {
      assert.deepStrictEqual(await app.mfa.accessPasses.verify('bob', pass, USER), {
        ok: false,
        detail: 'not_started',
      });
    } finally {
      await app.close();
    }

    const revoked = await mfakit(['tap', 'revoke', '--user', 'bob', '--db', db]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /revoked the Temporary Access Pass of bob/);
    const again = await mfakit(['tap', 'revoke', '--user', 'bob', '--db', db]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /bob has no Temporary Access Pass; nothing revoked/);
    assert.equal(
      (await mfakit(['tap', 'show', '--user', 'bob', '--db', db])).stdout,
      'bob has no Temporary Access Pass\n',
    );
  });

  it('a bad lifetime exits 2 with a message and writes nothing; MFAKIT_TAP_MAX_LIFETIME allows longer', async () => {
    const db = await freshDb();
    const issue = (lifetime: string, env: Record<string, string> = {}) =>
      mfakit(['tap', 'issue', '--user', 'carol', '--lifetime', lifetime, '--db', db, '--json'], {
        ...KEY_ENV,
        ...env,
      });
    const cases: [string, RegExp][] = [
      ['soon', /--lifetime must be minutes or a duration such as 30m, 1h, 2d \(got "soon"\)/],
      ['1w', /--lifetime must be minutes or a duration/],
      ['5m', /lifetime must be a whole number of minutes from 10 to 480 \(got 5\)/],
      ['2d', /from 10 to 480 \(got 2880\) \(MFAKIT_TAP_MAX_LIFETIME raises the maximum, up to 30d\)/],
    ];
    for (const [lifetime, message] of cases) {
      const res = await issue(lifetime);
      assert.equal(res.code, 2, `${lifetime}: ${res.stderr}`);
      assert.match(res.stderr, message);
      assert.equal(res.stdout, '');
    }
    const tooFar = await issue('31d', { MFAKIT_TAP_MAX_LIFETIME: '31d' });
    assert.equal(tooFar.code, 2);
    assert.match(tooFar.stderr, /MFAKIT_TAP_MAX_LIFETIME: .*maxLifetimeMinutes/);
    assert.equal(
      (await mfakit(['tap', 'show', '--user', 'carol', '--db', db])).stdout,
      'carol has no Temporary Access Pass\n',
    );

    const long = await issue('2d', { MFAKIT_TAP_MAX_LIFETIME: '3d' });
    assert.equal(long.code, 0, long.stderr);
    const issued = JSON.parse(long.stdout);
    assert.equal(Date.parse(issued.expiresAt) - Date.parse(issued.startsAt), 48 * HOUR);
    // An application that allows only the default 8 hours refuses it; one that allows 3 days accepts it.
    const strict = application(db);
    const lenient = application(db, 3 * 24 * 60);
    try {
      assert.deepEqual(await strict.mfa.accessPasses.verify('carol', issued.pass, USER), {
        ok: false,
        detail: 'lifetime_exceeded',
      });
      assert.equal((await lenient.mfa.accessPasses.verify('carol', issued.pass, USER)).ok, true);
    } finally {
      await strict.close();
      await lenient.close();
    }
  });

  it('issue without the application key (or its id) exits 2 with a clear message and writes nothing', async () => {
    const db = await freshDb();
    for (const env of [
      { MFAKIT_SEALING_KEY: '', MFAKIT_SEALING_KEY_ID: '' },
      { MFAKIT_SEALING_KEY: '', MFAKIT_SEALING_KEY_ID: 'app1' },
      { MFAKIT_SEALING_KEY: KEY_ENV.MFAKIT_SEALING_KEY, MFAKIT_SEALING_KEY_ID: '' },
    ]) {
      const res = await mfakit(['tap', 'issue', '--user', 'dave', '--db', db], env);
      assert.equal(res.code, 2, res.stderr);
      assert.match(
        res.stderr,
        /tap issue needs the application's sealing key.*MFAKIT_SEALING_KEY.*MFAKIT_SEALING_KEY_ID/,
      );
      assert.equal(res.stdout, '');
    }
    assert.equal(
      (await mfakit(['tap', 'show', '--user', 'dave', '--db', db])).stdout,
      'dave has no Temporary Access Pass\n',
    );
  });

  it('usage errors exit 2', async () => {
    const db = await freshDb();
    const cases: [string[], RegExp][] = [
      [['tap'], /tap needs a subcommand/],
      [['tap', 'frob', '--user', 'a', '--db', db], /unknown tap subcommand "frob"/],
      [['tap', 'issue', '--db', db], /tap issue needs --user ID/],
      [['tap', 'show', '--user', 'a'], /tap show needs --store \(or --db FILE\)/],
      [
        ['tap', 'issue', '--user', 'a', '--db', db, '--once', '--multi'],
        /--once and --multi exclude each other/,
      ],
      [
        ['tap', 'issue', '--user', 'a', '--db', db, '--start', '2030-01-01T09:00'],
        /--start must be an ISO date-time with a zone/,
      ],
      [
        [
          'tap',
          'issue',
          '--user',
          'a',
          '--db',
          db,
          '--start',
          new Date(Date.now() + 40 * 24 * HOUR).toISOString(),
        ],
        /at most 30 days ahead/,
      ],
      [['tap', 'show', '--user', 'a', '--db', db, '--lifetime', '1h'], /tap show does not take --lifetime/],
      [['tap', 'revoke', '--user', 'a', '--db', db, 'extra'], /tap revoke takes no arguments/],
    ];
    for (const [args, message] of cases) {
      const res = await mfakit(args, KEY_ENV);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, message);
    }
  });
});
