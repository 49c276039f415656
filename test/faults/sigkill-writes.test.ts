// A process killed with SIGKILL in the middle of registering a method, importing OATH tokens,
// assigning a token, removing one or resetting a user, on PostgreSQL (see killed-child.ts for how
// the kill is placed between two writes): afterwards the database holds all of the operation or
// none of it — never a method without the counter that spent its confirmation code, a token held
// for a method that does not exist, or part of an import — and a restarted process does the
// operation. A reset is several writes by design: sessions are void from its first one, and it
// finishes when run again.
import assert from 'node:assert/strict';
import { createPostgresStores } from '../../adapters/postgres/index.ts';
import { createMfa } from '../../src/index.ts';
import { TOKEN_CSV } from '../helpers/policies.ts';
import { totpNow, totpSecretOf } from '../helpers/totp-now.ts';
import { postgresTestServer } from '../store/postgres-schemas.ts';
import { expectCleanExit } from '../store/sqlite-child.ts';
import { engineChild, heardFrom, holdLock, killWhileWaiting } from './killed-child.ts';

const ctx = { ip: '127.0.0.1' };

describe('faults: SIGKILL in the middle of a write leaves nothing half-written', function () {
  this.timeout(30_000);
  const postgres = postgresTestServer();
  let schema = '';
  let env = { DATABASE_URL: '', SCHEMA: '', APP_NAME: '' };

  beforeEach(async () => {
    schema = postgres.freshSchema();
    env = { DATABASE_URL: postgres.url, SCHEMA: schema, APP_NAME: `mfakit-kill-${schema.slice(-8)}` };
    // Migrated once here, so the children only open it.
    await (await createPostgresStores({ url: postgres.url, schema })).close();
  });

  /** The engine in this process, over the children's schema and key: to set up and to look. */
  async function sameEngine() {
    const stores = await createPostgresStores({ url: postgres.url, schema });
    const mfa = createMfa({
      stores,
      issuer: 'Faults',
      sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 3) }],
      audit: () => {},
    });
    return { mfa, close: () => stores.close() };
  }

  const table = (name: string) => `"${schema}".${name}`;
  const rows = async (sql: string, values: unknown[] = []) =>
    (await postgres.admin.query(sql.replaceAll('$schema', `"${schema}"`), values)).rows;

  it('registering an authenticator app: the method and the counter that spent its code, or neither', async () => {
    const child = engineChild(
      `
      const draft = await mfa.enrollment.begin('totp', 'alice', 'alice');
      say({ draftId: draft.draftId, secret: draft.fields.secret });
      const code = JSON.parse(await heard());
      say(await mfa.enrollment.confirm('totp', 'alice', draft.draftId, { code }, 'Phone', ctx));
      `,
      env,
    );
    const draft = await heardFrom<{ draftId: string; secret: string }>(child);
    // The method row may be written; its counter cannot be until the test lets go.
    const lock = await holdLock(postgres.admin, [`LOCK TABLE ${table('counters')} IN EXCLUSIVE MODE`]);
    try {
      child.process.stdin?.write(`${JSON.stringify(totpNow(draft.secret))}\n`);
      await killWhileWaiting(postgres.admin, child, env.APP_NAME, /counters/);
    } finally {
      await lock.release();
    }
    const methods = await rows('SELECT id FROM $schema.methods');
    assert.deepEqual(
      await rows(
        'SELECT m.id FROM $schema.methods m LEFT JOIN $schema.counters c ON c.key = m.counter_key WHERE c.key IS NULL',
      ),
      [],
      'no method without the counter that spent its confirmation code',
    );
    assert.deepEqual(
      await rows(
        `SELECT c.key FROM $schema.counters c LEFT JOIN $schema.methods m ON m.counter_key = c.key
         WHERE m.id IS NULL AND c.key LIKE 'totp:%'`,
      ),
      [],
      'no counter without its method',
    );

    // A restarted process registers it (the draft died with the killed one).
    const again = engineChild(
      `
      const draft = await mfa.enrollment.begin('totp', 'alice', 'alice');
      say(draft.fields.secret);
      const confirmed = await mfa.enrollment.confirm('totp', 'alice', draft.draftId, { code: JSON.parse(await heard()) }, 'Phone', ctx);
      say({ ok: confirmed.ok, methods: (await mfa.methods.list('alice')).length });
      `,
      env,
    );
    const secret = await heardFrom<string>(again);
    again.process.stdin?.write(`${JSON.stringify(totpNow(secret))}\n`);
    assert.deepEqual(await heardFrom(again), { ok: true, methods: methods.length + 1 });
    await expectCleanExit(again);
  });

  it('importing 5,000 OATH tokens: all of them or none, and no audit event for an import that did not happen', async () => {
    const serial = (n: number) => `TK-${String(n).padStart(5, '0')}`;
    const seed = 'a1'.repeat(20);
    const csv = `serial,secret,algorithm,digits,period,kind\n${Array.from(
      { length: 5000 },
      (_, i) => `${serial(i + 1)},${seed},sha1,6,30,totp`,
    ).join('\n')}\n`;
    // The test's own uncommitted row for one serial in the middle: the import's INSERT writes the
    // 2,499 rows before it, then waits for the test's transaction there.
    const lock = await holdLock(postgres.admin, [
      `INSERT INTO ${table('oath_tokens')} (serial, kind, sealed_secret, algorithm, digits, period, assigned_to, imported_at)
       VALUES ('${serial(2500)}', 'totp', 'x', 'sha1', 6, 30, NULL, 0)`,
    ]);
    const child = engineChild(`say(await mfa.tokens.importCsv(JSON.parse(await heard()), ctx));`, env);
    try {
      child.process.stdin?.write(`${JSON.stringify(csv)}\n`);
      await killWhileWaiting(postgres.admin, child, env.APP_NAME, /oath_tokens/);
    } finally {
      await lock.release();
    }
    assert.deepEqual(await rows('SELECT serial FROM $schema.oath_tokens'), [], 'none of the import');
    assert.deepEqual(await rows(`SELECT id FROM $schema.audit_events WHERE type = 'tokens_imported'`), []);

    const again = engineChild(`say(await mfa.tokens.importCsv(JSON.parse(await heard()), ctx));`, env);
    again.process.stdin?.write(`${JSON.stringify(csv)}\n`);
    assert.deepEqual(await heardFrom(again), { imported: 5000 });
    await expectCleanExit(again);
    assert.equal((await rows('SELECT count(*)::int AS n FROM $schema.oath_tokens'))[0]?.n, 5000);
  });

  it('assigning a hardware token: the token held and its method registered, or neither', async () => {
    const engine = await sameEngine();
    try {
      await engine.mfa.tokens.importCsv(TOKEN_CSV, { ip: '127.0.0.1' });
    } finally {
      await engine.close();
    }
    const assign = `say((await mfa.tokens.assign('HW-1', 'alice', 'Token', ctx)).kind);`;
    // The token's row may be updated; the method's cannot be written until the test lets go.
    const lock = await holdLock(postgres.admin, [`LOCK TABLE ${table('methods')} IN EXCLUSIVE MODE`]);
    const child = engineChild(`await heard(); ${assign}`, env);
    try {
      child.process.stdin?.write('go\n');
      await killWhileWaiting(postgres.admin, child, env.APP_NAME, /methods/);
    } finally {
      await lock.release();
    }
    const holder = async () =>
      (await rows(`SELECT assigned_to FROM $schema.oath_tokens WHERE serial = 'HW-1'`))[0];
    const methods = await rows('SELECT id FROM $schema.methods');
    assert.deepEqual(
      { holder: await holder(), methods: methods.length },
      methods.length === 0
        ? { holder: { assigned_to: null }, methods: 0 }
        : { holder: { assigned_to: 'alice' }, methods: 1 },
      'both or neither: never a token held by a user without its method',
    );

    const again = engineChild(assign, env);
    assert.equal(await heardFrom(again), 'totp');
    await expectCleanExit(again);
    assert.deepEqual(await holder(), { assigned_to: 'alice' });
    assert.equal((await rows('SELECT id FROM $schema.methods')).length, 1);
  });

  it('removing a hardware token: the method gone and the token free again, or neither', async () => {
    const engine = await sameEngine();
    try {
      await engine.mfa.tokens.importCsv(TOKEN_CSV, ctx);
      await engine.mfa.tokens.assign('HW-1', 'alice', 'Token', ctx);
    } finally {
      await engine.close();
    }
    const remove = `const [method] = await mfa.methods.list('alice'); say(await mfa.methods.remove('alice', method.id, ctx));`;
    // The method's row may be deleted; the token cannot be freed until the test lets go.
    const lock = await holdLock(postgres.admin, [`LOCK TABLE ${table('oath_tokens')} IN EXCLUSIVE MODE`]);
    const child = engineChild(`await heard(); ${remove}`, env);
    try {
      child.process.stdin?.write('go\n');
      await killWhileWaiting(postgres.admin, child, env.APP_NAME, /oath_tokens/);
    } finally {
      await lock.release();
    }
    const holder = async () =>
      (await rows(`SELECT assigned_to FROM $schema.oath_tokens WHERE serial = 'HW-1'`))[0];
    const methods = (await rows('SELECT id FROM $schema.methods')).length;
    assert.deepEqual(
      { holder: await holder(), methods },
      methods === 1
        ? { holder: { assigned_to: 'alice' }, methods: 1 }
        : { holder: { assigned_to: null }, methods: 0 },
      'both or neither: never a token held for a method that is gone',
    );

    if (methods === 1) {
      const again = engineChild(remove, env);
      assert.equal(await heardFrom(again), true);
      await expectCleanExit(again);
    }
    assert.deepEqual(await holder(), { assigned_to: null });
    assert.deepEqual(await rows('SELECT id FROM $schema.methods'), []);
  });

  it('resetting a user: killed half-way, old sessions are void already; a restarted process finishes the reset', async () => {
    const engine = await sameEngine();
    try {
      const { mfa } = engine;
      const draft = await mfa.enrollment.begin('totp', 'alice', 'alice');
      const code = totpNow(totpSecretOf(draft));
      assert.equal(
        (await mfa.enrollment.confirm('totp', 'alice', draft.draftId, { code }, 'Phone', ctx)).ok,
        true,
      );
      await mfa.tokens.importCsv(TOKEN_CSV, ctx);
      await mfa.tokens.assign('HW-1', 'alice', 'Token', ctx);
      await mfa.recoveryCodes.regenerate('alice', ctx);
    } finally {
      await engine.close();
    }
    const reset = `say(await mfa.admin.resetUser('alice', ctx) ?? 'reset');`;
    // Sessions and devices are revoked first; deleting the methods waits for the test.
    const lock = await holdLock(postgres.admin, [`LOCK TABLE ${table('methods')} IN EXCLUSIVE MODE`]);
    const startedAt = Date.now();
    const child = engineChild(`await heard(); ${reset}`, env);
    try {
      child.process.stdin?.write('go\n');
      await killWhileWaiting(postgres.admin, child, env.APP_NAME, /DELETE FROM .*methods/);
    } finally {
      await lock.release();
    }
    const epoch = await rows(`SELECT value FROM $schema.counters WHERE key = 'signin-epoch:alice'`);
    assert.ok(Number(epoch[0]?.value) >= startedAt, 'every session from before the reset is void');

    const again = engineChild(reset, env);
    assert.equal(await heardFrom(again), 'reset');
    await expectCleanExit(again);
    assert.deepEqual(await rows(`SELECT id FROM $schema.methods WHERE user_id = 'alice'`), []);
    assert.deepEqual(await rows(`SELECT assigned_to FROM $schema.oath_tokens`), [{ assigned_to: null }]);
    assert.deepEqual(await rows(`SELECT hash FROM $schema.recovery_codes WHERE user_id = 'alice'`), []);
  });
});
