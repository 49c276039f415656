// What-if: the request body of a hypothetical sign-in or user action (over HTTP, in the policy
// admin router), and the report answered for its decision (there and by `mfakit what-if --json`).
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { type Decision, mustEnroll, skipOf, userMessageOf } from '../engine/decision.ts';
import { CLIENT_APP_TYPES, POLICY_LIMITS, policySchema, USER_ACTIONS } from '../policy/model.ts';

const ipField = z
  .string({ error: 'ip is required' })
  .max(64)
  .refine(
    (ip) => ipaddr.IPv4.isValidFourPartDecimal(ip) || ipaddr.IPv6.isValid(ip),
    'ip must be an IPv4 or IPv6 address',
  );

const shortString = z.string().min(1).max(256);

/**
 * A hypothetical sign-in, or user action. Strict: a misspelt field must not silently give
 * another answer, and a user action names no application (it is not a sign-in to one).
 */
export const whatIfBody = z
  .strictObject({
    userId: shortString,
    app: policySchema.shape.id.optional(),
    ip: ipField,
    amr: z.array(z.string().min(1).max(32)).max(10).optional(),
    groups: z.array(shortString).max(POLICY_LIMITS.listEntries).optional(),
    roles: z.array(shortString).max(POLICY_LIMITS.listEntries).optional(),
    clientAppType: z.enum(CLIENT_APP_TYPES).optional(),
    deviceRemembered: z.boolean().optional(),
    deviceAgeDays: z.number().min(0).max(3650).optional(),
    risk: z
      .strictObject({
        newDevice: z.boolean().optional(),
        newNetwork: z.boolean().optional(),
        fraudFlagged: z.boolean().optional(),
        recentFailures: z.number().int().min(0).max(1_000_000).optional(),
      })
      .optional(),
    authenticationContexts: z.array(policySchema.shape.id).max(100).optional(),
    /** A user action (`registerSecurityInfo`: may the user register a method?) instead of a sign-in. */
    userAction: z.enum(USER_ACTIONS).optional(),
    /** An ISO 8601 date-time with a zone (`2026-12-01T09:30:00Z`) or ms since the epoch. */
    time: z
      .union([
        z.number().int().min(0).max(8.64e15),
        z.iso.datetime({ offset: true, error: 'time must be an ISO date-time with a zone, or ms' }),
      ])
      .transform((t) => (typeof t === 'number' ? t : Date.parse(t)))
      .optional(),
  })
  .refine(
    (b) => b.userAction === undefined || (b.app === undefined && b.authenticationContexts === undefined),
    {
      message: 'a userAction is not a sign-in to an app: leave out app and authenticationContexts',
      path: ['userAction'],
    },
  );

/** What the what-if endpoint (and `mfakit what-if --json`) answers: the decision and every policy explained. */
export function whatIfReport(decision: Decision) {
  return {
    action: decision.action,
    ...(decision.userAction ? { userAction: decision.userAction } : {}),
    userMessage: userMessageOf(decision),
    requirements: decision.action === 'allow' ? [] : decision.requirements,
    sessionControls: decision.sessionControls,
    reasons: decision.reasons,
    mustEnroll: mustEnroll(decision),
    skippedBy: decision.action === 'allow' ? skipOf(decision) : null,
    userState: decision.userState,
    policyVersion: decision.policy?.version ?? null,
    policies: decision.policy?.results ?? [],
    reportOnly: decision.policy?.reportOnly ?? [],
  };
}
