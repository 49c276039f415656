/** Policy files: loading a document from .json and .yaml files, and refusing the rest. */

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadPolicyFile,
  POLICY_LIMITS,
  type PolicyDocument,
  PolicyLoadError,
  parsePolicyDocument,
} from '../../../src/policy/index.ts';
import { policy } from './fixtures.ts';

describe('policy files', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mfakit-policy-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const valid = { policies: [policy()] };

  it('loads .json, .yaml, .yml and .YAML files', async () => {
    const json = join(dir, 'policies.json');
    await writeFile(json, JSON.stringify(valid));
    const expected: PolicyDocument = parsePolicyDocument(valid);
    assert.deepEqual(await loadPolicyFile(json), expected);
    for (const name of ['policies.yaml', 'policies.yml', 'POLICIES.YAML']) {
      const file = join(dir, name);
      await writeFile(
        file,
        'policies:\n  - id: p1\n    name: P1\n    state: on\n    assignments:\n      users: { include: [all] }\n      applications: { include: [all] }\n    grant: { controls: [mfa] }\n',
      );
      assert.deepEqual(await loadPolicyFile(file), expected, name);
    }
  });

  it('a .txt file is refused', async () => {
    const file = join(dir, 'policies.txt');
    await writeFile(file, JSON.stringify(valid));
    await assert.rejects(loadPolicyFile(file), (err: unknown) => {
      assert.ok(err instanceof PolicyLoadError);
      assert.equal(err.issues[0]?.path, '(file)');
      assert.match(err.issues[0]?.message ?? '', /use a \.json, \.yaml or \.yml file/);
      return true;
    });
  });

  it('an invalid document in a file gives the same issues as the text', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ policies: [policy({ state: 'maybe' })] }));
    await assert.rejects(loadPolicyFile(file), (err: unknown) => {
      assert.ok(err instanceof PolicyLoadError);
      assert.deepEqual(
        err.issues.map((i) => i.path),
        ['policies.0.state'],
      );
      return true;
    });
  });

  it('a file over the size limit is refused by size', async () => {
    const file = join(dir, 'huge.json');
    await writeFile(file, Buffer.alloc(POLICY_LIMITS.documentBytes + 1, 0x20));
    await assert.rejects(loadPolicyFile(file), (err: unknown) => {
      assert.ok(err instanceof PolicyLoadError);
      assert.equal(err.issues[0]?.path, '(file)');
      assert.match(err.issues[0]?.message ?? '', /larger than/);
      return true;
    });
  });
});
