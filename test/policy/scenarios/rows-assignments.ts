/** Scenario rows for who and what a policy covers: users, groups, roles, applications, grants, report-only and off policies. */
import { NO_SESSION_CONTROLS } from '../../../src/policy/index.ts';
import { baseline, pol, type Row, req } from './fixtures.ts';

export const assignmentRows: Row[] = [
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
];
