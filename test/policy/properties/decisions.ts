/** Property-test generators and comparisons: random contexts, and the decisions two evaluators give. */

import fc from 'fast-check';
import {
  CLIENT_APP_TYPES,
  compilePolicySet,
  naiveEvaluator,
  type PolicyContext,
  type PolicyDocument,
  type PolicyEvaluation,
  USER_ACTIONS,
} from '../../../src/policy/index.ts';
import { APPS, CONTEXTS, GROUPS, ipSpecArb, ROLES, resolveIp, USERS } from './addresses.ts';
import { docArb, sometimes } from './documents.ts';

// ---------------------------------------------------------------- contexts

export const ctxArb = fc.record({
  userId: fc.constantFrom(...USERS, 'u-other'),
  groups: sometimes(fc.subarray(GROUPS), 3, 1),
  roles: sometimes(fc.subarray(ROLES), 3, 1),
  app: fc.constantFrom(...APPS, 'a-other'),
  // Sometimes a user action (registering a method) instead of a sign-in to `app`.
  userAction: sometimes(fc.constantFrom(...USER_ACTIONS), 1, 3),
  authenticationContexts: sometimes(fc.subarray(CONTEXTS), 1, 1),
  ip: ipSpecArb,
  clientAppType: sometimes(fc.constantFrom(...CLIENT_APP_TYPES), 3, 1),
  deviceRemembered: sometimes(fc.boolean(), 3, 1),
  risk: sometimes(
    fc.record(
      {
        newDevice: fc.boolean(),
        newNetwork: fc.boolean(),
        fraudFlagged: fc.boolean(),
        recentFailures: fc.integer({ min: 0, max: 8 }),
      },
      { requiredKeys: [] },
    ),
    3,
    1,
  ),
  time: fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2027-12-31T23:59:59Z') }),
});
export type RawCtx = typeof ctxArb extends fc.Arbitrary<infer T> ? T : never;

export const resolveCtx = (c: RawCtx, doc: PolicyDocument): PolicyContext => ({
  ...c,
  ip: resolveIp(c.ip, doc),
});

// ---------------------------------------------------------------- comparing decisions

export const decision = (e: PolicyEvaluation) => ({
  action: e.action,
  blockedBy: e.blockedBy,
  requirements: e.requirements,
  sessionControls: e.sessionControls,
});
export const withReportOnly = (e: PolicyEvaluation) => ({
  ...decision(e),
  reportOnly: e.reportOnly.map((r) => r.policyId),
});
export const RANK = { allow: 0, mfa: 1, block: 2 } as const;

export const both = (doc: PolicyDocument, ctx: PolicyContext) => ({
  compiled: compilePolicySet(doc).evaluate(ctx),
  naive: naiveEvaluator(doc)(ctx),
});

export const RUNS = { numRuns: 200 };
export const scenario = fc.tuple(docArb, fc.array(ctxArb, { minLength: 1, maxLength: 4 }));
