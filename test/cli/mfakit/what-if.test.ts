// The `mfakit what-if --policies` command, run as an operator runs it: a child process, files on disk,
// exit status 0 / 1 (invalid document, failed operation) / 2 (usage).

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mfakit } from '../../helpers/mfakit-cli.ts';
import { dir, policiesFile, REGISTRATION_EXAMPLE, trustedOffice, useCliWorkspace } from './fixtures.ts';

describe('mfakit CLI', function () {
  // Each case starts a Node process or several.
  this.timeout(120_000);
  useCliWorkspace();

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
});
