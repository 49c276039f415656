/** Policy scenarios in explain mode: every row's explanation, and what explain says about each condition. */
import assert from 'node:assert/strict';
import { compilePolicySet, type PolicyContext } from '../../../src/policy/index.ts';
import { BASE_CTX, BERLIN_OFFICE_HOURS, docOf, pol, reportOnlyIds } from './fixtures.ts';
import { rows } from './rows.ts';

describe('policy scenarios in explain mode', () => {
  it('every row: explain agrees with fast mode and explains every condition of every policy', () => {
    for (const row of rows) {
      const doc = docOf(row.policies);
      const ctx: PolicyContext = { ...BASE_CTX, ...row.ctx };
      const set = compilePolicySet(doc);
      const fast = set.evaluate(ctx);
      const e = set.evaluate(ctx, { explain: true });
      const where = row.name;
      assert.equal(e.action, fast.action, where);
      assert.deepEqual(e.blockedBy, fast.blockedBy, where);
      assert.deepEqual(e.requirements, fast.requirements, where);
      assert.deepEqual(e.sessionControls, fast.sessionControls, where);
      assert.deepEqual(reportOnlyIds(e), reportOnlyIds(fast), where);
      assert.equal(e.notEvaluated, 0, where);
      // every policy, `off` ones included, in document order
      assert.deepEqual(
        e.results.map((r) => r.policyId),
        doc.policies.map((p) => p.id),
        where,
      );
      for (const r of e.results) {
        assert.ok(Array.isArray(r.conditions), `${where}: ${r.policyId} has conditions`);
        const names = r.conditions.map((c) => c.condition);
        assert.ok(names.includes('applications') && names.includes('users'), where);
        for (const c of r.conditions) {
          assert.equal(typeof c.detail, 'string');
          assert.ok(c.detail.length > 0, `${where}: ${r.policyId}.${c.condition} has a detail`);
        }
        assert.equal(
          r.matched,
          r.conditions.every((c) => c.matched),
          where,
        );
        assert.equal(r.failedCondition, r.conditions.find((c) => !c.matched)?.condition, where);
        assert.equal(r.enforced, r.matched && r.state === 'on', where);
      }
    }
  });

  it('explains each condition that applies, and only those', () => {
    const doc = docOf([
      pol('everything', {
        users: ['alice'],
        contexts: ['c1'],
        when: {
          clientAppTypes: ['browser'],
          deviceState: 'notRemembered',
          locations: { include: ['any'], exclude: ['trusted'] },
          risk: { signals: ['newDevice'] },
          times: { include: [BERLIN_OFFICE_HOURS] },
        },
      }),
      pol('plain'),
    ]);
    const e = compilePolicySet(doc).evaluate(
      { ...BASE_CTX, authenticationContexts: ['c1'], ip: '10.9.9.9', risk: { newDevice: true } },
      { explain: true },
    );
    const [everything, plain] = e.results;
    assert.deepEqual(
      everything?.conditions?.map((c) => [c.condition, c.matched]),
      [
        ['applications', true],
        ['users', true],
        ['authenticationContext', true],
        ['clientAppTypes', true],
        ['deviceState', true],
        ['locations', false],
        ['risk', true],
        ['times', true],
      ],
    );
    assert.equal(everything?.failedCondition, 'locations');
    const location = everything?.conditions?.find((c) => c.condition === 'locations')?.detail ?? '';
    assert.match(location, /10\.9\.9\.9/);
    assert.match(location, /excluded/);
    assert.match(location, /trusted/);
    assert.deepEqual(
      plain?.conditions?.map((c) => c.condition),
      ['applications', 'users'],
    );
    assert.equal(e.action, 'mfa');
    assert.deepEqual(
      e.requirements.map((r) => r.source),
      ['plain'],
    );
  });

  it('names the exclusion that kept a user out', () => {
    const doc = docOf([pol('p', { users: ['alice'], groups: { exclude: ['breakglass'] } })]);
    const e = compilePolicySet(doc).evaluate({ ...BASE_CTX, groups: ['breakglass'] }, { explain: true });
    const users = e.results[0]?.conditions?.find((c) => c.condition === 'users');
    assert.equal(users?.matched, false);
    assert.match(users?.detail ?? '', /excluded/);
    assert.match(users?.detail ?? '', /breakglass/);
  });

  it('shows an off policy, with its conditions, without letting it decide', () => {
    const doc = docOf([pol('off-block', { state: 'off', grant: 'block' })]);
    const set = compilePolicySet(doc);
    const e = set.evaluate(BASE_CTX, { explain: true });
    assert.equal(e.action, 'allow');
    assert.equal(e.results.length, 1);
    assert.equal(e.results[0]?.state, 'off');
    assert.equal(e.results[0]?.matched, true);
    assert.equal(e.results[0]?.enforced, false);
    assert.ok((e.results[0]?.conditions?.length ?? 0) >= 2);
    assert.deepEqual(set.evaluate(BASE_CTX).results, [], 'fast mode does not evaluate off policies');
  });
});
