// `mfakit app-passwords list|revoke --user ID STORE`, as an administrator runs it when a user
// loses a device, on an SQLite file and on a PostgreSQL schema: list shows exactly what the
// application's engine created (ids, names, applications, creation, last use, expiry) and never
// a hash or password; revoke removes the one --id names or all of the user's (never another
// user's), audited as `app_password_revoked` with detail `admin`, and the application's legacy
// sign-in with a revoked password fails; an id that is none of the user's exits 1 and deletes
// nothing; usage errors and identifiers holding control characters exit 2 before any store is read.
import assert from 'node:assert/strict';
import type { Stores } from '../../src/store/ports.ts';
import { appPasswordEngine, CTX } from '../helpers/app-password-engine.ts';
import { cliPostgresSchemas } from '../helpers/cli-postgres-schemas.ts';
import { cliSqliteFiles } from '../helpers/cli-sqlite-files.ts';
import { mfakit, mfakitInProcess, type Run } from '../helpers/mfakit-cli.ts';

const DAY = 86_400_000;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The application's engine on `stores` (clock now) creates two app passwords for alice and one
 * for bob; alice's mail one has signed in once. An expired one of alice's, created 40 days ago,
 * is added to the store beside them with a hash the engine made.
 */
async function seed(stores: Stores) {
  const t = appPasswordEngine({
    stores,
    appPasswords: {
      enabled: true,
      apps: [
        { id: 'mail', name: 'Mail' },
        { id: 'vpn', name: 'VPN' },
      ],
      lifetimeDays: 30,
    },
  });
  t.clock.set(Date.now());
  const alice = await t.signedIn('alice');
  const mail = await t.mfa.appPasswords.create(
    alice,
    { name: 'Mail on my phone', apps: ['mail', 'vpn'] },
    CTX,
  );
  t.clock.advance(1000);
  const calendar = await t.mfa.appPasswords.create(alice, { name: 'Calendar feed', apps: ['mail'] }, CTX);
  const bob = await t.mfa.appPasswords.create(
    await t.signedIn('bob'),
    { name: "Bob's VPN", apps: ['vpn'] },
    CTX,
  );
  t.clock.advance(120_000);
  assert.ok((await t.legacy('alice', mail.password)).ok);
  const [stored] = await stores.repository.listAppPasswords('alice');
  const now = t.clock.now();
  const old = {
    id: 'old-laptop-1',
    userId: 'alice',
    name: 'Old laptop',
    hash: stored?.hash ?? '',
    apps: ['vpn'],
    createdAt: now - 40 * DAY,
    expiresAt: now - 10 * DAY,
    lastUsedAt: now - 12 * DAY,
  };
  assert.equal(await stores.repository.addAppPassword(old, 10), true);
  return { t, mail, calendar, bob, old };
}

/** The app_password_revoked events of `user` in the store: [id, detail, ip]. */
async function revocations(stores: Stores, user: string) {
  return (await stores.repository.listAudit({ userId: user, limit: 1000 }))
    .filter((e) => e.type === 'app_password_revoked')
    .map((e) => [e.data.methodId, e.data.detail, e.data.ip])
    .sort();
}

