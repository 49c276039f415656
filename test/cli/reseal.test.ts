// `mfakit reseal`, sealing-key rotation as an operator runs it: an application enrolls an
// authenticator app and imports OATH tokens under key A; the operator rotates to B (A kept as
// old), runs reseal, drops A — and every code still signs in, a token still in the inventory is
// still assignable. A second run changes nothing; a value under a key not given fails the run
// (exit 1) and stays as it was. Each run is audited in the store (`secrets_resealed`, by "cli",
// with its counts). On SQLite and, when DATABASE_URL is set, on PostgreSQL.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresStores } from '../../adapters/postgres/index.ts';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import type { SealingKey } from '../../src/crypto/seal.ts';
import { createMfa } from '../../src/engine/create-mfa.ts';
import { base32Decode } from '../../src/methods/otp/base32.ts';
import { hotpCode, totpCode } from '../../src/methods/otp/otp.ts';
import type { Stores } from '../../src/store/ports.ts';
import { mfakitInProcess } from '../helpers/mfakit-cli.ts';
import { testClock } from '../helpers/test-clock.ts';
import { totpSecretOf } from '../helpers/totp-now.ts';
import { postgresTestServer } from '../store/postgres-schemas.ts';

const A = { id: 'keyA', key: Buffer.alloc(32, 0xa1) };
const B = { id: 'keyB', key: Buffer.alloc(32, 0xb2) };
const CTX = { ip: '198.51.100.7' };
const TOKEN_SEED = Buffer.from('12345678901234567890', 'ascii');
const TOKEN_CSV = [
  'serial,secret,algorithm,digits,period,kind',
  `HW-0001,${TOKEN_SEED.toString('hex')},SHA1,6,,hotp`,
  `HW-0002,${TOKEN_SEED.toString('hex')},SHA1,6,,hotp`,
].join('\n');

const keysEnv = (...keys: SealingKey[]) => ({
  MFAKIT_SEALING_KEYS: keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(','),
});

const cli = mfakitInProcess;

/** The store in one place: how the application opens it, and what `--store` names. */
interface Place {
  open(): Promise<Stores>;
  args: string[];
}

