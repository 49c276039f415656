// The reference evaluator: every policy, every condition, every CIDR of every location
// compared one by one. No index, no trie. The compiled evaluator must agree with it on
// every document and context (a property test checks), and the benchmark prints both.
import { compilePolicy } from './compiled-policy.ts';
import type { EvaluationFacts } from './conditions/index.ts';
import { combine, evaluatePolicy, type PolicyEvaluation } from './evaluation.ts';
import { cidrContains, ipBytes, parseCidr } from './ip.ts';
import type { PolicyContext, PolicyDocument } from './model.ts';

/** Evaluates `document` with no index: every policy, every CIDR, one by one. */
export function naiveEvaluator(document: PolicyDocument, version = 0) {
  const locationIndex = new Map(document.namedLocations.map((l, i) => [l.id, i]));
  const compiled = document.policies.map((p, i) => compilePolicy(p, i, locationIndex));
  const ranges = document.namedLocations.map((l) => l.cidrs.map(parseCidr));
  return (ctx: PolicyContext): PolicyEvaluation => {
    const ip = ipBytes(ctx.ip);
    const inLocation = (i: number) => ip !== null && (ranges[i] ?? []).some((r) => cidrContains(r, ip));
    const facts: EvaluationFacts = {
      ctx,
      locations: () => new Set(document.namedLocations.flatMap((_, i) => (inLocation(i) ? [i] : []))),
      inTrustedLocation: () => document.namedLocations.some((l, i) => l.trusted && inLocation(i)),
      namedLocations: document.namedLocations,
    };
    const live = compiled.filter((p) => p.policy.state !== 'off');
    return combine(
      live.map((p) => ({ compiled: p, result: evaluatePolicy(p, facts, false) })),
      0,
      version,
    );
  };
}
