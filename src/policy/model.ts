// The conditional-access policy model (after Entra conditional access, Duo policies and
// Authelia rules). A document holds named locations, authentication strengths and policies;
// policies reference the other two by id. Everything is validated here, so evaluation never
// meets a malformed value: a document is either accepted whole or rejected with the path
// and reason of every problem.
import { z } from 'zod';
import { cidrSchema } from '../trust/cidr.ts';

/** The authentication methods a strength can name. `password` is the usual first factor. */
export const AUTH_METHODS = [
  'password',
  'totp',
  'hardwareOath',
  'recoveryCode',
  'sms',
  'voice',
  'push',
  'webauthn',
  'federatedMfa',
  /** A Temporary Access Pass (time-limited, issued by an administrator): a strong sign-in on its own. */
  'temporaryAccessPass',
  /**
   * An app password (generated for a legacy client that cannot answer a second step): stands in
   * for the plain `mfa` strength only, and only for legacy clients (clientAppType `legacy`).
   */
  'appPassword',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/**
 * User actions a policy can target instead of applications (Entra's "user actions"): a
 * separate target, never part of "all" applications. Only registering a method so far.
 */
export const USER_ACTIONS = ['registerSecurityInfo'] as const;
export type UserAction = (typeof USER_ACTIONS)[number];

export const CLIENT_APP_TYPES = ['browser', 'mobileDesktop', 'legacy'] as const;
export type ClientAppType = (typeof CLIENT_APP_TYPES)[number];

export const RISK_SIGNALS = ['newDevice', 'newNetwork', 'fraudFlagged'] as const;
export type RiskSignal = (typeof RISK_SIGNALS)[number];

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Limits that keep a hostile or mistaken document from exhausting memory at load. */
export const POLICY_LIMITS = {
  documentBytes: 8 * 1024 * 1024,
  policies: 5_000,
  locations: 1_000,
  cidrsPerLocation: 100_000,
  cidrsTotal: 200_000,
  strengths: 200,
  listEntries: 10_000,
} as const;

const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/, 'must be 1-128 of [A-Za-z0-9_.:@-], starting alphanumeric');
const name = z.string().min(1).max(200);
const idList = z.array(id).max(POLICY_LIMITS.listEntries);

/** An address or CIDR of a named location: the one strict rule of src/trust/cidr.ts. */
export { cidrSchema };

export const namedLocationSchema = z.strictObject({
  id,
  name,
  /** A trusted location ("office network") is what `"trusted"` in a location condition means. */
  trusted: z.boolean().default(false),
  cidrs: z.array(cidrSchema).min(1).max(POLICY_LIMITS.cidrsPerLocation),
});

export const authenticationStrengthSchema = z.strictObject({
  id,
  name,
  /** Shown to the user when this strength is missing, e.g. "Use your security key for this app." */
  userMessage: z.string().min(1).max(300).optional(),
  /** Each combination is a set of methods that, all used in one session, satisfy the strength. */
  combinations: z
    .array(z.array(z.enum(AUTH_METHODS)).min(1).max(AUTH_METHODS.length))
    .min(1)
    .max(64),
});

const includeExclude = z.strictObject({
  include: idList.default([]),
  exclude: idList.default([]),
});

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be HH:MM (00:00-24:00)');

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as Europe/Berlin or UTC');

export const timeWindowSchema = z
  .strictObject({
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1)
      .max(7)
      .default([...WEEKDAYS]),
    /** Local start, inclusive. A window whose end is before its start runs past midnight. */
    start: time,
    /** Local end, exclusive. */
    end: time,
    timeZone,
  })
  .refine((w) => w.start !== w.end, 'start and end must differ (use 00:00 to 24:00 for a whole day)');

export const locationConditionSchema = z.strictObject({
  /** `any`, `trusted` (every trusted named location) or location ids. */
  include: z.array(id).min(1).max(POLICY_LIMITS.listEntries),
  exclude: z.array(id).max(POLICY_LIMITS.listEntries).default([]),
});

export const conditionsSchema = z.strictObject({
  locations: locationConditionSchema.optional(),
  clientAppTypes: z.array(z.enum(CLIENT_APP_TYPES)).min(1).max(3).optional(),
  /** `remembered`: the request carries a valid remembered-device cookie for this user. */
  deviceState: z.enum(['remembered', 'notRemembered']).optional(),
  /** Matches when any listed signal is present, or the user's recent failures reach the threshold. */
  risk: z
    .strictObject({
      signals: z.array(z.enum(RISK_SIGNALS)).max(RISK_SIGNALS.length).default([]),
      failureVelocityAtLeast: z.number().int().min(1).max(1000).optional(),
    })
    .refine(
      (r) => r.signals.length > 0 || r.failureVelocityAtLeast !== undefined,
      'name at least one signal or a failureVelocityAtLeast threshold',
    )
    .optional(),
  times: z
    .strictObject({
      include: z.array(timeWindowSchema).max(50).default([]),
      exclude: z.array(timeWindowSchema).max(50).default([]),
    })
    .refine((t) => t.include.length + t.exclude.length > 0, 'name at least one time window')
    .optional(),
});

