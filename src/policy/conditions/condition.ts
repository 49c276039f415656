// What a policy condition is: its name, whether a policy has it, a fast test, and an
// explanation for the what-if view; and the facts it is tested against. Conditions are pure:
// facts in, boolean out.
import type { CompiledPolicy } from '../compiled-policy.ts';
import type { NamedLocation, PolicyContext } from '../model.ts';

export type ConditionName =
  | 'applications'
  | 'userActions'
  | 'users'
  | 'authenticationContext'
  | 'clientAppTypes'
  | 'deviceState'
  | 'locations'
  | 'risk'
  | 'times';

export interface EvaluationFacts {
  ctx: PolicyContext;
  /** Indexes of the named locations that contain the client address (computed once, on demand). */
  locations(): ReadonlySet<number>;
  /** Whether the client address lies in a trusted named location. */
  inTrustedLocation(): boolean;
  namedLocations: readonly NamedLocation[];
}

export interface PolicyCondition {
  name: ConditionName;
  applies(p: CompiledPolicy): boolean;
  test(p: CompiledPolicy, facts: EvaluationFacts): boolean;
  explain(p: CompiledPolicy, facts: EvaluationFacts, matched: boolean): string;
}

export interface ConditionResult {
  condition: ConditionName;
  matched: boolean;
  detail: string;
}
