/**
 * Safe registration of a first method on the sample federation server, over real HTTP: a
 * Temporary Access Pass issued by an administrator signs a user in (interaction login and the
 * security-info portal) to register methods, and a registration policy ("first method only
 * from the office network or with a Temporary Access Pass") is enforced — including against a
 * spoofed X-Forwarded-For.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createPostgresStores } from '../../adapters/postgres/index.ts';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import { loadFederationConfig } from '../../sample-idp/federation/config.ts';
import { loadOrCreateSecrets } from '../../sample-idp/federation/secrets.ts';
import { createFederationServer } from '../../sample-idp/federation/server.ts';
import type { AuditEvent } from '../../src/index.ts';
import { Browser, inputValue } from '../helpers/browser.ts';
import {
  atRp,
  enroll,
  type FederationStack,
  redeem,
  signInWithPassword,
  startFederationStack,
} from '../helpers/federation-stack.ts';
import { postgresTestServer } from '../store/postgres-schemas.ts';

const NEW_USERS = [
  {
    id: 'carol',
    name: 'Carol',
    email: 'carol@contoso.test',
    password: 'carol password',
    mfaState: 'enabled',
  },
  { id: 'erin', name: 'Erin', email: 'erin@contoso.test', password: 'erin password', mfaState: 'enabled' },
];

/** The README's example: registering security info only from the office, or with MFA (a TAP counts). */
const REGISTRATION_POLICY = {
  namedLocations: [{ id: 'office', name: 'Office', trusted: true, cidrs: ['10.0.0.0/8'] }],
  policies: [
    {
      id: 'register-from-office-or-tap',
      name: 'Register security info only from the office or with a Temporary Access Pass',
      state: 'on',
      assignments: { users: { include: ['all'] }, userActions: ['registerSecurityInfo'] },
      conditions: { locations: { include: ['any'], exclude: ['trusted'] } },
      grant: { controls: ['mfa'] },
    },
  ],
};

const ctx = { ip: '127.0.0.1', by: 'test-admin' };

