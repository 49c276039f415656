import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import { mfakit } from '../helpers/mfakit-cli.ts';

// The `mfakit` command line, run as an operator runs it: a child process, files on disk,
// exit status 0 / 1 (invalid document, failed operation) / 2 (usage).
const REGISTRATION_EXAMPLE = 'examples/policies/register-security-info.yaml';

const trustedOffice = {
  id: 'mfa-outside-office',
  name: 'MFA outside the office',
  state: 'on',
  assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
  conditions: { locations: { include: ['any'], exclude: ['office'] } },
  grant: { controls: ['mfa'] },
};

const blockLegacy = {
  id: 'block-legacy',
  name: 'Block legacy clients',
  state: 'reportOnly',
  assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
  conditions: { clientAppTypes: ['legacy'] },
  grant: { block: true },
};

const document = {
  namedLocations: [{ id: 'office', name: 'Office', trusted: true, cidrs: ['203.0.113.0/24'] }],
  policies: [trustedOffice, blockLegacy],
};

describe('mfakit CLI', function () {
  // Each case starts a Node process or several.
  this.timeout(120_000);
  let dir: string;
  let policiesFile: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mfakit-cli-'));
    policiesFile = join(dir, 'policies.json');
    await writeFile(policiesFile, JSON.stringify(document));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('policies validate', () => {
    it('accepts a valid JSON or YAML document (exit 0)', async () => {
      const json = await mfakit(['policies', 'validate', policiesFile]);
      assert.equal(json.code, 0, json.stderr);
      assert.match(json.stdout, /valid: 2 policies \(1 on, 0 off, 1 report-only\), 1 named locations/);

      const yamlFile = join(dir, 'policies.yaml');
      await writeFile(
        yamlFile,
        [
          'namedLocations:',
          '  - { id: office, name: Office, cidrs: [203.0.113.0/24] }',
          'policies:',
          '  - id: p1',
          '    name: Everyone',
          '    state: off',
          '    assignments: { users: { include: [all] }, applications: { include: [all] } }',
          '    grant: { controls: [mfa] }',
          '',
        ].join('\n'),
      );
      const yaml = await mfakit(['policies', 'validate', yamlFile]);
      assert.equal(yaml.code, 0, yaml.stderr);
      assert.match(yaml.stdout, /valid: 1 policies \(0 on, 1 off/);
    });

    it('lists every problem of an invalid document as "path: message" (exit 1)', async () => {
      const bad = join(dir, 'bad.json');
      await writeFile(
        bad,
        JSON.stringify({
          namedLocations: [{ id: 'lab', name: 'Lab', cidrs: ['10.0.0.0/33'] }],
          policies: [
            { ...trustedOffice, conditions: { locations: { include: ['any'], exclude: ['hq'] } } },
            { ...blockLegacy, state: 'maybe' },
          ],
        }),
      );
      const res = await mfakit(['policies', 'validate', bad]);
      assert.equal(res.code, 1);
      const lines = res.stderr.split('\n');
      assert.ok(
        lines.some((l) => l.startsWith('namedLocations.0.cidrs.0: "10.0.0.0/33" must be an IPv4 or IPv6')),
        res.stderr,
      );
      assert.ok(
        lines.some((l) => l.startsWith('policies.1.state: ')),
        res.stderr,
      );
      assert.equal(res.stdout, '');

      // References are checked once the document is otherwise well-formed.
      const dangling = join(dir, 'dangling.json');
      await writeFile(
        dangling,
        JSON.stringify({
          policies: [{ ...trustedOffice, conditions: { locations: { include: ['any'], exclude: ['hq'] } } }],
        }),
      );
      const ref = await mfakit(['policies', 'validate', dangling]);
      assert.equal(ref.code, 1);
      assert.ok(
        ref.stderr
          .split('\n')
          .includes('policies.0.conditions.locations.exclude.0: unknown named location "hq"'),
        ref.stderr,
      );

      const notJson = join(dir, 'broken.json');
      await writeFile(notJson, '{"policies": [');
      const broken = await mfakit(['policies', 'validate', notJson]);
      assert.equal(broken.code, 1);
      assert.match(broken.stderr, /\(root\): not valid JSON/);

      const missing = await mfakit(['policies', 'validate', join(dir, 'missing.json')]);
      assert.equal(missing.code, 1);
    });
  });

  describe('what-if with --policies', () => {
    it('inside the trusted office: allowed, and the policy explains the exclusion', async () => {
      const res = await mfakit([
        'what-if',
        '--user',
        'alice',
        '--app',
        'payroll',
        '--ip',
        '203.0.113.9',
        '--policies',
        policiesFile,
      ]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^Decision: allow$/m);
      assert.match(res.stdout, /mfa-outside-office \[on\] "MFA outside the office": not matched \(locations/);
      assert.match(res.stdout, /locations\s+no\s+203\.0\.113\.9 is in excluded location "office"/);
      assert.match(res.stdout, /block-legacy \[reportOnly\] .*not matched/);
    });

    it('outside it: MFA, by that policy; a legacy client shows what the report-only policy would do', async () => {
      const res = await mfakit([
        'what-if',
        '--user',
        'alice',
        '--app',
        'payroll',
        '--ip',
        '198.51.100.7',
        '--client',
        'legacy',
        '--time',
        '2026-12-01T09:30:00Z',
        '--policies',
        policiesFile,
      ]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^Decision: mfa/m);
      assert.match(res.stdout, /^ {2}mfa-outside-office: mfa$/m);
      assert.match(res.stdout, /mfa-outside-office \[on\] "MFA outside the office": matched -> require mfa/);
      assert.match(res.stdout, /locations\s+yes\s+198\.51\.100\.7 is in included any location/);
      assert.match(res.stdout, /Report-only policies that matched:\n {2}block-legacy: would block/);
    });

    it('--json prints the decision as JSON, with every policy and condition', async () => {
      const res = await mfakit([
        'what-if',
        '--user',
        'alice',
        '--ip',
        '198.51.100.7',
        '--groups',
        'staff,finance',
        '--risk',
        'newDevice',
        '--policies',
        policiesFile,
        '--json',
      ]);
      assert.equal(res.code, 0, res.stderr);
      const out = JSON.parse(res.stdout);
      assert.equal(out.action, 'mfa');
      assert.deepEqual(out.requirements, [
        { source: 'mfa-outside-office', operator: 'requireAll', strengths: ['mfa'] },
      ]);
      assert.equal(out.policies.length, 2);
      const office = out.policies.find((p: { policyId: string }) => p.policyId === 'mfa-outside-office');
      assert.equal(office.matched, true);
      assert.ok(
        office.conditions.some((c: { condition: string; detail: string }) => c.condition === 'locations'),
      );
      assert.deepEqual(out.reportOnly, []);
    });

    it('--user-state enforced: the per-user MFA state counts too', async () => {
      const res = await mfakit([
        'what-if',
        '--user',
        'alice',
        '--ip',
        '203.0.113.9',
        '--user-state',
        'enforced',
        '--policies',
        policiesFile,
        '--json',
      ]);
      assert.equal(res.code, 0, res.stderr);
      const out = JSON.parse(res.stdout);
      assert.equal(out.action, 'mfa');
      assert.equal(out.userState, 'enforced');
    });

    it('--user-action registerSecurityInfo: only the user-action policy decides, and each policy says why', async () => {
      const register = (ip: string, file: string, ...more: string[]) =>
        mfakit([
          'what-if',
          '--user',
          'alice',
          '--ip',
          ip,
          '--user-action',
          'registerSecurityInfo',
          '--policies',
          file,
          ...more,
        ]);
      const office = await register('203.0.113.40', REGISTRATION_EXAMPLE);
      assert.equal(office.code, 0, office.stderr);
      assert.match(office.stdout, /^Decision: allow$/m);
      assert.match(
        office.stdout,
        /^ {2}user alice, user action registerSecurityInfo, address 203\.0\.113\.40$/m,
      );
      assert.match(office.stdout, /register-security-info-office-or-tap \[on\] .*: not matched \(locations/);
      assert.match(office.stdout, /userActions\s+yes\s+user action registerSecurityInfo is targeted/);

      const home = await register('198.51.100.7', REGISTRATION_EXAMPLE, '--json');
      assert.equal(home.code, 0, home.stderr);
      const out = JSON.parse(home.stdout);
      assert.equal(out.action, 'mfa');
      assert.equal(out.userAction, 'registerSecurityInfo');
      assert.deepEqual(out.requirements, [
        { source: 'register-security-info-office-or-tap', operator: 'requireAll', strengths: ['mfa'] },
      ]);
      assert.equal(out.reasons.at(-1).code, 'temporary_access_pass_required');

      // application policies, even for all apps, are not about registering
      const apps = await register('198.51.100.7', policiesFile);
      assert.equal(apps.code, 0, apps.stderr);
      assert.match(apps.stdout, /^Decision: allow$/m);
      assert.match(apps.stdout, /mfa-outside-office \[on\] .*: not matched \(applications did not match\)/);
      assert.match(
        apps.stdout,
        /applications\s+no\s+applies to applications, not to the user action registerSecurityInfo/,
      );
    });

    it('an invalid policy file: exit 1 with the issues', async () => {
      const bad = join(dir, 'bad-what-if.json');
      await writeFile(
        bad,
        JSON.stringify({ policies: [{ ...trustedOffice, grant: { controls: ['sms'] } }] }),
      );
      const res = await mfakit(['what-if', '--user', 'alice', '--ip', '192.0.2.1', '--policies', bad]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^policies\.0\.(grant|conditions)/m);
    });
  });

  describe('usage', () => {
    const cases: [string, string[], RegExp][] = [
      ['no command', [], /name a command/],
      ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
      [
        'an unknown option',
        ['what-if', '--user', 'a', '--ip', '192.0.2.1', '--policies', 'x.json', '--colour'],
        /colour/,
      ],
      ['what-if without --ip', ['what-if', '--user', 'alice', '--policies', 'x.json'], /needs --ip/],
      [
        'what-if with both sources',
        ['what-if', '--user', 'a', '--ip', '192.0.2.1', '--policies', 'x', '--db', 'y'],
        /exactly one/,
      ],
      ['what-if with neither source', ['what-if', '--user', 'a', '--ip', '192.0.2.1'], /exactly one/],
      ['a bad address', ['what-if', '--user', 'a', '--ip', '10.1', '--policies', 'x'], /--ip must be/],
      [
        'a trusted network written leniently (010.0.0.0/8 reads as 8.0.0.0/8)',
        ['what-if', '--user', 'a', '--ip', '8.8.8.8', '--trusted-network', '010.0.0.0/8', '--policies', 'x'],
        /--trusted-network: "010\.0\.0\.0\/8" must be an IPv4 or IPv6 address or CIDR/,
      ],
      [
        'a bad client type',
        ['what-if', '--user', 'a', '--ip', '192.0.2.1', '--client', 'fax', '--policies', 'x'],
        /--client must be one of/,
      ],
      [
        'a bad risk signal',
        ['what-if', '--user', 'a', '--ip', '192.0.2.1', '--risk', 'moon', '--policies', 'x'],
        /--risk/,
      ],
      [
        'a time without a zone',
        ['what-if', '--user', 'a', '--ip', '192.0.2.1', '--time', '2026-12-01T09:30', '--policies', 'x'],
        /--time/,
      ],
      [
        'an unknown user action',
        ['what-if', '--user', 'a', '--ip', '192.0.2.1', '--user-action', 'resetPassword', '--policies', 'x'],
        /--user-action must be one of registerSecurityInfo/,
      ],
      [
        'a user action with an app',
        [
          'what-if',
          '--user',
          'a',
          '--ip',
          '192.0.2.1',
          '--user-action',
          'registerSecurityInfo',
          '--app',
          'portal',
          '--policies',
          'x',
        ],
        /--user-action is not a sign-in to an app/,
      ],
      ['policies without a subcommand', ['policies'], /subcommand/],
      ['an unknown policies subcommand', ['policies', 'frob'], /unknown policies subcommand/],
      ['policies list without a store', ['policies', 'list'], /policies list needs --store \(or --db FILE\)/],
      ['policies show without an id', ['policies', 'show', '--db', 'x.sqlite'], /takes ID/],
      ['policies validate with --db', ['policies', 'validate', 'x.json', '--db', 'y'], /does not take --db/],
    ];
    for (const [name, args, message] of cases) {
      it(`${name}: exit 2 with the usage`, async () => {
        const res = await mfakit(args);
        assert.equal(res.code, 2, `${res.stdout}${res.stderr}`);
        assert.match(res.stderr, message);
        assert.match(res.stderr, /Usage:\n {2}mfakit what-if/);
        assert.equal(res.stdout, '');
      });
    }

    it('--help prints the usage on stdout (exit 0)', async () => {
      const res = await mfakit(['--help']);
      assert.equal(res.code, 0);
      assert.match(res.stdout, /mfakit policies import FILE STORE \[--if-version N\] \[--create\]/);
      assert.match(res.stdout, /--db FILE +the same as --store sqlite:FILE/);
    });

    it('a malformed MFAKIT_SEALING_KEY is refused (exit 1)', async () => {
      const res = await mfakit(['what-if', '--user', 'a', '--ip', '192.0.2.1', '--policies', policiesFile], {
        MFAKIT_SEALING_KEY: 'c2hvcnQ=',
      });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /MFAKIT_SEALING_KEY/);
      const ok = await mfakit(['what-if', '--user', 'a', '--ip', '192.0.2.1', '--policies', policiesFile], {
        MFAKIT_SEALING_KEY: Buffer.alloc(32, 7).toString('base64'),
      });
      assert.equal(ok.code, 0, ok.stderr);
    });
  });

  describe('policies in an SQLite database', () => {
    it('import, list, disable, show, export, delete; each change a compare-and-set audited as "cli"', async () => {
      const db = join(dir, 'mfa.sqlite');
      const notThere = await mfakit(['policies', 'list', '--db', db]);
      assert.equal(notThere.code, 1);
      assert.match(notThere.stderr, /no such database file/);

      const imported = await mfakit(['policies', 'import', policiesFile, '--db', db, '--create']);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, /version 1, 2 policies/);

      // --store sqlite:FILE is --db FILE.
      const listed = await mfakit(['policies', 'list', '--store', `sqlite:${db}`]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, /Policies \(version 1\): 2/);
      assert.match(listed.stdout, /mfa-outside-office\s+on\s+MFA outside the office/);
      assert.match(listed.stdout, /block-legacy\s+reportOnly\s+Block legacy clients/);

      // What-if reads the saved document.
      const before = JSON.parse(
        (
          await mfakit([
            'what-if',
            '--user',
            'alice',
            '--ip',
            '198.51.100.7',
            '--db',
            db,
            '--user-state',
            'disabled',
            '--json',
          ])
        ).stdout,
      );
      assert.equal(before.action, 'mfa');

      const disabled = await mfakit(['policies', 'disable', 'mfa-outside-office', '--db', db]);
      assert.equal(disabled.code, 0, disabled.stderr);
      assert.match(disabled.stdout, /mfa-outside-office is now off: version 2/);

      const after = await mfakit([
        'what-if',
        '--user',
        'alice',
        '--ip',
        '198.51.100.7',
        '--db',
        db,
        '--user-state',
        'disabled',
        '--json',
      ]);
      assert.equal(after.code, 0, after.stderr);
      assert.equal(JSON.parse(after.stdout).action, 'allow');

      const shown = await mfakit(['policies', 'show', 'mfa-outside-office', '--db', db]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal(JSON.parse(shown.stdout).state, 'off');
      assert.equal((await mfakit(['policies', 'show', 'nope', '--db', db])).code, 1);

      const exported = await mfakit(['policies', 'export', '--db', db]);
      assert.equal(exported.code, 0, exported.stderr);
      const doc = JSON.parse(exported.stdout);
      assert.deepEqual(
        doc.policies.map((p: { id: string; state: string }) => [p.id, p.state]),
        [
          ['mfa-outside-office', 'off'],
          ['block-legacy', 'reportOnly'],
        ],
      );
      assert.deepEqual(doc.namedLocations[0].cidrs, ['203.0.113.0/24']);
      assert.deepEqual(doc.policies[0].conditions, trustedOffice.conditions);

      // The export imports back; an invalid file or a stale --if-version changes nothing.
      const exportFile = join(dir, 'exported.json');
      await writeFile(exportFile, exported.stdout);
      const stale = await mfakit(['policies', 'import', exportFile, '--db', db, '--if-version', '1']);
      assert.equal(stale.code, 1);
      assert.match(stale.stderr, /changed meanwhile/);
      const bad = join(dir, 'bad-import.json');
      await writeFile(
        bad,
        JSON.stringify({ policies: [{ ...trustedOffice, conditions: { locations: { include: ['hq'] } } }] }),
      );
      const refused = await mfakit(['policies', 'import', bad, '--db', db]);
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        /policies\.0\.conditions\.locations\.include\.0: unknown named location "hq"/,
      );
      const again = await mfakit(['policies', 'import', exportFile, '--db', db, '--if-version', '2']);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /version 3/);

      assert.match(
        (await mfakit(['policies', 'report-only', 'mfa-outside-office', '--db', db])).stdout,
        /version 4/,
      );
      assert.match(
        (await mfakit(['policies', 'enable', 'mfa-outside-office', '--db', db])).stdout,
        /now on: version 5/,
      );
      assert.match(
        (await mfakit(['policies', 'enable', 'mfa-outside-office', '--db', db])).stdout,
        /already on/,
      );
      const deleted = await mfakit(['policies', 'delete', 'block-legacy', '--db', db]);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal((await mfakit(['policies', 'delete', 'block-legacy', '--db', db])).code, 1);
      const final = JSON.parse((await mfakit(['policies', 'list', '--db', db, '--json'])).stdout);
      assert.equal(final.version, 6);
      assert.deepEqual(
        final.policies.map((p: { id: string; state: string }) => [p.id, p.state]),
        [['mfa-outside-office', 'on']],
      );

      // An invalid document written around the engine: reads say so, an import replaces it.
      const junk = createSqliteStores({ path: db });
      try {
        assert.ok(
          await junk.repository.putPolicyDocument({ policies: [{ id: 'x' }] }, 6, Date.now(), 'someone'),
        );
      } finally {
        await junk.close?.();
      }
      const unreadable = await mfakit(['policies', 'list', '--db', db]);
      assert.equal(unreadable.code, 1);
      assert.match(unreadable.stderr, /^policies\.0\./m);
      const repaired = await mfakit(['policies', 'import', policiesFile, '--db', db]);
      assert.equal(repaired.code, 0, repaired.stderr);
      assert.match(repaired.stdout, /version 8, 2 policies/);

      // Every change is in the database's audit, by "cli".
      const stores = createSqliteStores({ path: db });
      try {
        const audit = await stores.repository.listAudit({ limit: 100 });
        const changes = audit.filter((e) => e.type === 'policies_changed');
        assert.equal(changes.length, 7);
        assert.ok(changes.every((e) => (e.data as { detail?: string }).detail === 'cli'));
      } finally {
        await stores.close?.();
      }
    });
  });
});
