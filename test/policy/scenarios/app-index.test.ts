/** The compiled evaluator's application index: policies for other apps are skipped in fast mode only. */
import assert from 'node:assert/strict';
import { compilePolicySet, naiveEvaluator } from '../../../src/policy/index.ts';
import { BASE_CTX, docOf, pol, req } from './fixtures.ts';

describe('the index skips policies for other apps', () => {
  const others = Array.from({ length: 50 }, (_, i) =>
    pol(`other-${i}`, { apps: [`app-${i}`], grant: i % 2 === 0 ? 'block' : 'mfa' }),
  );
  const doc = docOf([
    ...others,
    pol('portal-mfa', { apps: ['portal'] }),
    pol('bob-only', { users: ['bob'], grant: 'block' }),
  ]);
  const set = compilePolicySet(doc);

  it('fast mode: at least 50 not evaluated, none of them in the results', () => {
    const e = set.evaluate(BASE_CTX);
    assert.ok(e.notEvaluated >= 50, `notEvaluated ${e.notEvaluated}`);
    assert.equal(e.notEvaluated + e.results.length, doc.policies.length);
    assert.ok(!e.results.some((r) => r.policyId.startsWith('other-')));
    assert.ok(e.results.some((r) => r.policyId === 'portal-mfa'));
    assert.equal(e.action, 'mfa');
    assert.deepEqual(e.requirements, [req('portal-mfa')]);
    const naive = naiveEvaluator(doc)(BASE_CTX);
    assert.equal(naive.action, e.action);
    assert.deepEqual(naive.requirements, e.requirements);
  });

  it('fast mode: the policy for the requested app is still found among many', () => {
    const e = set.evaluate({ ...BASE_CTX, app: 'app-10' });
    assert.equal(e.action, 'block');
    assert.deepEqual(e.blockedBy, ['other-10']);
    assert.ok(e.notEvaluated >= 50);
    assert.deepEqual(naiveEvaluator(doc)({ ...BASE_CTX, app: 'app-10' }).blockedBy, ['other-10']);
  });

  it('explain mode evaluates every policy', () => {
    const e = set.evaluate(BASE_CTX, { explain: true });
    assert.equal(e.notEvaluated, 0);
    assert.equal(e.results.length, doc.policies.length);
    assert.equal(e.results.find((r) => r.policyId === 'other-3')?.failedCondition, 'applications');
    assert.equal(e.action, 'mfa');
  });
});
