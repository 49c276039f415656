/**
 * Property tests over random valid documents and random contexts: the compiled and naive evaluators
 * agree, and off, report-only and excluded policies never change a decision the wrong way.
 */

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compilePolicySet, naiveEvaluator, parsePolicyDocument } from '../../../src/policy/index.ts';
import type { Obj } from './addresses.ts';
import { both, decision, RANK, RUNS, resolveCtx, scenario, withReportOnly } from './decisions.ts';
import { buildDoc, buildPolicy, docArb, policiesOf, policyArb } from './documents.ts';

describe('policy properties', () => {
  it('every generated document is valid', () => {
    fc.assert(
      fc.property(docArb, (raw) => {
        parsePolicyDocument(buildDoc(raw));
      }),
      RUNS,
    );
  });

  it('a. the compiled evaluator agrees with the naive one (fast and explain mode)', () => {
    let matched = 0;
    let located = 0;
    let actionMatched = 0;
    fc.assert(
      fc.property(scenario, ([raw, ctxs]) => {
        const doc = parsePolicyDocument(buildDoc(raw));
        const set = compilePolicySet(doc);
        const naive = naiveEvaluator(doc);
        const live = doc.policies.filter((p) => p.state !== 'off').length;
        for (const c of ctxs) {
          const ctx = resolveCtx(c, doc);
          const n = naive(ctx);
          const f = set.evaluate(ctx);
          const x = set.evaluate(ctx, { explain: true });
          assert.deepEqual(withReportOnly(f), withReportOnly(n));
          assert.deepEqual(withReportOnly(x), withReportOnly(n));
          assert.deepEqual(f.reportOnly, n.reportOnly);
          // every policy the index evaluated gives the naive result; no matching policy is skipped
          for (const r of f.results)
            assert.deepEqual(
              r,
              n.results.find((m) => m.policyId === r.policyId),
            );
          for (const r of n.results.filter((m) => m.matched))
            assert.ok(
              f.results.some((m) => m.policyId === r.policyId),
              `${r.policyId} skipped by the index`,
            );
          assert.equal(f.results.length + f.notEvaluated, live);
          // explain mode: the same verdict per policy, plus every off policy
          assert.equal(x.results.length, doc.policies.length);
          for (const r of n.results) {
            const e = x.results.find((m) => m.policyId === r.policyId);
            assert.equal(e?.matched, r.matched);
            assert.equal(e?.failedCondition, r.failedCondition);
          }
          matched += n.results.filter((r) => r.matched).length;
          // a user-action policy matches only a request for its action, an app policy only a sign-in
          for (const r of n.results.filter((m) => m.matched)) {
            const p = doc.policies.find((q) => q.id === r.policyId);
            assert.equal(p?.assignments.userActions !== undefined, ctx.userAction !== undefined);
            if (ctx.userAction !== undefined) actionMatched++;
          }
          // the index never offers a policy of the other target
          for (const r of f.results) {
            const p = doc.policies.find((q) => q.id === r.policyId);
            assert.equal(p?.assignments.userActions !== undefined, ctx.userAction !== undefined);
          }
          if (
            n.results.some(
              (r) => r.matched && doc.policies.find((p) => p.id === r.policyId)?.conditions.locations,
            )
          )
            located++;
        }
      }),
      { numRuns: 300 },
    );
    assert.ok(matched > 100, `the generator should make policies match (${matched})`);
    assert.ok(located > 10, `the generator should make location conditions match (${located})`);
    assert.ok(
      actionMatched > 10,
      `user-action policies should match user-action requests (${actionMatched})`,
    );
  });

  it('b. adding an off or reportOnly policy never changes the decision', () => {
    fc.assert(
      fc.property(
        scenario,
        policyArb,
        fc.constantFrom('off', 'reportOnly'),
        fc.nat(),
        ([raw, ctxs], extraRaw, state, at) => {
          const input = buildDoc(raw);
          const doc = parsePolicyDocument(input);
          const extra = {
            ...buildPolicy(extraRaw, 'extra', raw.locations.length, raw.strengths.length),
            state,
          };
          const policies = [...policiesOf(input)];
          policies.splice(at % (policies.length + 1), 0, extra);
          const more = parsePolicyDocument({ ...input, policies });
          for (const c of ctxs) {
            const ctx = resolveCtx(c, doc);
            const before = both(doc, ctx);
            const after = both(more, ctx);
            assert.deepEqual(decision(after.compiled), decision(before.compiled));
            assert.deepEqual(decision(after.naive), decision(before.naive));
            if (state === 'off') assert.ok(!after.compiled.reportOnly.some((r) => r.policyId === 'extra'));
          }
        },
      ),
      RUNS,
    );
  });

  it('c. excluding the user from a policy never makes the decision stricter for that user', () => {
    let changed = 0;
    fc.assert(
      fc.property(scenario, fc.nat(), ([raw, ctxs], pick) => {
        fc.pre(raw.policies.length > 0);
        const input = buildDoc(raw);
        const doc = parsePolicyDocument(input);
        for (const c of ctxs) {
          const ctx = resolveCtx(c, doc);
          const i = pick % raw.policies.length;
          const policies = structuredClone(policiesOf(input));
          const target = policies[i] as Obj;
          const users = (target.assignments as Obj).users as { include: string[]; exclude: string[] };
          users.exclude.push(ctx.userId);
          const excluded = parsePolicyDocument({ ...input, policies });
          const before = both(doc, ctx);
          const after = both(excluded, ctx);
          for (const kind of ['compiled', 'naive'] as const) {
            const b = before[kind];
            const a = after[kind];
            assert.ok(RANK[a.action] <= RANK[b.action], `${kind}: ${b.action} → ${a.action}`);
            const sources = new Set(b.requirements.map((r) => r.source));
            for (const r of a.requirements)
              assert.ok(sources.has(r.source), `${kind}: new requirement ${r.source}`);
            for (const id of a.blockedBy)
              assert.ok(b.blockedBy.includes(id), `${kind}: newly blocked by ${id}`);
            const id = target.id as string;
            assert.ok(!a.blockedBy.includes(id) && !a.requirements.some((r) => r.source === id));
            assert.ok(!a.reportOnly.some((r) => r.policyId === id));
            if (a.action !== b.action) changed++;
          }
        }
      }),
      RUNS,
    );
    assert.ok(changed > 0, 'some exclusion should have relaxed a decision');
  });

  it('d. a matching reportOnly policy is reported, and enforced when it is switched on', () => {
    let reported = 0;
    fc.assert(
      fc.property(scenario, fc.nat(), ([raw, ctxs], pick) => {
        fc.pre(raw.policies.length > 0);
        const input = buildDoc(raw);
        const i = pick % raw.policies.length;
        const withState = (state: string) => {
          const policies = structuredClone(policiesOf(input));
          (policies[i] as Obj).state = state;
          return parsePolicyDocument({ ...input, policies });
        };
        const ro = withState('reportOnly');
        const on = withState('on');
        const id = `p${i}`;
        for (const c of ctxs) {
          const ctx = resolveCtx(c, ro);
          const asReportOnly = both(ro, ctx);
          const asOn = both(on, ctx);
          for (const kind of ['compiled', 'naive'] as const) {
            const r = asReportOnly[kind];
            const o = asOn[kind];
            const entry = r.reportOnly.find((x) => x.policyId === id);
            const enforced = o.blockedBy.includes(id) || o.requirements.some((x) => x.source === id);
            assert.equal(entry !== undefined, enforced, `${kind}: reported iff enforced when on`);
            assert.equal(
              o.results.find((x) => x.policyId === id)?.enforced ?? false,
              enforced,
              `${kind}: the on result says enforced`,
            );
            assert.ok(!r.blockedBy.includes(id) && !r.requirements.some((x) => x.source === id));
            if (entry) {
              assert.equal(entry.matched, true);
              assert.equal(entry.enforced, false);
              const policy = on.policies[i];
              assert.equal(entry.grant === 'block', policy !== undefined && 'block' in policy.grant);
              if (entry.grant !== 'block')
                assert.deepEqual(
                  entry.grant,
                  o.requirements.find((x) => x.source === id),
                );
              reported++;
            }
          }
        }
      }),
      RUNS,
    );
    assert.ok(reported > 20, `report-only policies should match sometimes (${reported})`);
  });
});
