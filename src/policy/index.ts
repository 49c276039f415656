// mfakit/policy — the conditional-access policy model and its loading and validation, the
// compiled evaluator (and the naive reference one it must agree with), authentication
// strengths, and the rule for registering a method.
export { compilePolicySet, type PolicySet, strengthMap } from './compile.ts';
export type { ConditionName, ConditionResult } from './conditions/index.ts';
export type { PolicyEvaluation, PolicyResult, SessionControls } from './evaluation.ts';
export { NO_SESSION_CONTROLS } from './evaluation.ts';
export {
  loadPolicyFile,
  type PolicyIssue,
  PolicyLoadError,
  parsePolicyDocument,
  parsePolicyText,
} from './load.ts';
export * from './model.ts';
export { naiveEvaluator } from './naive.ts';
export {
  evaluateRegistration,
  REGISTRATION_BLOCKED_MESSAGE,
  REGISTRATION_MFA_MESSAGE,
  type RegistrationContext,
  type RegistrationEvaluation,
} from './registration.ts';
export {
  type CompiledStrength,
  type GrantRequirement,
  isPlainMfaRequirement,
  methodMask,
  requirementMessage,
  satisfiesRequirement,
  unmetRequirements,
} from './strength.ts';