/** The cases every store runs: `store()` gives a fresh one with its CLI options. */
function appPasswordCases(
  store: () => Promise<{ stores: Stores; args: string[] }>,
  cli: (args: string[]) => Promise<Run>,
) {
  it('list --json shows what the engine created, oldest first, expired flagged, with no hash or password', async () => {
    const { stores, args } = await store();
    const { t, mail, calendar, old } = await seed(stores);
    const res = await cli(['app-passwords', 'list', '--user', 'alice', ...args, '--json']);
    assert.equal(res.code, 0, res.stderr);
    const listed = JSON.parse(res.stdout);
    // Written out from what was created: the CLI must print each field as it is.
    assert.deepStrictEqual(listed, [
      {
        id: old.id,
        name: 'Old laptop',
        apps: ['vpn'],
        createdAt: iso(old.createdAt),
        lastUsedAt: iso(old.lastUsedAt),
        expiresAt: iso(old.expiresAt),
        expired: true,
      },
      {
        id: mail.id,
        name: 'Mail on my phone',
        apps: ['mail', 'vpn'],
        createdAt: iso(mail.createdAt),
        lastUsedAt: iso(t.clock.now()),
        expiresAt: iso(mail.createdAt + 30 * DAY),
        expired: false,
      },
      {
        id: calendar.id,
        name: 'Calendar feed',
        apps: ['mail'],
        createdAt: iso(calendar.createdAt),
        lastUsedAt: null,
        expiresAt: iso(calendar.createdAt + 30 * DAY),
        expired: false,
      },
    ]);
    for (const s of listed)
      assert.deepStrictEqual(Object.keys(s).sort(), [
        'apps',
        'createdAt',
        'expired',
        'expiresAt',
        'id',
        'lastUsedAt',
        'name',
      ]);
    for (const record of await stores.repository.listAppPasswords('alice'))
      assert.ok(!res.stdout.includes(record.hash.slice(-20)), 'no hash is printed');
    for (const p of [mail, calendar])
      assert.ok(!res.stdout.includes(p.password.replaceAll(' ', '').slice(0, 8)), 'no password is printed');
  });

  it('list as text: each with its applications, creation, last use and expiry; none for a user without', async () => {
    const { stores, args } = await store();
    const { t, mail, calendar, old } = await seed(stores);
    const res = await cli(['app-passwords', 'list', '--user', 'alice', ...args]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(
      res.stdout,
      [
        'App passwords of alice: 3',
        `  ${old.id}  Old laptop`,
        '    apps       vpn',
        `    created    ${iso(old.createdAt)}`,
        `    last used  ${iso(old.lastUsedAt)}`,
        `    expires    ${iso(old.expiresAt)} (expired)`,
        `  ${mail.id}  Mail on my phone`,
        '    apps       mail, vpn',
        `    created    ${iso(mail.createdAt)}`,
        `    last used  ${iso(t.clock.now())}`,
        `    expires    ${iso(mail.expiresAt)}`,
        `  ${calendar.id}  Calendar feed`,
        '    apps       mail',
        `    created    ${iso(calendar.createdAt)}`,
        '    last used  never',
        `    expires    ${iso(calendar.expiresAt)}`,
        '',
      ].join('\n'),
    );
    const none = await cli(['app-passwords', 'list', '--user', 'carol', ...args]);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, 'carol has no app passwords\n');
    assert.equal((await cli(['app-passwords', 'list', '--user', 'carol', ...args, '--json'])).stdout, '[]\n');
  });

  it('revoke --id removes that one only, audited as admin; the application refuses its password after', async () => {
    const { stores, args } = await store();
    const { t, mail, calendar, bob, old } = await seed(stores);
    const res = await cli(['app-passwords', 'revoke', '--user', 'alice', '--id', mail.id, ...args]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `revoked 1 app password of alice (${mail.id})\n`);
    assert.deepStrictEqual(
      (await stores.repository.listAppPasswords('alice')).map((r) => r.id),
      [old.id, calendar.id],
    );
    assert.deepStrictEqual(await revocations(stores, 'alice'), [[mail.id, 'admin', '127.0.0.1']]);
    assert.equal(
      (await t.legacy('alice', mail.password)).ok,
      false,
      'the revoked password no longer signs in',
    );
    assert.equal((await t.legacy('alice', calendar.password)).ok, true, 'the other one still does');
    assert.equal((await stores.repository.listAppPasswords('bob'))[0]?.id, bob.id);
  });

  it("revoke without --id removes all of the user's and says how many; another user's stay", async () => {
    const { stores, args } = await store();
    const { t, mail, calendar, bob, old } = await seed(stores);
    const res = await cli(['app-passwords', 'revoke', '--user', 'alice', ...args]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'revoked 3 app passwords of alice\n');
    assert.deepStrictEqual(await stores.repository.listAppPasswords('alice'), []);
    assert.deepStrictEqual(
      await revocations(stores, 'alice'),
      [old.id, mail.id, calendar.id].sort().map((id) => [id, 'admin', '127.0.0.1']),
    );
    for (const p of [mail, calendar]) assert.equal((await t.legacy('alice', p.password)).ok, false);
    assert.equal((await t.legacy('bob', bob.password, 'vpn')).ok, true, "bob's still signs in");
    assert.deepStrictEqual(await revocations(stores, 'bob'), []);
    const again = await cli(['app-passwords', 'revoke', '--user', 'alice', ...args]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'revoked 0 app passwords of alice\n');
  });

  it("revoke --id naming none of the user's (unknown, or another user's) exits 1 with a message and deletes nothing", async () => {
    const { stores, args } = await store();
    const { bob } = await seed(stores);
    for (const id of ['no-such-id', bob.id]) {
      const res = await cli(['app-passwords', 'revoke', '--user', 'alice', '--id', id, ...args]);
      assert.equal(res.code, 1, res.stdout);
      assert.equal(res.stdout, '');
      assert.match(
        res.stderr,
        new RegExp(
          `^mfakit: alice has no app password with id "${id}"; nothing revoked \\(app-passwords list shows the ids\\)\\n$`,
        ),
      );
    }
    assert.equal((await stores.repository.listAppPasswords('alice')).length, 3);
    assert.equal((await stores.repository.listAppPasswords('bob')).length, 1);
    assert.deepStrictEqual(await revocations(stores, 'alice'), []);
  });

  it('a user id or --id holding a control character is refused (exit 2) before the store is read', async () => {
    const { stores, args } = await store();
    await seed(stores);
    for (const [argv, shown] of [
      [['list', '--user', 'ali\u0000ce'], '"ali\\u0000ce"'],
      [['revoke', '--user', 'alice\n'], '"alice\\n"'],
      [['list', '--user', '\u001b[2Jalice', '--json'], '"\\u001b[2Jalice"'],
      [['revoke', '--user', 'alice', '--id', 'x\u0000'], '"x\\u0000"'],
    ] as const) {
      const res = await cli(['app-passwords', ...argv, ...args]);
      assert.equal(res.code, 2, `${JSON.stringify(argv)}: ${res.stderr}`);
      assert.equal(res.stdout, '');
      assert.ok(res.stderr.includes(`must not contain control characters (got ${shown})`), res.stderr);
      assert.ok(!res.stderr.includes('\u0000') && !res.stderr.includes('\u001b'), 'printed escaped');
    }
    assert.equal((await stores.repository.listAppPasswords('alice')).length, 3);
  });
}