function rotationCases(place: () => Promise<Place>) {
  const clock = testClock();
  const app = (stores: Stores, keys: SealingKey[]) =>
    createMfa({ stores, clock, issuer: 'App', sealingKeys: keys, audit: () => {} });
  const signIn = async (stores: Stores, keys: SealingKey[], userId: string, code: string) => {
    const mfa = app(stores, keys);
    const started = await mfa.beginSignIn({ userId, amr: ['pwd'], ip: CTX.ip });
    if (started.status !== 'mfa') throw new Error(`expected an MFA step, got ${started.status}`);
    return (await mfa.verifyPending(started.pending.id, { code }, CTX)).ok;
  };
  /** The runs' audit events in the store, newest first: `[current key, what the run counted]`. */
  const resealEvents = async (stores: Stores) =>
    (await stores.repository.listAudit({ limit: 100 }))
      .filter((e) => e.type === 'secrets_resealed')
      .map((e) => {
        assert.equal(e.userId, null);
        assert.equal(e.data.ip, '127.0.0.1');
        return [e.data.detail, e.data.data];
      });
  const sealedKeys = async (stores: Stores) => {
    const methods = await stores.repository.listMethodsPage(null, 100);
    const tokens = await stores.repository.listTokens();
    return [...methods.map((m) => String(m.data.sealedSecret)), ...tokens.map((t) => t.sealedSecret)].map(
      (sealed) => sealed.split('.')[1],
    );
  };

  it('enrolled under A, rotated to B, re-sealed, A dropped: codes sign in; a second run skips everything', async () => {
    const at = await place();
    let stores = await at.open();
    const mfa = app(stores, [A]);
    const draft = await mfa.enrollment.begin('totp', 'alice', 'alice');
    const seed = base32Decode(totpSecretOf(draft));
    const totpAt = (ms: number) =>
      totpCode(seed, { algorithm: 'sha1', digits: 6, period: 30, epochSeconds: Math.floor(ms / 1000) });
    assert.ok(
      (await mfa.enrollment.confirm('totp', 'alice', draft.draftId, { code: totpAt(clock.now()) }, '', CTX))
        .ok,
    );
    await mfa.tokens.importCsv(TOKEN_CSV, CTX);
    await mfa.tokens.assign('HW-0001', 'bob', 'Token', CTX);
    assert.deepStrictEqual(await sealedKeys(stores), ['keyA', 'keyA', 'keyA', 'keyA']);
    await stores.close?.();

    const run = await cli(['reseal', ...at.args, '--batch', '1'], keysEnv(B, A));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /under key keyB \(opening old values with keyA\), in batches of 1/);
    assert.match(
      run.stdout,
      /methods: 2 re-sealed, 0 already under keyB, 0 with nothing sealed, 0 deleted meanwhile, 0 failed/,
    );
    assert.match(run.stdout, /OATH tokens: 2 re-sealed, 0 already under keyB, 0 deleted meanwhile, 0 failed/);
    assert.match(run.stdout, /Every sealed secret is under keyB\. Keyed hashes made under keyA/);

    stores = await at.open();
    try {
      assert.deepStrictEqual(await sealedKeys(stores), ['keyB', 'keyB', 'keyB', 'keyB']);
      // The run is in the store's audit, by "cli", with what it counted.
      assert.deepStrictEqual(await resealEvents(stores), [
        [
          'keyB',
          {
            by: 'cli',
            oldKeys: ['keyA'],
            methods: { resealed: 2, current: 0, nothingSealed: 0, gone: 0, failed: 0, unknownKind: 0 },
            tokens: { resealed: 2, current: 0, gone: 0, failed: 0 },
            complete: true,
          },
        ],
      ]);
      // Key A is gone: alice's app and bob's token still give codes that sign in.
      clock.advance(30_000);
      assert.equal(await signIn(stores, [B], 'alice', totpAt(clock.now())), true);
      const hotp = (counter: number) => hotpCode(TOKEN_SEED, { algorithm: 'sha1', digits: 6, counter });
      assert.equal(await signIn(stores, [B], 'bob', hotp(1)), true);
      // The token still in the inventory opens under B alone when it is assigned.
      await app(stores, [B]).tokens.assign('HW-0002', 'carol', 'Token', CTX);
      assert.equal(await signIn(stores, [B], 'carol', hotp(1)), true);
    } finally {
      await stores.close?.();
    }

    const again = await cli(['reseal', ...at.args], keysEnv(B));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /methods: 0 re-sealed, 3 already under keyB/);
    assert.match(again.stdout, /OATH tokens: 0 re-sealed, 2 already under keyB/);
    const audited = await at.open();
    try {
      const [latest] = await resealEvents(audited);
      assert.deepStrictEqual(latest, [
        'keyB',
        {
          by: 'cli',
          oldKeys: [],
          methods: { resealed: 0, current: 3, nothingSealed: 0, gone: 0, failed: 0, unknownKind: 0 },
          tokens: { resealed: 0, current: 2, gone: 0, failed: 0 },
          complete: true,
        },
      ]);
    } finally {
      await audited.close?.();
    }
  });

  it('a value under a key not given fails the run (exit 1, named), stays as it was, and the rest is re-sealed', async () => {
    const at = await place();
    const stores = await at.open();
    const under = async (keys: SealingKey[], userId: string) => {
      const mfa = app(stores, keys);
      const draft = await mfa.enrollment.begin('totp', userId, userId);
      const seed = base32Decode(totpSecretOf(draft));
      const code = totpCode(seed, {
        algorithm: 'sha1',
        digits: 6,
        period: 30,
        epochSeconds: Math.floor(clock.now() / 1000),
      });
      assert.ok((await mfa.enrollment.confirm('totp', userId, draft.draftId, { code }, '', CTX)).ok);
    };
    await under([A], 'dora');
    await under([{ id: 'keyC', key: Buffer.alloc(32, 0xc3) }], 'erin');
    await stores.close?.();

    const run = await cli(['reseal', ...at.args], keysEnv(B, A));
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      /methods: 1 re-sealed, 0 already under keyB, 0 with nothing sealed, 0 deleted meanwhile, 1 failed/,
    );
    assert.match(
      run.stderr,
      /could not re-seal method \S+ \(totp\) of user erin: no sealing key with id keyC/,
    );
    assert.match(run.stderr, /not every stored secret is under keyB: keep the old keys configured/);
    const after = await at.open();
    try {
      const keyOf = async (userId: string) =>
        String((await after.repository.listMethods(userId))[0]?.data.sealedSecret).split('.')[1];
      assert.equal(await keyOf('erin'), 'keyC', 'left as it was');
      assert.equal(await keyOf('dora'), 'keyB');
      // Audited as incomplete, with the failure counted.
      assert.deepStrictEqual(await resealEvents(after), [
        [
          'keyB',
          {
            by: 'cli',
            oldKeys: ['keyA'],
            methods: { resealed: 1, current: 0, nothingSealed: 0, gone: 0, failed: 1, unknownKind: 0 },
            tokens: { resealed: 0, current: 0, gone: 0, failed: 0 },
            complete: false,
          },
        ],
      ]);
    } finally {
      await after.close?.();
    }
  });
}