const grantControl = z.union([z.literal('mfa'), z.strictObject({ authenticationStrength: id })]);

export const grantSchema = z.union([
  z.strictObject({ block: z.literal(true) }),
  z.strictObject({
    operator: z.enum(['requireAll', 'requireOne']).default('requireAll'),
    controls: z.array(grantControl).min(1).max(10),
  }),
]);

export const sessionControlsSchema = z.strictObject({
  /** Ask for the second factor again once the last one is older than this. */
  signInFrequencyHours: z
    .number()
    .positive()
    .max(24 * 365)
    .optional(),
  /** false: a remembered-device cookie never skips MFA where this policy applies. */
  rememberDevice: z.boolean().optional(),
  /** A remembered device older than this no longer skips MFA where this policy applies. */
  rememberDeviceMaxDays: z.number().int().min(1).max(365).optional(),
});

export const policySchema = z
  .strictObject({
    id,
    name,
    description: z.string().max(2000).optional(),
    state: z.enum(['on', 'off', 'reportOnly']),
    assignments: z
      .strictObject({
        /** User ids, or `all`. */
        users: includeExclude.default({ include: [], exclude: [] }),
        groups: includeExclude.default({ include: [], exclude: [] }),
        roles: includeExclude.default({ include: [], exclude: [] }),
        /** Client ids or application names, or `all` (which never includes a user action). */
        applications: z
          .strictObject({
            include: z.array(id).min(1).max(POLICY_LIMITS.listEntries),
            exclude: idList.default([]),
          })
          .optional(),
        /** Instead of applications: the user actions the policy governs (e.g. registering a method). */
        userActions: z.array(z.enum(USER_ACTIONS)).min(1).max(USER_ACTIONS.length).optional(),
        /** The policy applies only to requests that carry one of these authentication contexts (step-up). */
        authenticationContexts: idList.optional(),
      })
      .superRefine((a, ctx) => {
        if (a.applications === undefined && a.userActions === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['applications'],
            message:
              'name the target: applications ({ include: [...] }) or userActions ([registerSecurityInfo])',
          });
        if (a.applications !== undefined && a.userActions !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['userActions'],
            message:
              'a policy targets either applications or userActions, not both: split it into two policies',
          });
        if (a.userActions !== undefined && a.authenticationContexts !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['authenticationContexts'],
            message: 'authentication contexts go with applications, not with userActions',
          });
      }),
    conditions: conditionsSchema.default({}),
    grant: grantSchema,
    session: sessionControlsSchema.default({}),
  })
  .refine(
    (p) => p.assignments.userActions === undefined || Object.values(p.session).every((v) => v === undefined),
    {
      message: 'session controls do not apply to a user action (there is no session to control): remove them',
      path: ['session'],
    },
  )
  .refine((p) => p.assignments.userActions === undefined || p.conditions.deviceState === undefined, {
    message:
      'deviceState does not apply to a user action (a remembered device plays no part in registering security info): remove it',
    path: ['conditions', 'deviceState'],
  })
  .refine(
    (p) =>
      p.assignments.users.include.length +
        p.assignments.groups.include.length +
        p.assignments.roles.include.length >
      0,
    { message: 'include at least one user (or "all"), group or role', path: ['assignments'] },
  );

export type NamedLocation = z.output<typeof namedLocationSchema>;
export type AuthenticationStrength = z.output<typeof authenticationStrengthSchema>;
export type TimeWindow = z.output<typeof timeWindowSchema>;
export type Conditions = z.output<typeof conditionsSchema>;
export type Grant = z.output<typeof grantSchema>;
export type SessionControlsInput = z.output<typeof sessionControlsSchema>;
export type Policy = z.output<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;

