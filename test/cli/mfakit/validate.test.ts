// The `mfakit policies validate` command, run as an operator runs it: a child process, files on disk,
// exit status 0 / 1 (invalid document, failed operation) / 2 (usage).

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mfakit } from '../../helpers/mfakit-cli.ts';
import { blockLegacy, dir, policiesFile, trustedOffice, useCliWorkspace } from './fixtures.ts';

describe('mfakit CLI', function () {
  // Each case starts a Node process or several.
  this.timeout(120_000);
  useCliWorkspace();

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
});
