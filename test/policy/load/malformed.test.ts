/**
 * Policy documents: malformed input gets clear errors. Malformed documents are rejected whole,
 * with the path and reason of each problem.
 */

import assert from 'node:assert/strict';
import { PolicyLoadError, parsePolicyDocument } from '../../../src/policy/index.ts';
import { issuesOf, office, policy, rejects, window, withTimes } from './fixtures.ts';

describe('policy documents: malformed input gets clear errors', () => {
  it('accepts a minimal document and applies defaults', () => {
    const doc = parsePolicyDocument({ policies: [policy()] });
    assert.deepEqual(doc.namedLocations, []);
    assert.deepEqual(doc.authenticationStrengths, []);
    const [p] = doc.policies;
    assert.deepEqual(p?.assignments.groups, { include: [], exclude: [] });
    assert.deepEqual(p?.assignments.users.exclude, []);
    assert.deepEqual(p?.conditions, {});
    assert.deepEqual(p?.session, {});
    assert.deepEqual(p?.grant, { operator: 'requireAll', controls: ['mfa'] });
    assert.deepEqual(parsePolicyDocument({}).policies, []);
  });

  describe('wrong types', () => {
    it("state: 'maybe'", () => {
      rejects({ policies: [policy({ state: 'maybe' })] }, 'policies.0.state', /on.*off.*reportOnly/);
    });

    it("cidrs: 'x'", () => {
      rejects({ namedLocations: [office({ cidrs: 'x' })] }, 'namedLocations.0.cidrs', /expected array/);
    });

    it('a number for a name, a string for trusted, a string for signInFrequencyHours', () => {
      const issues = issuesOf(() =>
        parsePolicyDocument({
          namedLocations: [office({ name: 42, trusted: 'yes' })],
          policies: [policy({ session: { signInFrequencyHours: '8' } })],
        }),
      );
      const paths = issues.map((i) => i.path);
      assert.ok(paths.includes('namedLocations.0.name'), JSON.stringify(paths));
      assert.ok(paths.includes('namedLocations.0.trusted'), JSON.stringify(paths));
      assert.ok(paths.includes('policies.0.session.signInFrequencyHours'), JSON.stringify(paths));
    });

    it('not an object at all', () => {
      for (const junk of [null, 42, 'policies', [], true]) rejects(junk, '(root)', /expected object/);
    });

    it('a grant that is both a block and controls', () => {
      rejects({ policies: [policy({ grant: { block: true, controls: ['mfa'] } })] }, 'policies.0.grant', /./);
    });

    it('block: false is not a grant', () => {
      rejects({ policies: [policy({ grant: { block: false } })] }, 'policies.0.grant', /./);
    });
  });

  describe('references', () => {
    it('an unknown named location, in include or exclude', () => {
      rejects(
        { policies: [policy({ conditions: { locations: { include: ['nowhere'] } } })] },
        'policies.0.conditions.locations.include.0',
        /unknown named location "nowhere"/,
      );
      rejects(
        {
          namedLocations: [office()],
          policies: [policy({ conditions: { locations: { include: ['office'], exclude: ['any', 'lab'] } } })],
        },
        'policies.0.conditions.locations.exclude.1',
        /unknown named location "lab"/,
      );
    });

    it('an unknown authentication strength', () => {
      rejects(
        { policies: [policy({ grant: { controls: [{ authenticationStrength: 'fido' }] } })] },
        'policies.0.grant.controls.0.authenticationStrength',
        /unknown authentication strength "fido"/,
      );
      rejects(
        {
          policies: [
            policy(),
            policy({ id: 'p2', grant: { controls: ['mfa', { authenticationStrength: 'fido' }] } }),
          ],
        },
        'policies.1.grant.controls.1.authenticationStrength',
        /unknown authentication strength "fido"/,
      );
    });

    it('built-in strengths, custom strengths and built-in locations may be referenced', () => {
      const doc = parsePolicyDocument({
        namedLocations: [office({ trusted: true })],
        authenticationStrengths: [{ id: 'fido', name: 'FIDO', combinations: [['webauthn']] }],
        policies: [
          policy({
            conditions: { locations: { include: ['any', 'office'], exclude: ['trusted'] } },
            grant: {
              operator: 'requireOne',
              controls: [
                'mfa',
                ...['mfa', 'otpOrBetter', 'phishingResistant', 'fido'].map((s) => ({
                  authenticationStrength: s,
                })),
              ],
            },
          }),
        ],
      });
      assert.equal(doc.policies.length, 1);
    });
  });

  describe('ids', () => {
    it('duplicate policy, location and strength ids', () => {
      rejects({ policies: [policy(), policy()] }, 'policies.1.id', /"p1" is used twice/);
      rejects({ namedLocations: [office(), office()] }, 'namedLocations.1.id', /"office" is used twice/);
      const s = { id: 'fido', name: 'FIDO', combinations: [['webauthn']] };
      rejects({ authenticationStrengths: [s, s] }, 'authenticationStrengths.1.id', /"fido" is used twice/);
    });

    it("reserved ids: a location named 'trusted' or 'any', a strength named 'mfa' or 'phishingResistant'", () => {
      rejects(
        { namedLocations: [office({ id: 'trusted' })] },
        'namedLocations.0.id',
        /"trusted" is reserved/,
      );
      rejects(
        { namedLocations: [office(), office({ id: 'any' })] },
        'namedLocations.1.id',
        /"any" is reserved/,
      );
      for (const id of ['mfa', 'otpOrBetter', 'phishingResistant'])
        rejects(
          { authenticationStrengths: [{ id, name: 'mine', combinations: [['sms']] }] },
          'authenticationStrengths.0.id',
          new RegExp(`"${id}" is reserved`),
        );
    });

    it('ids with spaces or a leading symbol', () => {
      rejects({ policies: [policy({ id: 'my policy' })] }, 'policies.0.id', /must be 1-128 of/);
      rejects({ policies: [policy({ id: '-p' })] }, 'policies.0.id', /starting alphanumeric/);
      rejects({ policies: [policy({ id: 'x'.repeat(129) })] }, 'policies.0.id', /must be 1-128/);
    });
  });

  describe('CIDRs', () => {
    for (const bad of ['10.0.0.0/33', '300.1.1.1', '', '2001:db8::/129', '10.0.0.0/', 'office', '1.2.3.4.5'])
      it(`rejects ${JSON.stringify(bad)}`, () => {
        rejects(
          { namedLocations: [office({ cidrs: ['192.0.2.0/24', bad] })] },
          'namedLocations.0.cidrs.1',
          /must be an IPv4 or IPv6 address or CIDR/,
        );
      });

    // ipaddr.js would read these as something else than they seem: 10/8 as 0.0.0.10/8 (0.0.0.0/8),
    // 010.0.0.0/8 as octal 8.0.0.0/8, 10.1 as 10.0.0.1. A policy must not silently cover other networks.
    // The same holds for the IPv4 tail of an IPv6 address; a zone id or a 0-padded prefix is no CIDR.
    for (const ambiguous of [
      '10/8',
      '010.0.0.0/8',
      '10.1',
      '167772161',
      '0x0a.0.0.1',
      '10.0.0.01',
      '::ffff:010.0.0.1',
      'fe80::1%eth0',
      '10.0.0.0/08',
    ])
      it(`rejects the ambiguous IPv4 form ${JSON.stringify(ambiguous)}`, () => {
        rejects(
          { namedLocations: [office({ cidrs: [ambiguous] })] },
          'namedLocations.0.cidrs.0',
          /must be an IPv4 or IPv6 address or CIDR/,
        );
      });

    it('accepts addresses, IPv4 and IPv6 CIDRs, IPv4-mapped IPv6, /0', () => {
      const cidrs = [
        '192.0.2.1',
        '0.0.0.0/0',
        '10.0.0.0/8',
        '2001:db8::/32',
        '2001:db8::1',
        '::ffff:10.0.0.0/104',
        '::/0',
      ];
      assert.deepEqual(
        parsePolicyDocument({ namedLocations: [office({ cidrs })] }).namedLocations[0]?.cidrs,
        cidrs,
      );
    });

    it('an empty list of CIDRs', () => {
      rejects({ namedLocations: [office({ cidrs: [] })] }, 'namedLocations.0.cidrs', /./);
    });

    it('every bad CIDR is reported, not just the first', () => {
      const issues = issuesOf(() =>
        parsePolicyDocument({
          namedLocations: [office({ cidrs: ['10.0.0.0/33', '192.0.2.0/24', '300.1.1.1', ''] })],
        }),
      );
      assert.deepEqual(
        issues.map((i) => i.path),
        ['namedLocations.0.cidrs.0', 'namedLocations.0.cidrs.2', 'namedLocations.0.cidrs.3'],
      );
    });
  });

  describe('time windows', () => {
    it('a time zone that does not exist', () => {
      rejects(
        withTimes(window({ timeZone: 'Mars/Olympus' })),
        'policies.0.conditions.times.include.0.timeZone',
        /IANA time zone/,
      );
      rejects(withTimes(window({ timeZone: '' })), 'policies.0.conditions.times.include.0.timeZone', /IANA/);
    });

    for (const [field, value] of [
      ['start', '9:00'],
      ['start', '25:00'],
      ['end', '12:60'],
      ['end', '24:01'],
      ['end', '1700'],
      ['start', '09:00:00'],
    ] as const)
      it(`${field}: ${JSON.stringify(value)} is not HH:MM`, () => {
        rejects(
          withTimes(window({ [field]: value })),
          `policies.0.conditions.times.include.0.${field}`,
          /must be HH:MM/,
        );
      });

    it('start equal to end', () => {
      rejects(
        withTimes(window({ start: '09:00', end: '09:00' })),
        'policies.0.conditions.times.include.0',
        /start and end must differ/,
      );
    });

    it('an unknown weekday, no weekday, no window at all', () => {
      rejects(withTimes(window({ days: ['monday'] })), 'policies.0.conditions.times.include.0.days.0', /./);
      rejects(withTimes(window({ days: [] })), 'policies.0.conditions.times.include.0.days', /./);
      rejects(
        { policies: [policy({ conditions: { times: { include: [], exclude: [] } } })] },
        'policies.0.conditions.times',
        /at least one time window/,
      );
    });

    it('accepts 00:00-24:00 and overnight windows', () => {
      parsePolicyDocument(withTimes(window({ start: '00:00', end: '24:00' })));
      parsePolicyDocument(withTimes(window({ start: '22:00', end: '06:00', days: ['mon'] })));
    });
  });

  describe('strict objects: unknown keys are errors, not silently ignored', () => {
    it('an unknown key in a policy, in the document, in conditions, in a location, in a grant', () => {
      rejects({ policies: [policy({ enabled: true })] }, 'policies.0', /Unrecognized key.*"enabled"/);
      rejects({ policies: [], version: 2 }, '(root)', /Unrecognized key.*"version"/);
      rejects(
        { policies: [policy({ conditions: { ipRanges: ['10.0.0.0/8'] } })] },
        'policies.0.conditions',
        /Unrecognized key.*"ipRanges"/,
      );
      rejects(
        { namedLocations: [office({ isTrusted: true })] },
        'namedLocations.0',
        /Unrecognized key.*"isTrusted"/,
      );
      rejects(
        {
          policies: [
            policy({
              assignments: {
                users: { include: ['all'], except: ['bob'] },
                applications: { include: ['all'] },
              },
            }),
          ],
        },
        'policies.0.assignments.users',
        /Unrecognized key.*"except"/,
      );
      rejects(
        { policies: [policy({ session: { signInFrequency: 8 } })] },
        'policies.0.session',
        /Unrecognized key.*"signInFrequency"/,
      );
    });
  });

  describe('empty or missing lists', () => {
    it('a policy that includes no user, group or role', () => {
      rejects(
        {
          policies: [policy({ assignments: { users: { include: [] }, applications: { include: ['all'] } } })],
        },
        'policies.0.assignments',
        /include at least one user/,
      );
      rejects(
        {
          policies: [
            policy({
              assignments: {
                users: { exclude: ['bob'] },
                groups: { include: [] },
                applications: { include: ['all'] },
              },
            }),
          ],
        },
        'policies.0.assignments',
        /include at least one user/,
      );
    });

    it('a policy with no applications', () => {
      rejects(
        {
          policies: [policy({ assignments: { users: { include: ['all'] }, applications: { include: [] } } })],
        },
        'policies.0.assignments.applications.include',
        /./,
      );
      rejects(
        { policies: [policy({ assignments: { users: { include: ['all'] } } })] },
        'policies.0.assignments.applications',
        /name the target: applications .* or userActions/,
      );
    });

    it('a location condition with nothing included, a risk condition with nothing to look for, no controls', () => {
      rejects(
        { policies: [policy({ conditions: { locations: { include: [] } } })] },
        'policies.0.conditions.locations.include',
        /./,
      );
      rejects(
        { policies: [policy({ conditions: { risk: {} } })] },
        'policies.0.conditions.risk',
        /at least one signal or a failureVelocityAtLeast/,
      );
      rejects({ policies: [policy({ grant: { controls: [] } })] }, 'policies.0.grant.controls', />=1/);
    });
  });

  it('the error message names each problem with its path', () => {
    try {
      parsePolicyDocument({ policies: [policy({ state: 'maybe' }), policy({ id: 'p2', name: '' })] });
      assert.fail('accepted');
    } catch (err) {
      assert.ok(err instanceof PolicyLoadError);
      assert.match(err.message, /policies\.0\.state: /);
      assert.match(err.message, /policies\.1\.name: /);
      assert.equal(err.issues.length, 2);
    }
  });

  it('a long list of problems is summarised in the message but kept whole in issues', () => {
    const cidrs = Array.from({ length: 30 }, (_, i) => `10.0.0.${i}/33`);
    try {
      parsePolicyDocument({ namedLocations: [office({ cidrs })] });
      assert.fail('accepted');
    } catch (err) {
      assert.ok(err instanceof PolicyLoadError);
      assert.equal(err.issues.length, 30);
      assert.match(err.message, /and 10 more/);
    }
  });
});
