import assert from 'node:assert/strict';
import {
  type AuthenticationStrength,
  type ConditionName,
  compilePolicySet,
  type GrantRequirement,
  type NamedLocation,
  NO_SESSION_CONTROLS,
  naiveEvaluator,
  type PolicyContext,
  type PolicyDocument,
  type PolicyEvaluation,
  type PolicyInput,
  parsePolicyDocument,
  type SessionControls,
  type TimeWindow,
  unmetRequirements,
} from '../../src/policy/index.ts';

/**
 * Realistic conditional-access scenarios, one table row each. Every row runs through the
 * compiled (indexed) evaluator, the naive reference evaluator and the compiled evaluator in
 * explain mode; all three must give the outcome the row expects.
 */

// ---------------------------------------------------------------- document helpers

type Subjects = string[] | { include?: string[]; exclude?: string[] };
type Grant = 'block' | 'mfa' | { all: string[] } | { one: string[] };

interface P {
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

const subjects = (s: Subjects | undefined) =>
  s === undefined ? undefined : Array.isArray(s) ? { include: s } : s;
const control = (s: string) => (s === 'mfa' ? ('mfa' as const) : { authenticationStrength: s });

function pol(id: string, p: P = {}): PolicyInput {
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

const loc = (id: string, cidrs: string[], trusted = false): NamedLocation => ({
  id,
  name: id,
  trusted,
  cidrs,
});

/** Every document has the same named locations and custom strength; only policies vary. */
const LOCATIONS: NamedLocation[] = [
  loc('hq', ['10.0.0.0/8', '2001:db8:abcd::/48'], true),
  loc('branch', ['192.0.2.0/24']),
  // inside hq's 10.0.0.0/8, plus a range of its own
  loc('lab', ['10.20.0.0/16', '203.0.113.0/24']),
  loc('v6lab', ['2001:db8:ffff::/64']),
  // inside hq's 2001:db8:abcd::/48
  loc('v6desk', ['2001:db8:abcd:12::/64']),
];
const STRENGTHS: AuthenticationStrength[] = [
  {
    id: 'hardwareToken',
    name: 'Hardware token',
    userMessage: 'Use your hardware token.',
    combinations: [['password', 'hardwareOath'], ['webauthn']],
  },
];

const docOf = (policies: PolicyInput[]): PolicyDocument =>
  parsePolicyDocument({ namedLocations: LOCATIONS, authenticationStrengths: STRENGTHS, policies });

// ---------------------------------------------------------------- context and expectation helpers

const at = (iso: string) => Date.parse(iso);
/** Wednesday 4 March 2026, 12:00 UTC (13:00 in Berlin, 07:00 in New York). */
const WED_NOON = at('2026-03-04T12:00:00Z');

const BASE_CTX: PolicyContext = {
  userId: 'alice',
  groups: ['staff'],
  roles: [],
  app: 'portal',
  ip: '198.51.100.7',
  clientAppType: 'browser',
  time: WED_NOON,
};

const req = (
  source: string,
  strengths: string[] = ['mfa'],
  operator: GrantRequirement['operator'] = 'requireAll',
): GrantRequirement => ({ source, operator, strengths });

const session = (
  hours: number | null,
  rememberDeviceAllowed: boolean,
  maxDays: number | null,
): SessionControls => ({
  signInFrequencyMs: hours === null ? null : hours * 3_600_000,
  rememberDeviceAllowed,
  rememberDeviceMaxDays: maxDays,
});

interface Expected {
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

interface Row {
  name: string;
  policies: PolicyInput[];
  ctx?: Partial<PolicyContext>;
  expect: Expected;
}

const BERLIN_OFFICE_HOURS: TimeWindow = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '09:00',
  end: '17:00',
  timeZone: 'Europe/Berlin',
};
const BERLIN_NINE_TO_TEN: TimeWindow = { ...BERLIN_OFFICE_HOURS, start: '09:00', end: '10:00' };
const NEW_YORK_NINE_TO_TEN = {
  start: '09:00',
  end: '10:00',
  timeZone: 'America/New_York',
} as unknown as TimeWindow; // days default to the whole week
const MONDAY_NIGHT: TimeWindow = { days: ['mon'], start: '22:00', end: '06:00', timeZone: 'UTC' };

// ---------------------------------------------------------------- shared policies

const offSite = pol('off-site-mfa', { when: { locations: { include: ['any'], exclude: ['trusted'] } } });
const branchBlock = pol('branch-block', { grant: 'block', when: { locations: { include: ['branch'] } } });
const legacyBlock = pol('legacy-block', {
  users: { include: ['all'], exclude: ['svc-backup'] },
  grant: 'block',
  when: { clientAppTypes: ['legacy'] },
});
const hqMfa = pol('hq-mfa', { when: { locations: { include: ['hq'] } } });
const labOtp = pol('lab-otp', { grant: { all: ['otpOrBetter'] }, when: { locations: { include: ['lab'] } } });
const hqNotLab = pol('hq-not-lab', { when: { locations: { include: ['hq'], exclude: ['lab'] } } });
const velocityBlock = pol('velocity-block', {
  grant: 'block',
  when: { risk: { failureVelocityAtLeast: 5 } },
});
const officeHours = (w: TimeWindow) => pol('office-hours', { when: { times: { include: [w] } } });
const afterHoursBlock = pol('after-hours-block', {
  apps: ['payroll'],
  grant: 'block',
  when: { times: { exclude: [BERLIN_OFFICE_HOURS] } },
});
const baseline = pol('baseline');
const stepUp = pol('step-up-c1', { contexts: ['c1'], grant: { all: ['phishingResistant'] } });

const rows: Row[] = [
  // ---- users, groups, roles: include and exclude
  {
    name: 'all users: alice must do MFA',
    policies: [baseline],
    expect: { action: 'mfa', requirements: [req('baseline')], failed: { baseline: null } },
  },
  {
    name: 'a policy for named users applies to them',
    policies: [pol('admins', { users: ['alice', 'carol'] })],
    expect: { action: 'mfa', requirements: [req('admins')] },
  },
  {
    name: 'a policy for named users does not apply to anyone else',
    policies: [pol('admins', { users: ['alice', 'carol'] })],
    ctx: { userId: 'bob' },
    expect: { action: 'allow', failed: { admins: 'users' } },
  },
  {
    name: 'all users except alice: alice is out',
    policies: [pol('p', { users: { include: ['all'], exclude: ['alice'] } })],
    expect: { action: 'allow', failed: { p: 'users' } },
  },
  {
    name: 'included by group, excluded as a user: exclusion wins',
    policies: [pol('p', { groups: ['staff'], users: { exclude: ['alice'] } })],
    expect: { action: 'allow', failed: { p: 'users' } },
  },
  {
    name: 'included as a user, excluded by a break-glass group: exclusion wins',
    policies: [pol('p', { users: ['alice'], groups: { exclude: ['breakglass'] } })],
    ctx: { groups: ['staff', 'breakglass'] },
    expect: { action: 'allow', failed: { p: 'users' } },
  },
  {
    name: 'included by role, excluded by another role: exclusion wins',
    policies: [pol('p', { roles: { include: ['admin'], exclude: ['breakglass-role'] } })],
    ctx: { roles: ['admin', 'breakglass-role'] },
    expect: { action: 'allow', failed: { p: 'users' } },
  },
  {
    name: 'included by role only: applies',
    policies: [pol('p', { roles: { include: ['admin'], exclude: ['breakglass-role'] } })],
    ctx: { roles: ['admin'] },
    expect: { action: 'mfa', requirements: [req('p')] },
  },
  {
    name: 'included by group, excluded by role: exclusion wins',
    policies: [pol('p', { groups: ['staff'], roles: { exclude: ['auditor'] } })],
    ctx: { roles: ['auditor'] },
    expect: { action: 'allow', failed: { p: 'users' } },
  },
  {
    name: 'included as user and by group, one group excluded: still out; another policy still applies',
    policies: [
      pol('p1', { users: ['alice'], groups: { include: ['staff'], exclude: ['contractors'] } }),
      pol('p2', { groups: ['staff'], grant: { all: ['otpOrBetter'] } }),
    ],
    ctx: { groups: ['staff', 'contractors'] },
    expect: {
      action: 'mfa',
      requirements: [req('p2', ['otpOrBetter'])],
      failed: { p1: 'users', p2: null },
    },
  },
  {
    name: 'a user in none of the included groups is not covered',
    policies: [pol('p', { groups: ['finance'] })],
    expect: { action: 'allow', failed: { p: 'users' } },
  },

  // ---- applications
  {
    name: 'a policy for payroll applies to payroll',
    policies: [pol('payroll-mfa', { apps: ['payroll'] })],
    ctx: { app: 'payroll' },
    expect: { action: 'mfa', requirements: [req('payroll-mfa')] },
  },
  {
    name: 'a policy for payroll does not apply to the portal',
    policies: [pol('payroll-mfa', { apps: ['payroll'] })],
    expect: { action: 'allow', failed: { 'payroll-mfa': 'applications' } },
  },
  {
    name: 'all apps except the wiki: the wiki is out',
    policies: [pol('p', { apps: { include: ['all'], exclude: ['wiki'] } })],
    ctx: { app: 'wiki' },
    expect: { action: 'allow', failed: { p: 'applications' } },
  },
  {
    name: 'all apps except the wiki: the portal is in',
    policies: [pol('p', { apps: { include: ['all'], exclude: ['wiki'] } })],
    expect: { action: 'mfa', requirements: [req('p')] },
  },
  {
    name: 'an app both included and excluded is excluded',
    policies: [pol('p', { apps: { include: ['payroll'], exclude: ['payroll'] } })],
    ctx: { app: 'payroll' },
    expect: { action: 'allow', failed: { p: 'applications' } },
  },

  // ---- grants: block wins, AND across policies, requireOne / requireAll
  {
    name: 'block wins over a requirement',
    policies: [baseline, pol('payroll-block', { apps: ['payroll'], grant: 'block' })],
    ctx: { app: 'payroll' },
    expect: { action: 'block', blockedBy: ['payroll-block'], requirements: [req('baseline')] },
  },
  {
    name: 'two blocking policies are both named, in document order',
    policies: [pol('b1', { grant: 'block' }), baseline, pol('b2', { apps: ['portal'], grant: 'block' })],
    expect: { action: 'block', blockedBy: ['b1', 'b2'], requirements: [req('baseline')] },
  },
  {
    name: 'two policies: both requirements must be met',
    policies: [baseline, pol('payroll-strong', { apps: ['payroll'], grant: { all: ['phishingResistant'] } })],
    ctx: { app: 'payroll' },
    expect: {
      action: 'mfa',
      requirements: [req('baseline'), req('payroll-strong', ['phishingResistant'])],
      unmet: [
        [['password'], ['baseline', 'payroll-strong']],
        [['password', 'totp'], ['payroll-strong']],
        [['webauthn'], []],
      ],
    },
  },
  {
    name: 'requireOne: either strength satisfies',
    policies: [pol('p', { grant: { one: ['phishingResistant', 'hardwareToken'] } })],
    expect: {
      action: 'mfa',
      requirements: [req('p', ['phishingResistant', 'hardwareToken'], 'requireOne')],
      unmet: [
        [['password', 'totp'], ['p']],
        [['password', 'hardwareOath'], []],
        [['webauthn'], []],
      ],
    },
  },
  {
    name: 'requireAll: every strength must be satisfied',
    policies: [pol('p', { grant: { all: ['otpOrBetter', 'hardwareToken'] } })],
    expect: {
      action: 'mfa',
      requirements: [req('p', ['otpOrBetter', 'hardwareToken'])],
      unmet: [
        [['password', 'totp'], ['p']],
        [['password', 'sms'], ['p']],
        [['password', 'hardwareOath'], []],
        [['webauthn'], []],
      ],
    },
  },
  {
    name: 'built-in mfa: any second factor, or a passkey, or federated MFA',
    policies: [pol('p', { grant: { all: ['mfa'] } })],
    expect: {
      action: 'mfa',
      requirements: [req('p')],
      unmet: [
        [['password'], ['p']],
        [['password', 'sms'], []],
        [['password', 'totp'], []],
        [['password', 'hardwareOath'], []],
        [['webauthn'], []],
        [['federatedMfa'], []],
      ],
    },
  },
  {
    name: 'built-in otpOrBetter: SMS is not enough',
    policies: [pol('p', { grant: { all: ['otpOrBetter'] } })],
    expect: {
      action: 'mfa',
      requirements: [req('p', ['otpOrBetter'])],
      unmet: [
        [['password', 'sms'], ['p']],
        [['password', 'recoveryCode'], ['p']],
        [['password', 'totp'], []],
        [['password', 'hardwareOath'], []],
        [['webauthn'], []],
      ],
    },
  },
  {
    name: 'built-in phishingResistant: only a security key',
    policies: [pol('p', { grant: { all: ['phishingResistant'] } })],
    expect: {
      action: 'mfa',
      requirements: [req('p', ['phishingResistant'])],
      unmet: [
        [['password', 'totp'], ['p']],
        [['password', 'hardwareOath'], ['p']],
        [['webauthn'], []],
      ],
    },
  },
  {
    name: 'custom strength: hardware OATH token or security key',
    policies: [pol('p', { grant: { all: ['hardwareToken'] } })],
    expect: {
      action: 'mfa',
      requirements: [req('p', ['hardwareToken'])],
      unmet: [
        [['password', 'totp'], ['p']],
        [['hardwareOath'], ['p']],
        [['password', 'hardwareOath'], []],
        [['webauthn'], []],
      ],
    },
  },

  // ---- report-only and off
  {
    name: 'a report-only block never blocks, but is reported',
    policies: [pol('ro-block', { state: 'reportOnly', grant: 'block' })],
    expect: { action: 'allow', reportOnly: ['ro-block'], failed: { 'ro-block': null } },
  },
  {
    name: 'a report-only requirement is reported next to the enforced one',
    policies: [pol('ro-strong', { state: 'reportOnly', grant: { all: ['phishingResistant'] } }), baseline],
    expect: { action: 'mfa', requirements: [req('baseline')], reportOnly: ['ro-strong'] },
  },
  {
    name: 'a report-only policy that does not match is not reported',
    policies: [pol('ro-payroll', { state: 'reportOnly', apps: ['payroll'], grant: 'block' })],
    expect: { action: 'allow', reportOnly: [], failed: { 'ro-payroll': 'applications' } },
  },
  {
    name: "a report-only policy's session controls do not apply",
    policies: [
      pol('ro', { state: 'reportOnly', session: { signInFrequencyHours: 1, rememberDevice: false } }),
      baseline,
    ],
    expect: {
      action: 'mfa',
      requirements: [req('baseline')],
      reportOnly: ['ro'],
      session: NO_SESSION_CONTROLS,
    },
  },
  {
    name: 'an off policy is ignored even when it would match',
    policies: [pol('off-block', { state: 'off', grant: 'block' })],
    expect: { action: 'allow', reportOnly: [], failed: { 'off-block': null } },
  },
  {
    name: 'an off policy next to an on one: only the on one counts',
    policies: [pol('off-strong', { state: 'off', grant: { all: ['phishingResistant'] } }), baseline],
    expect: { action: 'mfa', requirements: [req('baseline')] },
  },

  // ---- locations
  {
    name: 'MFA off-site: skipped on the trusted office network',
    policies: [offSite],
    ctx: { ip: '10.1.2.3' },
    expect: { action: 'allow', failed: { 'off-site-mfa': 'locations' } },
  },
  {
    name: 'MFA off-site: required from a home network',
    policies: [offSite],
    expect: { action: 'mfa', requirements: [req('off-site-mfa')] },
  },
  {
    name: "MFA off-site: skipped from the office's IPv6 range",
    policies: [offSite],
    ctx: { ip: '2001:db8:abcd:12::1' },
    expect: { action: 'allow', failed: { 'off-site-mfa': 'locations' } },
  },
  {
    name: 'MFA off-site: required from an IPv6 address just outside the office /48',
    policies: [offSite],
    ctx: { ip: '2001:db8:abce::1' },
    expect: { action: 'mfa', requirements: [req('off-site-mfa')] },
  },
  {
    name: 'MFA off-site: an address in the trusted office and in an untrusted location inside it is trusted',
    policies: [offSite],
    ctx: { ip: '10.20.5.5' },
    expect: { action: 'allow', failed: { 'off-site-mfa': 'locations' } },
  },
  {
    name: 'MFA off-site: an address only in an untrusted location is not trusted',
    policies: [offSite],
    ctx: { ip: '203.0.113.9' },
    expect: { action: 'mfa', requirements: [req('off-site-mfa')] },
  },
  {
    name: 'an IPv4-mapped IPv6 client address matches the IPv4 office CIDR',
    policies: [offSite],
    ctx: { ip: '::ffff:10.1.2.3' },
    expect: { action: 'allow', failed: { 'off-site-mfa': 'locations' } },
  },
  {
    name: 'an unparseable client address is in no location, so not trusted: MFA',
    policies: [offSite],
    ctx: { ip: 'not-an-ip' },
    expect: { action: 'mfa', requirements: [req('off-site-mfa')] },
  },
  {
    name: 'a location by id: the branch network is blocked',
    policies: [branchBlock],
    ctx: { ip: '192.0.2.55' },
    expect: { action: 'block', blockedBy: ['branch-block'] },
  },
  {
    name: 'a location by id: an address next to the branch network is not',
    policies: [branchBlock],
    ctx: { ip: '192.0.3.1' },
    expect: { action: 'allow', failed: { 'branch-block': 'locations' } },
  },
  {
    name: 'a location by id: an unparseable address is not in it',
    policies: [branchBlock],
    ctx: { ip: '192.0.2' },
    expect: { action: 'allow', failed: { 'branch-block': 'locations' } },
  },
  {
    name: 'a location by id: an address with a leading zero octet is not read as octal or decimal',
    policies: [branchBlock],
    ctx: { ip: '192.0.002.55' },
    expect: { action: 'allow', failed: { 'branch-block': 'locations' } },
  },
  {
    name: 'an IPv6 location matches regardless of letter case',
    policies: [pol('v6', { when: { locations: { include: ['v6lab'] } } })],
    ctx: { ip: '2001:DB8:FFFF::ABCD' },
    expect: { action: 'mfa', requirements: [req('v6')] },
  },
  {
    name: 'an IPv6 location /64 does not cover the next /64',
    policies: [pol('v6', { when: { locations: { include: ['v6lab'] } } })],
    ctx: { ip: '2001:db8:ffff:1::1' },
    expect: { action: 'allow', failed: { v6: 'locations' } },
  },
  {
    name: 'overlapping locations: an address in both counts for both',
    policies: [hqMfa, labOtp],
    ctx: { ip: '10.20.5.5' },
    expect: { action: 'mfa', requirements: [req('hq-mfa'), req('lab-otp', ['otpOrBetter'])] },
  },
  {
    name: 'overlapping locations: an address in the wide one only counts for it',
    policies: [hqMfa, labOtp],
    ctx: { ip: '10.21.0.1' },
    expect: { action: 'mfa', requirements: [req('hq-mfa')], failed: { 'lab-otp': 'locations' } },
  },
  {
    name: "overlapping locations: an address in the narrow one's other range counts for it only",
    policies: [hqMfa, labOtp],
    ctx: { ip: '203.0.113.9' },
    expect: {
      action: 'mfa',
      requirements: [req('lab-otp', ['otpOrBetter'])],
      failed: { 'hq-mfa': 'locations' },
    },
  },
  {
    name: 'nested IPv6 locations: an address in both counts for both',
    policies: [hqMfa, pol('desk', { grant: 'block', when: { locations: { include: ['v6desk'] } } })],
    ctx: { ip: '2001:db8:abcd:12::1' },
    expect: { action: 'block', blockedBy: ['desk'], requirements: [req('hq-mfa')] },
  },
  {
    name: 'nested IPv6 locations: the rest of the /48 is only in the wide one',
    policies: [hqMfa, pol('desk', { grant: 'block', when: { locations: { include: ['v6desk'] } } })],
    ctx: { ip: '2001:db8:abcd:13::1' },
    expect: { action: 'mfa', requirements: [req('hq-mfa')], failed: { desk: 'locations' } },
  },
  {
    name: 'include hq, exclude the lab inside it: an address in the lab is out',
    policies: [hqNotLab],
    ctx: { ip: '10.20.5.5' },
    expect: { action: 'allow', failed: { 'hq-not-lab': 'locations' } },
  },
  {
    name: 'include hq, exclude the lab inside it: the rest of hq is in',
    policies: [hqNotLab],
    ctx: { ip: '10.21.0.1' },
    expect: { action: 'mfa', requirements: [req('hq-not-lab')] },
  },
  {
    name: 'include any: an unparseable address still matches',
    policies: [pol('anywhere', { grant: 'block', when: { locations: { include: ['any'] } } })],
    ctx: { ip: 'garbage' },
    expect: { action: 'block', blockedBy: ['anywhere'] },
  },

  // ---- client app types
  {
    name: 'legacy clients are blocked',
    policies: [legacyBlock],
    ctx: { clientAppType: 'legacy' },
    expect: { action: 'block', blockedBy: ['legacy-block'] },
  },
  {
    name: 'legacy clients: the excluded service account may still use them',
    policies: [legacyBlock],
    ctx: { userId: 'svc-backup', groups: [], clientAppType: 'legacy' },
    expect: { action: 'allow', failed: { 'legacy-block': 'users' } },
  },
  {
    name: 'legacy block does not touch browsers',
    policies: [legacyBlock],
    expect: { action: 'allow', failed: { 'legacy-block': 'clientAppTypes' } },
  },
  {
    name: 'a request without a client type counts as a browser',
    policies: [legacyBlock, pol('browsers', { when: { clientAppTypes: ['browser'] } })],
    ctx: { clientAppType: undefined },
    expect: { action: 'mfa', requirements: [req('browsers')], failed: { 'legacy-block': 'clientAppTypes' } },
  },

  // ---- device state
  {
    name: 'deviceState notRemembered: a new browser must do MFA',
    policies: [pol('new-device', { when: { deviceState: 'notRemembered' } })],
    ctx: { deviceRemembered: false },
    expect: { action: 'mfa', requirements: [req('new-device')] },
  },
  {
    name: 'deviceState notRemembered: a remembered device is out',
    policies: [pol('new-device', { when: { deviceState: 'notRemembered' } })],
    ctx: { deviceRemembered: true },
    expect: { action: 'allow', failed: { 'new-device': 'deviceState' } },
  },
  {
    name: 'deviceState remembered: its session controls apply to remembered devices',
    policies: [
      pol('remembered', {
        when: { deviceState: 'remembered' },
        session: { rememberDeviceMaxDays: 7 },
      }),
    ],
    ctx: { deviceRemembered: true },
    expect: { action: 'mfa', requirements: [req('remembered')], session: session(null, true, 7) },
  },
  {
    name: 'deviceState remembered: an unknown device state counts as not remembered',
    policies: [pol('remembered', { when: { deviceState: 'remembered' } })],
    ctx: { deviceRemembered: undefined },
    expect: { action: 'allow', failed: { remembered: 'deviceState' } },
  },

  // ---- risk
  {
    name: 'risk: a new device triggers the policy',
    policies: [pol('risky', { when: { risk: { signals: ['newDevice', 'newNetwork'] } } })],
    ctx: { risk: { newDevice: true } },
    expect: { action: 'mfa', requirements: [req('risky')] },
  },
  {
    name: 'risk: a new network triggers the policy',
    policies: [pol('risky', { when: { risk: { signals: ['newDevice', 'newNetwork'] } } })],
    ctx: { risk: { newNetwork: true, newDevice: false } },
    expect: { action: 'mfa', requirements: [req('risky')] },
  },
  {
    name: 'risk: no listed signal present, the policy does not apply',
    policies: [pol('risky', { when: { risk: { signals: ['newNetwork'] } } })],
    ctx: { risk: { newDevice: true, newNetwork: false } },
    expect: { action: 'allow', failed: { risky: 'risk' } },
  },
  {
    name: 'risk: a fraud flag blocks',
    policies: [pol('fraud', { grant: 'block', when: { risk: { signals: ['fraudFlagged'] } } })],
    ctx: { risk: { fraudFlagged: true } },
    expect: { action: 'block', blockedBy: ['fraud'] },
  },
  {
    name: 'risk: failures below the threshold do not block',
    policies: [velocityBlock],
    ctx: { risk: { recentFailures: 4 } },
    expect: { action: 'allow', failed: { 'velocity-block': 'risk' } },
  },
  {
    name: 'risk: failures at the threshold block',
    policies: [velocityBlock],
    ctx: { risk: { recentFailures: 5 } },
    expect: { action: 'block', blockedBy: ['velocity-block'] },
  },
  {
    name: 'risk: no risk facts at all, the threshold is not reached',
    policies: [velocityBlock],
    ctx: { risk: undefined },
    expect: { action: 'allow', failed: { 'velocity-block': 'risk' } },
  },
  {
    name: 'risk: a signal or the threshold, either one is enough',
    policies: [pol('risky', { when: { risk: { signals: ['newDevice'], failureVelocityAtLeast: 3 } } })],
    ctx: { risk: { newDevice: false, recentFailures: 3 } },
    expect: { action: 'mfa', requirements: [req('risky')] },
  },

  // ---- session controls
  {
    name: 'session controls: the strictest of each wins',
    policies: [
      pol('p1', { session: { signInFrequencyHours: 12, rememberDevice: true, rememberDeviceMaxDays: 30 } }),
      pol('p2', { session: { signInFrequencyHours: 4, rememberDevice: false, rememberDeviceMaxDays: 7 } }),
      pol('p3', { session: { signInFrequencyHours: 8, rememberDeviceMaxDays: 14 } }),
    ],
    expect: {
      action: 'mfa',
      requirements: [req('p1'), req('p2'), req('p3')],
      session: session(4, false, 7),
    },
  },
  {
    name: 'session controls: a fractional sign-in frequency, nothing else',
    policies: [pol('p', { session: { signInFrequencyHours: 0.5 } })],
    expect: { action: 'mfa', requirements: [req('p')], session: session(0.5, true, null) },
  },
  {
    name: 'session controls: rememberDevice true alone changes nothing',
    policies: [pol('p', { session: { rememberDevice: true } })],
    expect: { action: 'mfa', requirements: [req('p')], session: NO_SESSION_CONTROLS },
  },
  {
    name: 'session controls of a policy that does not apply are ignored',
    policies: [
      pol('p1', { session: { rememberDeviceMaxDays: 30 } }),
      pol('payroll', { apps: ['payroll'], session: { signInFrequencyHours: 1, rememberDevice: false } }),
    ],
    expect: { action: 'mfa', requirements: [req('p1')], session: session(null, true, 30) },
  },
  {
    name: "session controls of a blocking policy's neighbours still apply",
    policies: [pol('b', { grant: 'block' }), pol('p', { session: { signInFrequencyHours: 2 } })],
    expect: { action: 'block', blockedBy: ['b'], requirements: [req('p')], session: session(2, true, null) },
  },

  // ---- time windows
  {
    name: 'office hours in Berlin: Wednesday 13:00 local is inside',
    policies: [officeHours(BERLIN_OFFICE_HOURS)],
    expect: { action: 'mfa', requirements: [req('office-hours')] },
  },
  {
    name: 'office hours in Berlin: 09:00 local (08:00 UTC in winter) is inside, start is inclusive',
    policies: [officeHours(BERLIN_OFFICE_HOURS)],
    ctx: { time: at('2026-03-04T08:00:00Z') },
    expect: { action: 'mfa', requirements: [req('office-hours')] },
  },
  {
    name: 'office hours in Berlin: 08:59 local is outside',
    policies: [officeHours(BERLIN_OFFICE_HOURS)],
    ctx: { time: at('2026-03-04T07:59:00Z') },
    expect: { action: 'allow', failed: { 'office-hours': 'times' } },
  },
  {
    name: 'office hours in Berlin: 17:00 local is outside, end is exclusive',
    policies: [officeHours(BERLIN_OFFICE_HOURS)],
    ctx: { time: at('2026-03-04T16:00:00Z') },
    expect: { action: 'allow', failed: { 'office-hours': 'times' } },
  },
  {
    name: 'office hours in Berlin: Saturday 11:00 local is outside',
    policies: [officeHours(BERLIN_OFFICE_HOURS)],
    ctx: { time: at('2026-03-07T10:00:00Z') },
    expect: { action: 'allow', failed: { 'office-hours': 'times' } },
  },
  {
    name: 'EU DST: 09:30 CET on Friday 27 March 2026 (08:30 UTC) is in a 09:00-10:00 Berlin window',
    policies: [officeHours(BERLIN_NINE_TO_TEN)],
    ctx: { time: at('2026-03-27T08:30:00Z') },
    expect: { action: 'mfa', requirements: [req('office-hours')] },
  },
  {
    name: 'EU DST: 08:30 CET on Friday 27 March 2026 (07:30 UTC) is not',
    policies: [officeHours(BERLIN_NINE_TO_TEN)],
    ctx: { time: at('2026-03-27T07:30:00Z') },
    expect: { action: 'allow', failed: { 'office-hours': 'times' } },
  },
  {
    name: 'EU DST: 09:30 CEST on Monday 30 March 2026 (07:30 UTC) is in the same window',
    policies: [officeHours(BERLIN_NINE_TO_TEN)],
    ctx: { time: at('2026-03-30T07:30:00Z') },
    expect: { action: 'mfa', requirements: [req('office-hours')] },
  },
  {
    name: 'EU DST: 08:30 UTC on Monday 30 March 2026 is 10:30 CEST, outside',
    policies: [officeHours(BERLIN_NINE_TO_TEN)],
    ctx: { time: at('2026-03-30T08:30:00Z') },
    expect: { action: 'allow', failed: { 'office-hours': 'times' } },
  },
  {
    name: 'US DST: 09:30 EST on Saturday 7 March 2026 (14:30 UTC) is in a 09:00-10:00 New York window',
    policies: [officeHours(NEW_YORK_NINE_TO_TEN)],
    ctx: { time: at('2026-03-07T14:30:00Z') },
    expect: { action: 'mfa', requirements: [req('office-hours')] },
  },
  {
    name: 'US DST: 09:30 EDT on Sunday 8 March 2026 (13:30 UTC) is in the same window',
    policies: [officeHours(NEW_YORK_NINE_TO_TEN)],
    ctx: { time: at('2026-03-08T13:30:00Z') },
    expect: { action: 'mfa', requirements: [req('office-hours')] },
  },
  {
    name: 'US DST: 14:30 UTC on Sunday 8 March 2026 is 10:30 EDT, outside',
    policies: [officeHours(NEW_YORK_NINE_TO_TEN)],
    ctx: { time: at('2026-03-08T14:30:00Z') },
    expect: { action: 'allow', failed: { 'office-hours': 'times' } },
  },
  {
    name: 'US DST: 13:30 UTC on Saturday 7 March 2026 is 08:30 EST, outside',
    policies: [officeHours(NEW_YORK_NINE_TO_TEN)],
    ctx: { time: at('2026-03-07T13:30:00Z') },
    expect: { action: 'allow', failed: { 'office-hours': 'times' } },
  },
  {
    name: 'overnight Monday 22:00-06:00: Tuesday 03:00 belongs to Monday night',
    policies: [officeHours(MONDAY_NIGHT)],
    ctx: { time: at('2026-03-03T03:00:00Z') },
    expect: { action: 'mfa', requirements: [req('office-hours')] },
  },
  {
    name: 'overnight Monday 22:00-06:00: Monday 03:00 belongs to Sunday night, outside',
    policies: [officeHours(MONDAY_NIGHT)],
    ctx: { time: at('2026-03-02T03:00:00Z') },
    expect: { action: 'allow', failed: { 'office-hours': 'times' } },
  },
  {
    name: 'overnight Monday 22:00-06:00: Monday 23:00 is inside',
    policies: [officeHours(MONDAY_NIGHT)],
    ctx: { time: at('2026-03-02T23:00:00Z') },
    expect: { action: 'mfa', requirements: [req('office-hours')] },
  },
  {
    name: 'overnight Monday 22:00-06:00: Tuesday 23:00 is outside',
    policies: [officeHours(MONDAY_NIGHT)],
    ctx: { time: at('2026-03-03T23:00:00Z') },
    expect: { action: 'allow', failed: { 'office-hours': 'times' } },
  },
  {
    name: 'payroll blocked outside office hours: open at 13:00 on a weekday',
    policies: [afterHoursBlock],
    ctx: { app: 'payroll' },
    expect: { action: 'allow', failed: { 'after-hours-block': 'times' } },
  },
  {
    name: 'payroll blocked outside office hours: blocked at 21:00',
    policies: [afterHoursBlock],
    ctx: { app: 'payroll', time: at('2026-03-04T20:00:00Z') },
    expect: { action: 'block', blockedBy: ['after-hours-block'] },
  },
  {
    name: 'payroll blocked outside office hours: blocked on Saturday at 11:00',
    policies: [afterHoursBlock],
    ctx: { app: 'payroll', time: at('2026-03-07T10:00:00Z') },
    expect: { action: 'block', blockedBy: ['after-hours-block'] },
  },
  {
    name: 'an excluded lunch window inside an included day',
    policies: [
      pol('p', {
        when: {
          times: {
            include: [{ start: '00:00', end: '24:00', timeZone: 'UTC' } as unknown as TimeWindow],
            exclude: [{ start: '12:00', end: '13:00', timeZone: 'UTC' } as unknown as TimeWindow],
          },
        },
      }),
    ],
    ctx: { time: at('2026-03-04T12:30:00Z') },
    expect: { action: 'allow', failed: { p: 'times' } },
  },
  {
    name: 'an excluded lunch window: the rest of the day is still included',
    policies: [
      pol('p', {
        when: {
          times: {
            include: [{ start: '00:00', end: '24:00', timeZone: 'UTC' } as unknown as TimeWindow],
            exclude: [{ start: '12:00', end: '13:00', timeZone: 'UTC' } as unknown as TimeWindow],
          },
        },
      }),
    ],
    ctx: { time: at('2026-03-04T13:00:00Z') },
    expect: { action: 'mfa', requirements: [req('p')] },
  },

  // ---- authentication contexts (step-up)
  {
    name: 'authentication context c1 not requested: only the baseline applies',
    policies: [baseline, stepUp],
    expect: {
      action: 'mfa',
      requirements: [req('baseline')],
      failed: { 'step-up-c1': 'authenticationContext' },
    },
  },
  {
    name: 'authentication context c1 requested: the step-up policy applies too',
    policies: [baseline, stepUp],
    ctx: { authenticationContexts: ['c1'] },
    expect: {
      action: 'mfa',
      requirements: [req('baseline'), req('step-up-c1', ['phishingResistant'])],
      unmet: [
        [['password', 'totp'], ['step-up-c1']],
        [['webauthn'], []],
      ],
    },
  },
  {
    name: 'authentication context c2 requested: the c1 policy does not apply',
    policies: [baseline, stepUp],
    ctx: { authenticationContexts: ['c2'] },
    expect: {
      action: 'mfa',
      requirements: [req('baseline')],
      failed: { 'step-up-c1': 'authenticationContext' },
    },
  },
];

// ---------------------------------------------------------------- running the table

const reportOnlyIds = (e: PolicyEvaluation) => e.reportOnly.map((r) => r.policyId);

function assertOutcome(e: PolicyEvaluation, want: Expected, who: string) {
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

describe('policy scenarios (compiled and naive evaluators)', () => {
  it('has at least 45 rows with distinct names', () => {
    assert.ok(rows.length >= 45, `${rows.length} rows`);
    assert.equal(new Set(rows.map((r) => r.name)).size, rows.length);
  });

  for (const row of rows) {
    it(row.name, () => {
      const doc = docOf(row.policies);
      const ctx: PolicyContext = { ...BASE_CTX, ...row.ctx };
      const set = compilePolicySet(doc);
      const fast = set.evaluate(ctx);
      const naive = naiveEvaluator(doc)(ctx);
      const explained = set.evaluate(ctx, { explain: true });
      assertOutcome(fast, row.expect, 'compiled');
      assertOutcome(naive, row.expect, 'naive');
      assertOutcome(explained, row.expect, 'explain');

      for (const [policyId, want] of Object.entries(row.expect.failed ?? {})) {
        const state = doc.policies.find((p) => p.id === policyId)?.state;
        assert.ok(state, `row names an unknown policy ${policyId}`);
        const e = explained.results.find((r) => r.policyId === policyId);
        assert.ok(e, `explain mode lists ${policyId}`);
        assert.equal(e.matched, want === null, `${policyId} matched (explain)`);
        assert.equal(e.failedCondition, want ?? undefined, `${policyId} failedCondition (explain)`);
        const n = naive.results.find((r) => r.policyId === policyId);
        if (state === 'off') assert.equal(n, undefined, 'the naive evaluator skips off policies');
        else {
          assert.ok(n, `naive lists ${policyId}`);
          assert.equal(n.failedCondition, want ?? undefined, `${policyId} failedCondition (naive)`);
        }
        const f = fast.results.find((r) => r.policyId === policyId);
        if (f) assert.equal(f.failedCondition, want ?? undefined, `${policyId} failedCondition (compiled)`);
        else
          assert.ok(
            state === 'off' || want === 'applications' || want === 'users',
            `the index may only skip ${policyId} for its app or users (it failed ${want})`,
          );
      }

      for (const [methods, unmet] of row.expect.unmet ?? []) {
        for (const e of [fast, naive]) {
          const left = unmetRequirements(methods, e.requirements, set.strengths).map((r) => r.source);
          assert.deepEqual(left, unmet, `unmet with ${methods.join('+')}`);
        }
      }
    });
  }
});

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

describe('the index skips policies for other apps', () => {
  const others = Array.from({ length: 50 }, (_, i) =>
    pol(`other-${i}`, { apps: [`app-${i}`], grant: i % 2 === 0 ? 'block' : 'mfa' }),
  );
  const doc = docOf([
    ...others,
    pol('portal-mfa', { apps: ['portal'] }),
    pol('bob-only', { users: ['bob'], grant: 'block' }),
  ]);
  const set = compilePolicySet(doc);

  it('fast mode: at least 50 not evaluated, none of them in the results', () => {
    const e = set.evaluate(BASE_CTX);
    assert.ok(e.notEvaluated >= 50, `notEvaluated ${e.notEvaluated}`);
    assert.equal(e.notEvaluated + e.results.length, doc.policies.length);
    assert.ok(!e.results.some((r) => r.policyId.startsWith('other-')));
    assert.ok(e.results.some((r) => r.policyId === 'portal-mfa'));
    assert.equal(e.action, 'mfa');
    assert.deepEqual(e.requirements, [req('portal-mfa')]);
    const naive = naiveEvaluator(doc)(BASE_CTX);
    assert.equal(naive.action, e.action);
    assert.deepEqual(naive.requirements, e.requirements);
  });

  it('fast mode: the policy for the requested app is still found among many', () => {
    const e = set.evaluate({ ...BASE_CTX, app: 'app-10' });
    assert.equal(e.action, 'block');
    assert.deepEqual(e.blockedBy, ['other-10']);
    assert.ok(e.notEvaluated >= 50);
    assert.deepEqual(naiveEvaluator(doc)({ ...BASE_CTX, app: 'app-10' }).blockedBy, ['other-10']);
  });

  it('explain mode evaluates every policy', () => {
    const e = set.evaluate(BASE_CTX, { explain: true });
    assert.equal(e.notEvaluated, 0);
    assert.equal(e.results.length, doc.policies.length);
    assert.equal(e.results.find((r) => r.policyId === 'other-3')?.failedCondition, 'applications');
    assert.equal(e.action, 'mfa');
  });
});
