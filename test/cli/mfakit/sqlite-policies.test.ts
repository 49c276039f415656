// `mfakit policies` against an SQLite database, run as an operator runs it: a child process, files on disk,
// exit status 0 / 1 (invalid document, failed operation) / 2 (usage).

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSqliteStores } from '../../../adapters/sqlite/index.ts';
import { mfakit } from '../../helpers/mfakit-cli.ts';
import { dir, policiesFile, trustedOffice, useCliWorkspace } from './fixtures.ts';

describe('mfakit CLI', function () {
  // Each case starts a Node process or several.
  this.timeout(120_000);
  useCliWorkspace();

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