describe('sample-idp: Temporary Access Pass and the registration policy', function () {
  this.timeout(60_000);
  let s: FederationStack;
  let events: AuditEvent[];
  beforeEach(async () => {
    events = [];
    s = await startFederationStack({
      users: NEW_USERS,
      policies: REGISTRATION_POLICY,
      audit: (e) => {
        events.push(e);
      },
    });
  });
  afterEach(async () => s.close());

  it('from outside the office a password alone cannot register the first method: the sign-in is refused, audited', async () => {
    const b = new Browser();
    const { page } = await signInWithPassword(b, s, 'carol', 'carol password');
    assert.ok(atRp(new URL(page.url)), page.url);
    const back = new URL(page.url);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.match(back.searchParams.get('error_description') ?? '', /Temporary Access Pass/);
    assert.ok(
      events.some(
        (e) =>
          e.type === 'registration_refused' &&
          e.userId === 'carol' &&
          e.data?.policy === 'register-from-office-or-tap',
      ),
    );
    assert.ok(!events.some((e) => e.type === 'enrolled'));
  });

  it('a spoofed X-Forwarded-For naming the office does not make the request come from there', async () => {
    const b = new Browser();
    b.extraHeaders['x-forwarded-for'] = '10.1.2.3';
    const { page } = await signInWithPassword(b, s, 'carol', 'carol password');
    assert.equal(new URL(page.url).searchParams.get('error'), 'access_denied');
  });

  it("an administrator's one-time pass signs the user in to register a method; amr tap, acr mfa; the pass is then spent", async () => {
    const issued = await s.fed.mfa.accessPasses.issue('carol', { lifetimeMinutes: 60, oneTime: true }, ctx);
    const b = new Browser();
    const { request, page, pwPage } = await signInWithPassword(
      b,
      s,
      'carol',
      issued.pass,
      {},
      'temporaryAccessPass',
    );
    assert.match(pwPage.text, /Enter Temporary Access Pass/);
    assert.match(page.url, /\/mfa$/, `expected enrollment, got ${page.url}`);
    const { next } = await enroll(b, s.fedUrl, page);
    const { claims } = await redeem(s, next, request);
    assert.deepEqual(claims.amr?.slice().sort(), ['mfa', 'otp', 'tap']);
    assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
    // Replayed in another browser: refused like a wrong pass.
    const again = await signInWithPassword(new Browser(), s, 'carol', issued.pass, {}, 'temporaryAccessPass');
    assert.equal(again.page.status, 401);
    assert.match(again.page.text, /Wrong user name or Temporary Access Pass/);
    assert.equal((await s.fed.mfa.accessPasses.get('carol'))?.state, 'used');
  });

  it("a pass is the user's only: another user's pass, a revoked or an expired pass signs nobody in", async () => {
    const carols = await s.fed.mfa.accessPasses.issue('carol', { lifetimeMinutes: 60, oneTime: false }, ctx);
    const other = await signInWithPassword(new Browser(), s, 'erin', carols.pass, {}, 'temporaryAccessPass');
    assert.equal(other.page.status, 401);
    await s.fed.mfa.accessPasses.revoke('carol', ctx);
    const revoked = await signInWithPassword(
      new Browser(),
      s,
      'carol',
      carols.pass,
      {},
      'temporaryAccessPass',
    );
    assert.equal(revoked.page.status, 401);
    const erins = await s.fed.mfa.accessPasses.issue('erin', { lifetimeMinutes: 10 }, ctx);
    s.clock.advance(11 * 60_000);
    const expired = await signInWithPassword(new Browser(), s, 'erin', erins.pass, {}, 'temporaryAccessPass');
    assert.equal(expired.page.status, 401);
  });

  it('passes and passwords have separate budgets: guessing passwords never blocks the way back in, guessing passes is throttled too', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await signInWithPassword(new Browser(), s, 'erin', `wrong password ${i}`);
      assert.equal(r.page.status, 401);
    }
    assert.equal((await signInWithPassword(new Browser(), s, 'erin', 'erin password')).page.status, 429);
    const issued = await s.fed.mfa.accessPasses.issue('erin', { lifetimeMinutes: 60, oneTime: true }, ctx);
    const withPass = await signInWithPassword(
      new Browser(),
      s,
      'erin',
      issued.pass,
      {},
      'temporaryAccessPass',
    );
    assert.match(withPass.page.url, /\/mfa$/, `the pass was refused: ${withPass.page.status}`);
    for (let i = 0; i < 5; i++) {
      const r = await signInWithPassword(
        new Browser(),
        s,
        'carol',
        `WRONGPASS${i}XY`,
        {},
        'temporaryAccessPass',
      );
      assert.equal(r.page.status, 401);
    }
    const carols = await s.fed.mfa.accessPasses.issue('carol', { lifetimeMinutes: 60 }, ctx);
    const waits = await signInWithPassword(new Browser(), s, 'carol', carols.pass, {}, 'temporaryAccessPass');
    assert.equal(waits.page.status, 429);
    assert.ok(!JSON.stringify(events).includes('WRONGPASS'), 'a pass reached the audit log');
  });

  it('the security-info portal offers "Use a Temporary Access Pass" and lets the pass holder register a method', async () => {
    const issued = await s.fed.mfa.accessPasses.issue('erin', { lifetimeMinutes: 60, oneTime: true }, ctx);
    const b = new Browser();
    const form = await b.go(`${s.fedUrl}/account?method=tap`);
    assert.match(form.text, /Temporary Access Pass/);
    const after = await b.go(`${s.fedUrl}/account/login`, {
      form: {
        identifier: 'erin',
        password: issued.pass,
        kind: 'temporaryAccessPass',
        _csrf: inputValue(form.text, '_csrf'),
      },
    });
    assert.match(after.url, /\/account\/mfa\/enroll$/, after.url);
    const { next } = await enroll(b, s.fedUrl, after, () => false);
    assert.match(next.url, /\/account\/mfa\/settings$/);
    assert.equal((await s.fed.mfa.methods.list('erin')).length, 1);
  });

  it('the portal with a password from outside the office: no enrollment page, the reason instead', async () => {
    const b = new Browser();
    const form = await b.go(`${s.fedUrl}/account`);
    const after = await b.go(`${s.fedUrl}/account/login`, {
      form: { identifier: 'erin', password: 'erin password', _csrf: inputValue(form.text, '_csrf') },
    });
    assert.equal(after.status, 403);
    assert.match(after.text, /Temporary Access Pass/);
    assert.doesNotMatch(after.text, /id="secret"/);
  });
});

