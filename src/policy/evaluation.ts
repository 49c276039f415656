// What the policies say about one context: data, with the reasons. Every matching `on`
// policy applies; `block` wins; the grant requirements of all of them must be met together;
// the strictest session control wins. `reportOnly` policies are evaluated and reported
// (what they would have done) but never change `action`, `requirements` or `sessionControls`.
import type { CompiledPolicy } from './compiled-policy.ts';
import {
  CONDITIONS,
  type ConditionName,
  type ConditionResult,
  type EvaluationFacts,
} from './conditions/index.ts';
import type { Policy } from './model.ts';
import type { GrantRequirement } from './strength.ts';

/** The session controls of the enforced matching policies, the strictest of each. */
export interface SessionControls {
  /** Re-ask for the second factor once it is older than this (ms); null: no limit. */
  signInFrequencyMs: number | null;
  /** false when any applying policy forbids remembered devices. */
  rememberDeviceAllowed: boolean;
  /** The smallest remembered-device age limit among applying policies (days); null: none. */
  rememberDeviceMaxDays: number | null;
}

export interface PolicyResult {
  policyId: string;
  name: string;
  state: Policy['state'];
  matched: boolean;
  /** matched and `on`: it takes part in the decision. */
  enforced: boolean;
  /** The first condition that failed (fast mode), when not matched. */
  failedCondition?: ConditionName;
  /** Every condition with its explanation (explain mode only). */
  conditions?: ConditionResult[];
  /** What the policy does (or, report-only, would do) when it matches. */
  grant: 'block' | GrantRequirement;
}

export interface PolicyEvaluation {
  action: 'allow' | 'mfa' | 'block';
  /** Ids of the `on` policies that block. */
  blockedBy: string[];
  requirements: GrantRequirement[];
  sessionControls: SessionControls;
  /** One entry per policy evaluated (all of them in explain mode; the index's candidates otherwise). */
  results: PolicyResult[];
  /** Report-only policies that matched, with what they would have done. */
  reportOnly: PolicyResult[];
  /** Policies the index ruled out without evaluating (fast mode). */
  notEvaluated: number;
  /** The version of the policy set that decided. */
  version: number;
}

export const NO_SESSION_CONTROLS: SessionControls = Object.freeze({
  signInFrequencyMs: null,
  rememberDeviceAllowed: true,
  rememberDeviceMaxDays: null,
});

/** Runs the conditions of one policy. Fast mode stops at the first failure. */
export function evaluatePolicy(p: CompiledPolicy, facts: EvaluationFacts, explain: boolean): PolicyResult {
  const base = {
    policyId: p.policy.id,
    name: p.policy.name,
    state: p.policy.state,
    grant: 'block' in p.grant ? ('block' as const) : p.grant,
  };
  if (!explain) {
    for (const c of CONDITIONS) {
      if (c.applies(p) && !c.test(p, facts))
        return { ...base, matched: false, enforced: false, failedCondition: c.name };
    }
    return { ...base, matched: true, enforced: p.policy.state === 'on' };
  }
  const conditions: ConditionResult[] = [];
  let failed: ConditionName | undefined;
  for (const c of CONDITIONS) {
    if (!c.applies(p)) continue;
    const matched = c.test(p, facts);
    if (!matched) failed ??= c.name;
    conditions.push({ condition: c.name, matched, detail: c.explain(p, facts, matched) });
  }
  const matched = failed === undefined;
  return {
    ...base,
    matched,
    enforced: matched && p.policy.state === 'on',
    conditions,
    ...(failed ? { failedCondition: failed } : {}),
  };
}

/** Folds the results (in document order) into the decision. */
export function combine(
  evaluated: readonly { compiled: CompiledPolicy; result: PolicyResult }[],
  notEvaluated: number,
  version: number,
): PolicyEvaluation {
  const blockedBy: string[] = [];
  const requirements: GrantRequirement[] = [];
  const reportOnly: PolicyResult[] = [];
  let frequency: number | null = null;
  let rememberAllowed = true;
  let rememberMax: number | null = null;
  for (const { compiled, result } of evaluated) {
    if (!result.matched) continue;
    if (compiled.policy.state === 'reportOnly') {
      reportOnly.push(result);
      continue;
    }
    if (compiled.policy.state !== 'on') continue;
    if ('block' in compiled.grant) blockedBy.push(compiled.policy.id);
    else requirements.push(compiled.grant);
    const s = compiled.session;
    if (s.signInFrequencyHours !== undefined) {
      const ms = s.signInFrequencyHours * 3_600_000;
      frequency = frequency === null ? ms : Math.min(frequency, ms);
    }
    if (s.rememberDevice === false) rememberAllowed = false;
    if (s.rememberDeviceMaxDays !== undefined)
      rememberMax =
        rememberMax === null ? s.rememberDeviceMaxDays : Math.min(rememberMax, s.rememberDeviceMaxDays);
  }
  return {
    action: blockedBy.length > 0 ? 'block' : requirements.length > 0 ? 'mfa' : 'allow',
    blockedBy,
    requirements,
    sessionControls:
      frequency === null && rememberAllowed && rememberMax === null
        ? NO_SESSION_CONTROLS
        : {
            signInFrequencyMs: frequency,
            rememberDeviceAllowed: rememberAllowed,
            rememberDeviceMaxDays: rememberMax,
          },
    results: evaluated.map((e) => e.result),
    reportOnly,
    notEvaluated,
    version,
  };
}
