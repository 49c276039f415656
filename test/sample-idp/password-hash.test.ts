/**
 * Users configured with a `passwordHash` instead of a plain `password`: the config accepts
 * exactly one of the two, and only a well-formed scrypt hash (every mistake is a config error
 * naming the user and the field, which `npm start` exits 1 on); a user so configured signs in
 * with the right password over real HTTP and not with a wrong one; `npm run hash-password`
 * reads the password from stdin only and prints a hash that verifies.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes, scryptSync } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  FederationConfigError,
  loadFederationConfig,
  parseFederationConfig,
} from '../../sample-idp/federation/config.ts';
import { createLocalDirectory, directoryScryptParams } from '../../sample-idp/federation/directory.ts';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../sample-idp/password-hash.ts';
import { Browser } from '../helpers/browser.ts';
import { atRp, redeem, signInWithPassword, startFederationStack } from '../helpers/federation-stack.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PASSWORD = 'erin password 0123';

/** A hash in the directory's older form, `scrypt$<salt>$<hash>` (N=2^15, r=8, p=1 implied). */
function oldFormHash(password: string) {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

const configWith = (users: Record<string, unknown>[]) => ({
  issuer: 'https://idp.example',
  users,
  relyingParties: [
    {
      clientId: 'rp',
      clientSecret: 'rp-secret-that-is-long-enough',
      redirectUris: ['https://rp.example/cb'],
    },
  ],
});
const erin = (fields: Record<string, unknown>) => ({
  id: 'erin',
  name: 'Erin',
  email: 'erin@contoso.test',
  ...fields,
});

async function problems(users: Record<string, unknown>[]) {
  try {
    await parseFederationConfig(configWith(users), {});
  } catch (err) {
    assert.ok(err instanceof FederationConfigError, String(err));
    return err.issues;
  }
  assert.fail('the config was accepted');
}

function hashTool(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['sample-idp/hash-password.ts', ...args],
      { cwd: ROOT },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(stdin);
  });
}