describe('mfakit app-passwords', function () {
  this.timeout(120_000);

  it('usage errors exit 2 with the usage and read no store', async () => {
    const cases: [string[], RegExp][] = [
      [['app-passwords'], /app-passwords needs a subcommand: list or revoke/],
      [['app-passwords', 'reset', '--user', 'a', '--db', 'x'], /unknown app-passwords subcommand "reset"/],
      [['app-passwords', 'list', '--db', 'x'], /app-passwords list needs --user ID/],
      [['app-passwords', 'revoke', '--user', '', '--db', 'x'], /app-passwords revoke needs --user ID/],
      [['app-passwords', 'list', '--user', 'a'], /app-passwords list needs --store \(or --db FILE\)/],
      [
        ['app-passwords', 'list', '--user', 'a', '--db', 'x', '--id', 'y'],
        /app-passwords list does not take --id/,
      ],
      [
        ['app-passwords', 'revoke', '--user', 'a', '--db', 'x', '--json'],
        /app-passwords revoke does not take --json/,
      ],
      [
        ['app-passwords', 'revoke', '--user', 'a', '--db', 'x', '--id', ''],
        /--id needs the id of an app password/,
      ],
      [
        ['app-passwords', 'revoke', '--user', 'a', '--db', 'x', 'all'],
        /app-passwords revoke takes no arguments/,
      ],
      [['app-passwords', 'list', '--user', 'a', '--db', 'x', '--all'], /Unknown option '--all'/],
    ];
    for (const [args, message] of cases) {
      // `x` is no database: a usage error is found before any store is opened.
      const res = await mfakitInProcess(args);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, message);
      assert.match(res.stderr, /Usage:[\s\S]*mfakit app-passwords revoke --user ID STORE \[--id ID\]/);
      assert.equal(res.stdout, '');
    }
  });

  describe('on an SQLite file (--db, --store sqlite:)', () => {
    const { fresh } = cliSqliteFiles('mfakit-app-passwords-');

    appPasswordCases(
      () => fresh('db'),
      (args) => mfakitInProcess(args),
    );

    it('as a child process, the way an operator runs it, with no sealing key set (--store sqlite:PATH)', async () => {
      const { stores, args } = await fresh('store');
      const { mail } = await seed(stores);
      const env = { MFAKIT_SEALING_KEY: '', MFAKIT_SEALING_KEY_ID: '', MFAKIT_SEALING_KEYS: '' };
      const listed = await mfakit(['app-passwords', 'list', '--user', 'alice', ...args, '--json'], env);
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(JSON.parse(listed.stdout).length, 3);
      const revoked = await mfakit(
        ['app-passwords', 'revoke', '--user', 'alice', '--id', mail.id, ...args],
        env,
      );
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal(revoked.stdout, `revoked 1 app password of alice (${mail.id})\n`);
      assert.deepStrictEqual(await revocations(stores, 'alice'), [[mail.id, 'admin', '127.0.0.1']]);
    });
  });

  describe('on a PostgreSQL schema (--store postgres…, --schema)', () => {
    const { fresh, cli } = cliPostgresSchemas();

    appPasswordCases(() => fresh('url'), cli);

    it('--store postgres reads DATABASE_URL', async () => {
      const { stores, args } = await fresh('env');
      await seed(stores);
      const res = await cli(['app-passwords', 'revoke', '--user', 'alice', ...args]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'revoked 3 app passwords of alice\n');
      assert.equal((await stores.repository.listAppPasswords('bob')).length, 1);
    });
  });
});
