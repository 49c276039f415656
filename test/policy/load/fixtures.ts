/** Shared fixtures of the policy-document loading tests: minimal valid parts and rejection checks. */

import assert from 'node:assert/strict';
import { MfaError } from '../../../src/errors.ts';
import { type PolicyIssue, PolicyLoadError, parsePolicyDocument } from '../../../src/policy/index.ts';

export type Obj = Record<string, unknown>;

export const policy = (over: Obj = {}): Obj => ({
  id: 'p1',
  name: 'P1',
  state: 'on',
  assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
  grant: { controls: ['mfa'] },
  ...over,
});
export const office = (over: Obj = {}): Obj => ({
  id: 'office',
  name: 'Office',
  cidrs: ['203.0.113.0/24'],
  ...over,
});
export const window = (over: Obj = {}): Obj => ({
  start: '09:00',
  end: '17:00',
  timeZone: 'Europe/Berlin',
  ...over,
});
export const withTimes = (w: Obj) => ({ policies: [policy({ conditions: { times: { include: [w] } } })] });

export function issuesOf(parse: () => unknown): PolicyIssue[] {
  try {
    parse();
  } catch (err) {
    assert.ok(err instanceof PolicyLoadError, `expected a PolicyLoadError, got ${String(err)}`);
    assert.ok(err instanceof MfaError);
    assert.equal(err.code, 'policy_invalid');
    assert.ok(err.issues.length > 0);
    return err.issues;
  }
  assert.fail('the document was accepted');
}

/** The document is rejected with an issue at `path` whose message matches `message`. */
export function rejects(value: unknown, path: string, message: RegExp) {
  const issues = issuesOf(() => parsePolicyDocument(value));
  const at = issues.filter((i) => i.path === path);
  assert.ok(at.length > 0, `no issue at ${path}; got ${JSON.stringify(issues)}`);
  assert.ok(
    at.some((i) => message.test(i.message)),
    `issue at ${path} should match ${message}; got ${JSON.stringify(at)}`,
  );
  return issues;
}
