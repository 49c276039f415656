/**
 * Realistic conditional-access scenarios, one table row each (rows by policy feature in ./rows-*.ts).
 * Every row runs through the compiled (indexed) evaluator, the naive reference evaluator and the
 * compiled evaluator in explain mode; all three must give the outcome the row expects.
 */
import assert from 'node:assert/strict';
import {
  compilePolicySet,
  naiveEvaluator,
  type PolicyContext,
  unmetRequirements,
} from '../../../src/policy/index.ts';
import { assertOutcome, BASE_CTX, docOf } from './fixtures.ts';
import { rows } from './rows.ts';

describe('policy scenarios (compiled and naive evaluators)', () => {
  it('has at least 45 rows with distinct names', () => {
    assert.ok(rows.length >= 45, `${rows.length} rows`);
    assert.equal(new Set(rows.map((r) => r.name)).size, rows.length);
  });

  for (const row of rows) {
    it(row.name, () => {
      const doc = docOf(row.policies);
      const ctx: PolicyContext = { ...BASE_CTX, ...row.ctx };
      const set = compilePolicySet(doc);
      const fast = set.evaluate(ctx);
      const naive = naiveEvaluator(doc)(ctx);
      const explained = set.evaluate(ctx, { explain: true });
      assertOutcome(fast, row.expect, 'compiled');
      assertOutcome(naive, row.expect, 'naive');
      assertOutcome(explained, row.expect, 'explain');

      for (const [policyId, want] of Object.entries(row.expect.failed ?? {})) {
        const state = doc.policies.find((p) => p.id === policyId)?.state;
        assert.ok(state, `row names an unknown policy ${policyId}`);
        const e = explained.results.find((r) => r.policyId === policyId);
        assert.ok(e, `explain mode lists ${policyId}`);
        assert.equal(e.matched, want === null, `${policyId} matched (explain)`);
        assert.equal(e.failedCondition, want ?? undefined, `${policyId} failedCondition (explain)`);
        const n = naive.results.find((r) => r.policyId === policyId);
        if (state === 'off') assert.equal(n, undefined, 'the naive evaluator skips off policies');
        else {
          assert.ok(n, `naive lists ${policyId}`);
          assert.equal(n.failedCondition, want ?? undefined, `${policyId} failedCondition (naive)`);
        }
        const f = fast.results.find((r) => r.policyId === policyId);
        if (f) assert.equal(f.failedCondition, want ?? undefined, `${policyId} failedCondition (compiled)`);
        else
          assert.ok(
            state === 'off' || want === 'applications' || want === 'users',
            `the index may only skip ${policyId} for its app or users (it failed ${want})`,
          );
      }

      for (const [methods, unmet] of row.expect.unmet ?? []) {
        for (const e of [fast, naive]) {
          const left = unmetRequirements(methods, e.requirements, set.strengths).map((r) => r.source);
          assert.deepEqual(left, unmet, `unmet with ${methods.join('+')}`);
        }
      }
    });
  }
});