describe('sample-idp: npm run tap', function () {
  this.timeout(60_000);

  it("issues a pass with the running server's data file and key, which the server then accepts once", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mfakit-tap-'));
    // The SQLite server of npm start (DATABASE_URL would put it on PostgreSQL).
    const env = { ...process.env, DATABASE_URL: '', FED_DATA_FILE: join(dir, 'federation.sqlite') };
    const urls = {
      FED_URL: 'http://localhost:3000',
      PARTNER_URL: 'http://localhost:3001',
      DEMO_RP_URL: 'http://localhost:3002',
    };
    const config = await loadFederationConfig('sample-idp/federation.example.yaml', { ...env, ...urls });
    const fed = await createFederationServer(config, {
      secrets: loadOrCreateSecrets(config.dataFile, env),
      audit: () => {},
    });
    try {
      const run = (args: string[]) =>
        spawnSync(process.execPath, ['sample-idp/access-pass.ts', ...args], { env, encoding: 'utf8' });
      const issued = run(['issue', '--user', 'bob', '--lifetime', '1h', '--once', '--json']);
      assert.equal(issued.status, 0, issued.stderr);
      const { pass } = JSON.parse(issued.stdout) as { pass: string };
      assert.deepEqual(await fed.mfa.accessPasses.verify('bob', pass, { ip: '127.0.0.1' }), {
        ok: true,
        id: (await fed.mfa.accessPasses.get('bob'))?.id,
        oneTime: true,
      });
      assert.equal((await fed.mfa.accessPasses.verify('bob', pass, { ip: '127.0.0.1' })).ok, false);
      const unknown = run(['issue', '--user', 'mallory']);
      assert.equal(unknown.status, 2);
      assert.match(unknown.stderr, /no local user "mallory"/);

      // Typed in another case, or as the e-mail address: stored under the configured id, which
      // the sign-in checks the pass for.
      const typed = run(['issue', '--user', 'Alice', '--multi', '--json']);
      assert.equal(typed.status, 0, typed.stderr);
      const alices = JSON.parse(typed.stdout) as { pass: string; userId: string };
      assert.equal(alices.userId, 'alice');
      assert.equal(await fed.mfa.accessPasses.get('Alice'), null);
      assert.equal((await fed.mfa.accessPasses.verify('alice', alices.pass, { ip: '127.0.0.1' })).ok, true);
      const shown = run(['show', '--user=ALICE@contoso.test']);
      assert.equal(shown.status, 0, shown.stderr);
      assert.match(shown.stdout, /^Temporary Access Pass for alice: active/);
      assert.equal(run(['revoke', '--user', ' alice@CONTOSO.test ']).status, 0);
      assert.equal(await fed.mfa.accessPasses.get('alice'), null);
    } finally {
      await fed.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a pass for a user who signs in at a claims provider (their domain is its emailDomains): exit 2, nothing issued', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mfakit-tap-'));
    try {
      // The example config, with Partner Co linking its sign-ins to local users of partner.test.
      const config = parseYaml(await readFile('sample-idp/federation.example.yaml', 'utf8')) as {
        claimsProviders: Record<string, unknown>[];
        users: Record<string, unknown>[];
      };
      const partner = config.claimsProviders[0];
      assert.equal(partner?.id, 'partner');
      partner.accountMapping = 'linkByEmail';
      config.users.push({
        id: 'frank',
        name: 'Frank Partner',
        email: 'frank@partner.test',
        password: 'frank password',
      });
      const configFile = join(dir, 'federation.yaml');
      await writeFile(configFile, stringifyYaml(config));
      const env = {
        ...process.env,
        DATABASE_URL: '',
        FED_CONFIG: configFile,
        FED_DATA_FILE: join(dir, 'federation.sqlite'),
      };
      const run = (args: string[]) =>
        spawnSync(process.execPath, ['sample-idp/access-pass.ts', ...args], { env, encoding: 'utf8' });
      for (const user of ['frank', 'Frank@Partner.test']) {
        const refused = run(['issue', '--user', user, '--lifetime', '1h']);
        assert.equal(refused.status, 2, refused.stderr);
        assert.match(
          refused.stderr,
          /^tap: frank \(frank@partner\.test\) signs in at the claims provider "partner" \(Partner Co\), never with a password or pass here, so a Temporary Access Pass could not be used: none issued/,
        );
        assert.equal(refused.stdout, '');
      }
      // A local user of the same config passes these checks (and stops at the missing data file).
      const local = run(['issue', '--user', 'alice']);
      assert.equal(local.status, 1);
      assert.match(local.stderr, /does not exist yet: run npm start once first/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('on PostgreSQL', () => {
    const server = postgresTestServer();

    it("with DATABASE_URL: the pass goes to npm start's schema (FED_DATABASE_SCHEMA), hashed under the current key of FED_SEALING_KEYS", async () => {
      const dir = await mkdtemp(join(tmpdir(), 'mfakit-tap-'));
      const schema = server.freshSchema();
      const current = randomBytes(32);
      const env = {
        ...process.env,
        DATABASE_URL: server.url,
        FED_DATABASE_SCHEMA: schema,
        FED_DATA_FILE: join(dir, 'federation.sqlite'),
        FED_SEALING_KEYS: `k2:${current.toString('base64')},fed1:${randomBytes(32).toString('base64')}`,
        FED_SEALING_KEY: '',
      };
      const config = await loadFederationConfig('sample-idp/federation.example.yaml', {
        ...env,
        FED_URL: 'http://localhost:3000',
        PARTNER_URL: 'http://localhost:3001',
        DEMO_RP_URL: 'http://localhost:3002',
      });
      const stores = await createPostgresStores({ url: server.url, schema });
      const fed = await createFederationServer(config, {
        stores,
        secrets: loadOrCreateSecrets(config.dataFile, env),
        audit: () => {},
      });
      try {
        const run = (args: string[]) =>
          spawnSync(process.execPath, ['sample-idp/access-pass.ts', ...args], { env, encoding: 'utf8' });
        const issued = run(['issue', '--user', 'bob', '--json']);
        assert.equal(issued.status, 0, issued.stderr);
        const { pass, id } = JSON.parse(issued.stdout) as { pass: string; id: string };
        assert.match((await stores.repository.getAccessPass('bob'))?.hash ?? '', /^k2:/);
        // The server on the schema, with both keys, accepts it once.
        assert.deepEqual(await fed.mfa.accessPasses.verify('bob', pass, { ip: '127.0.0.1' }), {
          ok: true,
          id,
          oneTime: true,
        });
        assert.equal(run(['revoke', '--user', 'bob']).status, 0);
        assert.equal(await stores.repository.getAccessPass('bob'), null);

        // A schema npm start has not made yet: refused, named, not created.
        const missing = spawnSync(process.execPath, ['sample-idp/access-pass.ts', 'show', '--user', 'bob'], {
          env: { ...env, FED_DATABASE_SCHEMA: `${schema}_absent` },
          encoding: 'utf8',
        });
        assert.equal(missing.status, 1);
        assert.match(missing.stderr, new RegExp(`\\(DATABASE_URL\\): no schema "${schema}_absent"`));
      } finally {
        await fed.close();
        await stores.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  it('refuses to make up sealing keys the server does not have (none set, no secrets file): exit 1, nothing issued', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mfakit-tap-'));
    try {
      const dataFile = join(dir, 'federation.sqlite');
      await createSqliteStores({ path: dataFile }).close?.();
      const refused = spawnSync(process.execPath, ['sample-idp/access-pass.ts', 'issue', '--user', 'bob'], {
        env: {
          ...process.env,
          DATABASE_URL: '',
          FED_DATA_FILE: dataFile,
          FED_SEALING_KEY: '',
          FED_SEALING_KEYS: '',
        },
        encoding: 'utf8',
      });
      assert.equal(refused.status, 1, refused.stderr);
      assert.match(
        refused.stderr,
        /^tap: no sealing keys: set FED_SEALING_KEYS as for npm start, or run npm start once first/,
      );
      assert.equal(existsSync(join(dir, 'federation-secrets.json')), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
