/** Scenario rows for session controls, time windows and authentication contexts (step-up). */
import { NO_SESSION_CONTROLS, type TimeWindow } from '../../../src/policy/index.ts';
import {
  afterHoursBlock,
  at,
  BERLIN_NINE_TO_TEN,
  BERLIN_OFFICE_HOURS,
  baseline,
  MONDAY_NIGHT,
  NEW_YORK_NINE_TO_TEN,
  officeHours,
  pol,
  type Row,
  req,
  session,
  stepUp,
} from './fixtures.ts';

export const sessionTimeRows: Row[] = [
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
