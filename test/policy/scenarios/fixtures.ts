/**
 * Shared fixtures of the policy scenario tests: policy-document builders, the named locations and
 * strengths every document has, the base request context, expectation types and the outcome check.
 */
import assert from 'node:assert/strict';
import {
  type AuthenticationStrength,
  type ConditionName,
  type GrantRequirement,
  type NamedLocation,
  NO_SESSION_CONTROLS,
  type PolicyContext,
  type PolicyDocument,
  type PolicyEvaluation,
  type PolicyInput,
  parsePolicyDocument,
  type SessionControls,
  type TimeWindow,
} from '../../../src/policy/index.ts';

// ---------------------------------------------------------------- document helpers

export type Subjects = string[] | { include?: string[]; exclude?: string[] };
export type Grant = 'block' | 'mfa' | { all: string[] } | { one: string[] };

export interface P {
  state?: 'on' | 'off' | 'reportOnly';
  users?: Subjects;
  groups?: Subjects;
  roles?: Subjects;
  apps?: Subjects;
  contexts?: string[];
  when?: PolicyInput['conditions'];
  grant?: Grant;
  session?: PolicyInput['session'];
}

export const subjects = (s: Subjects | undefined) =>
  s === undefined ? undefined : Array.isArray(s) ? { include: s } : s;
export const control = (s: string) => (s === 'mfa' ? ('mfa' as const) : { authenticationStrength: s });

export function pol(id: string, p: P = {}): PolicyInput {
  const g = p.grant ?? 'mfa';
  const grant =
    g === 'block'
      ? { block: true as const }
      : g === 'mfa'
        ? { controls: ['mfa' as const] }
        : 'all' in g
          ? { operator: 'requireAll' as const, controls: g.all.map(control) }
          : { operator: 'requireOne' as const, controls: g.one.map(control) };
  const users = p.users ?? (p.groups || p.roles ? undefined : ['all']);
  return {
    id,
    name: `Policy ${id}`,
    state: p.state ?? 'on',
    assignments: {
      ...(users ? { users: subjects(users) } : {}),
      ...(p.groups ? { groups: subjects(p.groups) } : {}),
      ...(p.roles ? { roles: subjects(p.roles) } : {}),
      applications: { include: ['all'], ...subjects(p.apps) } as { include: string[]; exclude?: string[] },
      ...(p.contexts ? { authenticationContexts: p.contexts } : {}),
    },
    ...(p.when ? { conditions: p.when } : {}),
    grant,
    ...(p.session ? { session: p.session } : {}),
  } as PolicyInput;
}

export const loc = (id: string, cidrs: string[], trusted = false): NamedLocation => ({
  id,
  name: id,
  trusted,
  cidrs,
});

/** Every document has the same named locations and custom strength; only policies vary. */
export const LOCATIONS: NamedLocation[] = [
  loc('hq', ['10.0.0.0/8', '2001:db8:abcd::/48'], true),
  loc('branch', ['192.0.2.0/24']),
  // inside hq's 10.0.0.0/8, plus a range of its own
  loc('lab', ['10.20.0.0/16', '203.0.113.0/24']),
  loc('v6lab', ['2001:db8:ffff::/64']),
  // inside hq's 2001:db8:abcd::/48
  loc('v6desk', ['2001:db8:abcd:12::/64']),
];
export const STRENGTHS: AuthenticationStrength[] = [
  {
    id: 'hardwareToken',
    name: 'Hardware token',
    userMessage: 'Use your hardware token.',
    combinations: [['password', 'hardwareOath'], ['webauthn']],
  },
];

export const docOf = (policies: PolicyInput[]): PolicyDocument =>
  parsePolicyDocument({ namedLocations: LOCATIONS, authenticationStrengths: STRENGTHS, policies });

// ---------------------------------------------------------------- context and expectation helpers

export const at = (iso: string) => Date.parse(iso);
/** Wednesday 4 March 2026, 12:00 UTC (13:00 in Berlin, 07:00 in New York). */
export const WED_NOON = at('2026-03-04T12:00:00Z');

export const BASE_CTX: PolicyContext = {
  userId: 'alice',
  groups: ['staff'],
  roles: [],
  app: 'portal',
  ip: '198.51.100.7',
  clientAppType: 'browser',
  time: WED_NOON,
};

