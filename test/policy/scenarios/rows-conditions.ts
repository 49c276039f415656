/** Scenario rows for a policy's sign-in conditions: locations, client app types, device state and risk. */
import {
  branchBlock,
  hqMfa,
  hqNotLab,
  labOtp,
  legacyBlock,
  offSite,
  pol,
  type Row,
  req,
  session,
  velocityBlock,
} from './fixtures.ts';

export const conditionRows: Row[] = [
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
];