/** Strengths every deployment has; a document may reference them but not redefine them. */
export const BUILT_IN_STRENGTHS: readonly AuthenticationStrength[] = [
  {
    id: 'mfa',
    name: 'Multi-factor authentication',
    userMessage: 'Your organisation requires a second sign-in step for this app.',
    combinations: [
      ...(['totp', 'hardwareOath', 'recoveryCode', 'sms', 'voice', 'push', 'webauthn'] as const).map(
        (m): AuthMethod[] => ['password', m],
      ),
      ['webauthn'],
      ['federatedMfa'],
      ['temporaryAccessPass'],
      ['appPassword'],
    ],
  },
  {
    id: 'otpOrBetter',
    name: 'Authenticator app, hardware token or better',
    userMessage:
      'Your organisation requires an authenticator app, hardware token or security key for this app.',
    combinations: [
      ['password', 'totp'],
      ['password', 'hardwareOath'],
      ['password', 'push'],
      ['password', 'webauthn'],
      ['webauthn'],
    ],
  },
  {
    id: 'phishingResistant',
    name: 'Phishing-resistant',
    userMessage: 'Your organisation requires a passkey or security key for this app.',
    combinations: [['webauthn']],
  },
];

export const policyDocumentSchema = z
  .strictObject({
    namedLocations: z.array(namedLocationSchema).max(POLICY_LIMITS.locations).default([]),
    authenticationStrengths: z.array(authenticationStrengthSchema).max(POLICY_LIMITS.strengths).default([]),
    policies: z.array(policySchema).max(POLICY_LIMITS.policies).default([]),
  })
  .superRefine((doc, ctx) => {
    const unique = (items: { id: string }[], key: string, reserved: readonly string[] = []) => {
      const seen = new Set<string>(reserved);
      items.forEach((item, i) => {
        if (seen.has(item.id)) {
          const why = reserved.includes(item.id) ? 'is reserved' : 'is used twice';
          ctx.addIssue({ code: 'custom', path: [key, i, 'id'], message: `id "${item.id}" ${why}` });
        }
        seen.add(item.id);
      });
    };
    unique(doc.namedLocations, 'namedLocations', ['any', 'trusted']);
    unique(
      doc.authenticationStrengths,
      'authenticationStrengths',
      BUILT_IN_STRENGTHS.map((s) => s.id),
    );
    unique(doc.policies, 'policies');

    const cidrs = doc.namedLocations.reduce((n, l) => n + l.cidrs.length, 0);
    if (cidrs > POLICY_LIMITS.cidrsTotal)
      ctx.addIssue({
        code: 'custom',
        path: ['namedLocations'],
        message: `${cidrs} CIDRs in all; at most ${POLICY_LIMITS.cidrsTotal}`,
      });

    const locations = new Set(['any', 'trusted', ...doc.namedLocations.map((l) => l.id)]);
    const strengths = new Set([...BUILT_IN_STRENGTHS, ...doc.authenticationStrengths].map((s) => s.id));
    doc.policies.forEach((p, i) => {
      const loc = p.conditions.locations;
      for (const side of ['include', 'exclude'] as const) {
        loc?.[side].forEach((ref, j) => {
          if (!locations.has(ref))
            ctx.addIssue({
              code: 'custom',
              path: ['policies', i, 'conditions', 'locations', side, j],
              message: `unknown named location "${ref}"`,
            });
        });
      }
      if ('controls' in p.grant) {
        p.grant.controls.forEach((c, j) => {
          if (typeof c === 'object' && !strengths.has(c.authenticationStrength))
            ctx.addIssue({
              code: 'custom',
              path: ['policies', i, 'grant', 'controls', j, 'authenticationStrength'],
              message: `unknown authentication strength "${c.authenticationStrength}"`,
            });
        });
      }
    });
  });

export type PolicyDocument = z.output<typeof policyDocumentSchema>;
export type PolicyDocumentInput = z.input<typeof policyDocumentSchema>;

/** The facts about one sign-in (or one request) that policies are evaluated against. */
export interface PolicyContext {
  userId: string;
  groups?: readonly string[] | undefined;
  roles?: readonly string[] | undefined;
  /** The client id or application name: the "cloud app" of Entra. Not looked at for a user action. */
  app: string;
  /**
   * The request is this user action (e.g. registering a method), not a sign-in to `app`: only
   * policies that list it in `userActions` apply, never application policies.
   */
  userAction?: UserAction | undefined;
  /** Authentication contexts this request asks for (e.g. `c1` on a sensitive page). */
  authenticationContexts?: readonly string[] | undefined;
  /** The client address, already resolved under the trusted-proxy rules. */
  ip: string;
  clientAppType?: ClientAppType | undefined;
  deviceRemembered?: boolean | undefined;
  risk?: RiskFacts | undefined;
  /** ms since the epoch. */
  time: number;
}

export interface RiskFacts {
  newDevice?: boolean | undefined;
  newNetwork?: boolean | undefined;
  fraudFlagged?: boolean | undefined;
  /** Failed second-factor attempts of this user in the current lockout window. */
  recentFailures?: number | undefined;
}