describe('mfakit reseal', () => {
  describe('on SQLite', () => {
    let dir: string;
    let n = 0;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'mfakit-reseal-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    rotationCases(async () => {
      const path = join(dir, `app-${n++}.sqlite`);
      return { open: async () => createSqliteStores({ path }), args: ['--store', `sqlite:${path}`] };
    });
  });

  describe('on PostgreSQL', () => {
    const server = postgresTestServer();
    rotationCases(async () => {
      const schema = server.freshSchema();
      return {
        open: () => createPostgresStores({ url: server.url, schema }),
        args: ['--store', `postgres:${server.url}`, '--schema', schema],
      };
    });

    it('a schema that does not exist is refused (exit 1), not created', async () => {
      const schema = server.freshSchema();
      const res = await cli(['reseal', '--store', server.url, '--schema', schema], keysEnv(B, A));
      assert.equal(res.code, 1);
      assert.match(res.stderr, new RegExp(`\\(--store\\): no schema "${schema}"`));
      const found = await server.admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      assert.equal(found.rowCount, 0);
    });
  });

  it('refuses to run without the keys, and names a malformed --store or --batch (exit 2)', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [
        ['reseal', '--store', 'sqlite:x.sqlite'],
        {},
        /reseal needs the application's sealing keys: MFAKIT_SEALING_KEYS=/,
      ],
      [['reseal'], keysEnv(B), /reseal needs --store/],
      [
        ['reseal', '--store', 'mysql://x'],
        keysEnv(B),
        /--store must be sqlite:PATH, postgres:URL or postgres/,
      ],
      [['reseal', '--store', 'postgres'], keysEnv(B), /DATABASE_URL, which is not set/],
      [
        ['reseal', '--store', 'sqlite:x', '--batch', '0'],
        keysEnv(B),
        /--batch must be a number of records from 1 to 10000/,
      ],
    ];
    for (const [args, env, message] of cases) {
      const res = await cli(args, env);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, message);
    }
    const missing = await cli(['reseal', '--store', 'sqlite:/nonexistent/app.sqlite'], keysEnv(B, A));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such database file/);
    const bad = await cli(['reseal', '--store', 'sqlite:x'], { MFAKIT_SEALING_KEYS: 'keyB:c2hvcnQ=' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /MFAKIT_SEALING_KEYS: key keyB must be 32 bytes/);
  });
});