describe('sample-idp: users with a passwordHash', function () {
  this.timeout(60_000);
  let hash: string;
  before(async () => {
    hash = await hashPassword(PASSWORD);
  });

  describe('config', () => {
    it('accepts a passwordHash in place of a password, from a YAML file, also as a default of an environment variable', async () => {
      assert.match(hash, /^scrypt\$N=32768,r=8,p=1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
      const dir = await mkdtemp(join(tmpdir(), 'mfakit-pwhash-'));
      const file = join(dir, 'federation.yaml');
      await writeFile(
        file,
        [
          'issuer: https://idp.example',
          'users:',
          // Block style: the hash as it is printed, unquoted.
          '  - id: erin',
          '    name: Erin',
          '    email: erin@contoso.test',
          `    passwordHash: ${hash}`,
          // A flow mapping (where `,` separates keys) needs it quoted.
          `  - { id: fay, name: Fay, email: fay@contoso.test, passwordHash: "$\{HASH_FAY:-${hash}}" }`,
          'relyingParties: [{ clientId: rp, clientSecret: rp-secret-that-is-long-enough, redirectUris: [https://rp.example/cb] }]',
        ].join('\n'),
      );
      const config = await loadFederationConfig(file, {});
      assert.equal(config.users[0]?.passwordHash, hash);
      assert.equal(config.users[0]?.password, undefined);
      assert.equal(config.users[1]?.passwordHash, hash);
    });

    it('refuses both, neither, and every malformed hash, naming the user and the field', async () => {
      const cheap = hash.replace('N=32768', 'N=1024');
      assert.deepEqual(await problems([erin({ password: PASSWORD, passwordHash: hash })]), [
        'users[0].passwordHash: user erin: has both password and passwordHash: give one',
      ]);
      assert.deepEqual(await problems([erin({})]), [
        'users[0].passwordHash: user erin: needs a password or a passwordHash (npm run hash-password makes one)',
      ]);
      const malformed: [string, RegExp][] = [
        [PASSWORD, /must be a scrypt hash: scrypt\$N=<n>,r=<r>,p=<p>\$<salt>\$<hash>/],
        [`bcrypt${hash.slice('scrypt'.length)}`, /must be a scrypt hash/],
        [`${hash}$extra`, /must be a scrypt hash/],
        [cheap, /has N=1024,r=8,p=1: cheaper than N=32768,r=8,p=1/],
        [hash.replace('N=32768', 'N=30000'), /N must be a power of two/],
        [hash.replace('N=32768,r=8', 'N=1048576,r=8'), /over 64 times the work|over 256 MiB/],
        [hash.replace('N=32768', 'n=32768'), /expected N=<n>,r=<r>,p=<p>/],
        [hash.replace(/\$[^$]+\$([^$]+)$/, '$short$$$1'), /salt that is not 16-64 bytes of base64/],
        [hash.replace(/=*$/, '!'), /hash that is not 16-64 bytes of base64/],
      ];
      for (const [value, expected] of malformed) {
        const issues = await problems([erin({ passwordHash: value })]);
        assert.equal(issues.length, 1, issues.join('\n'));
        assert.match(issues[0] ?? '', /^users\[0\]\.passwordHash: user erin: /);
        assert.match(issues[0] ?? '', expected);
        assert.ok(!(issues[0] ?? '').includes(value), 'the error echoes the configured value');
      }
      // Reported beside the user's other mistakes, in one run.
      assert.deepEqual(await problems([erin({ passwordHash: 'nope', email: 'not an address' })]), [
        'users[0].email: must be an e-mail address',
        'users[0].passwordHash: user erin: must be a scrypt hash: scrypt$N=<n>,r=<r>,p=<p>$<salt>$<hash> (npm run hash-password makes one)',
      ]);
    });

    it('refuses hashes with different scrypt parameters (an unknown user must cost what a known one does)', async () => {
      const stronger = await hashPassword('another password', { N: 2 ** 16, r: 8, p: 1 });
      const fay = { id: 'fay', name: 'Fay', email: 'fay@contoso.test', passwordHash: stronger };
      assert.deepEqual(await problems([erin({ passwordHash: hash }), fay]), [
        "users[1].passwordHash: user fay's hash has N=65536,r=8,p=1, user erin's N=32768,r=8,p=1: every passwordHash must use the same scrypt parameters (unknown users are made to cost the same)",
      ]);
      // The older form is N=2^15, r=8, p=1: the same parameters as the tool's.
      await parseFederationConfig(
        configWith([erin({ passwordHash: hash }), { ...fay, passwordHash: oldFormHash('x') }]),
        {},
      );
      // One set of stronger parameters: the directory's, for unknown users and plain passwords too.
      const config = await parseFederationConfig(
        configWith([{ ...fay, passwordHash: stronger }, erin({ password: PASSWORD })]),
        {},
      );
      assert.deepEqual(directoryScryptParams(config.users), { N: 2 ** 16, r: 8, p: 1 });
      const directory = await createLocalDirectory(config.users);
      assert.equal(await directory.verifyPassword('fay', 'another password'), true);
      assert.equal(await directory.verifyPassword('erin', PASSWORD), true);
      assert.equal(await directory.verifyPassword(null, PASSWORD), false);
    });
  });

  it('npm start exits 1 on a config whose user has both a password and a passwordHash, naming them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mfakit-pwhash-start-'));
    const config = parseYaml(await readFile(join(ROOT, 'sample-idp/federation.example.yaml'), 'utf8'));
    config.users[1].passwordHash = hash;
    const configFile = join(dir, 'federation.yaml');
    await writeFile(configFile, stringifyYaml(config));
    const started = spawnSync(process.execPath, ['--conditions=mfakit-source', 'sample-idp/start.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 50_000,
      env: {
        ...process.env,
        DATABASE_URL: '',
        FED_CONFIG: configFile,
        FED_DATA_FILE: join(dir, 'federation.sqlite'),
        FED_PORT: '0',
        PARTNER_PORT: '0',
        DEMO_RP_PORT: '0',
      },
    });
    assert.equal(started.status, 1, started.stderr);
    assert.match(
      started.stderr,
      /users\[1\]\.passwordHash: user bob: has both password and passwordHash: give one/,
    );
    assert.ok(!started.stderr.includes(hash), 'the error echoes the hash');
  });

  it('a user with a passwordHash signs in with the right password and not with a wrong one (also the older hash form)', async () => {
    const fayHash = oldFormHash('fay password 0123');
    const fay = { id: 'fay', name: 'Fay', email: 'fay@contoso.test', passwordHash: fayHash };
    const s = await startFederationStack({
      users: [erin({ passwordHash: hash, mfaState: 'disabled' }), { ...fay, mfaState: 'disabled' }],
    });
    try {
      for (const [id, right, stored] of [
        ['erin', PASSWORD, hash],
        ['fay', 'fay password 0123', fayHash],
      ] as const) {
        const wrong = await signInWithPassword(new Browser(), s, id, `${right}x`);
        assert.equal(wrong.page.status, 401, id);
        assert.ok(!atRp(new URL(wrong.page.url)), `${id}: a wrong password reached the relying party`);
        // The hash itself is no password either.
        const theHash = await signInWithPassword(new Browser(), s, id, stored);
        assert.equal(theHash.page.status, 401, id);
        const { request, page } = await signInWithPassword(new Browser(), s, id, right);
        const { claims } = await redeem(s, page, request);
        assert.equal(claims.sub, id);
      }
    } finally {
      await s.close();
    }
  });

  describe('npm run hash-password', () => {
    it('reads the password from stdin and prints a hash that verifies it, and only it', async () => {
      const run = await hashTool([], `${PASSWORD}\n`);
      assert.equal(run.code, 0, run.stderr);
      const printed = run.stdout.trim();
      assert.equal(run.stdout, `${printed}\n`);
      assert.ok(!run.stdout.includes(PASSWORD) && !run.stderr.includes(PASSWORD));
      const parsed = parsePasswordHash(printed);
      assert.ok(typeof parsed !== 'string', parsed as string);
      assert.deepEqual(parsed.params, { N: 2 ** 15, r: 8, p: 1 });
      assert.equal(await verifyPassword(PASSWORD, printed), true);
      assert.equal(await verifyPassword(`${PASSWORD}\n`, printed), false);
      assert.equal(await verifyPassword('erin password 012', printed), false);
      // The config takes it as it is.
      const config = await parseFederationConfig(configWith([erin({ passwordHash: printed })]), {});
      assert.equal(await (await createLocalDirectory(config.users)).verifyPassword('erin', PASSWORD), true);
      // Two runs, two salts.
      assert.notEqual((await hashTool([], PASSWORD)).stdout, run.stdout);
    });

    it('refuses a password on the command line, a password the config would refuse, and several lines', async () => {
      const onCommandLine = await hashTool([PASSWORD], '');
      assert.equal(onCommandLine.code, 2);
      assert.equal(onCommandLine.stdout, '');
      assert.match(onCommandLine.stderr, /never from the command line/);
      for (const [input, expected] of [
        ['short\n', /must be 8 to 256 characters \(it has 5\)/],
        ['', /must be 8 to 256 characters \(it has 0\)/],
        [`${'x'.repeat(257)}\n`, /must be 8 to 256 characters/],
        [`${PASSWORD}\nsecond line\n`, /more than one line/],
      ] as const) {
        const run = await hashTool([], input);
        assert.equal(run.code, 1, input);
        assert.equal(run.stdout, '', input);
        assert.match(run.stderr, expected);
      }
    });
  });
});