export const req = (
  source: string,
  strengths: string[] = ['mfa'],
  operator: GrantRequirement['operator'] = 'requireAll',
): GrantRequirement => ({ source, operator, strengths });

export const session = (
  hours: number | null,
  rememberDeviceAllowed: boolean,
  maxDays: number | null,
): SessionControls => ({
  signInFrequencyMs: hours === null ? null : hours * 3_600_000,
  rememberDeviceAllowed,
  rememberDeviceMaxDays: maxDays,
});

export interface Expected {
  action: PolicyEvaluation['action'];
  blockedBy?: string[];
  requirements?: GrantRequirement[];
  session?: SessionControls;
  reportOnly?: string[];
  /** policy id → its first failed condition, or null for "matched". */
  failed?: Record<string, ConditionName | null>;
  /** [methods used, sources of the requirements those methods leave unmet]. */
  unmet?: [string[], string[]][];
}

export interface Row {
  name: string;
  policies: PolicyInput[];
  ctx?: Partial<PolicyContext>;
  expect: Expected;
}

export const BERLIN_OFFICE_HOURS: TimeWindow = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '09:00',
  end: '17:00',
  timeZone: 'Europe/Berlin',
};
export const BERLIN_NINE_TO_TEN: TimeWindow = { ...BERLIN_OFFICE_HOURS, start: '09:00', end: '10:00' };
export const NEW_YORK_NINE_TO_TEN = {
  start: '09:00',
  end: '10:00',
  timeZone: 'America/New_York',
} as unknown as TimeWindow; // days default to the whole week
export const MONDAY_NIGHT: TimeWindow = { days: ['mon'], start: '22:00', end: '06:00', timeZone: 'UTC' };

// ---------------------------------------------------------------- shared policies

export const offSite = pol('off-site-mfa', {
  when: { locations: { include: ['any'], exclude: ['trusted'] } },
});
export const branchBlock = pol('branch-block', {
  grant: 'block',
  when: { locations: { include: ['branch'] } },
});
export const legacyBlock = pol('legacy-block', {
  users: { include: ['all'], exclude: ['svc-backup'] },
  grant: 'block',
  when: { clientAppTypes: ['legacy'] },
});
export const hqMfa = pol('hq-mfa', { when: { locations: { include: ['hq'] } } });
export const labOtp = pol('lab-otp', {
  grant: { all: ['otpOrBetter'] },
  when: { locations: { include: ['lab'] } },
});
export const hqNotLab = pol('hq-not-lab', { when: { locations: { include: ['hq'], exclude: ['lab'] } } });
export const velocityBlock = pol('velocity-block', {
  grant: 'block',
  when: { risk: { failureVelocityAtLeast: 5 } },
});
export const officeHours = (w: TimeWindow) => pol('office-hours', { when: { times: { include: [w] } } });
export const afterHoursBlock = pol('after-hours-block', {
  apps: ['payroll'],
  grant: 'block',
  when: { times: { exclude: [BERLIN_OFFICE_HOURS] } },
});
export const baseline = pol('baseline');
export const stepUp = pol('step-up-c1', { contexts: ['c1'], grant: { all: ['phishingResistant'] } });

// ---------------------------------------------------------------- running the table

export const reportOnlyIds = (e: PolicyEvaluation) => e.reportOnly.map((r) => r.policyId);

export function assertOutcome(e: PolicyEvaluation, want: Expected, who: string) {
  assert.equal(e.action, want.action, `${who}: action`);
  assert.deepEqual(e.blockedBy, want.blockedBy ?? [], `${who}: blockedBy`);
  assert.deepEqual(e.requirements, want.requirements ?? [], `${who}: requirements`);
  assert.deepEqual(e.sessionControls, want.session ?? NO_SESSION_CONTROLS, `${who}: sessionControls`);
  assert.deepEqual(reportOnlyIds(e), want.reportOnly ?? [], `${who}: reportOnly`);
  for (const r of e.reportOnly) {
    assert.equal(r.state, 'reportOnly');
    assert.equal(r.matched, true);
    assert.equal(r.enforced, false);
  }
}
