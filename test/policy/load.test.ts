import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MfaError } from '../../src/errors.ts';
import { CidrTrie } from '../../src/policy/cidr-trie.ts';
import {
  compilePolicySet,
  loadPolicyFile,
  naiveEvaluator,
  POLICY_LIMITS,
  type PolicyDocument,
  type PolicyIssue,
  PolicyLoadError,
  parsePolicyDocument,
  parsePolicyText,
} from '../../src/policy/index.ts';
import { cidrContains, ipBytes, parseCidr } from '../../src/policy/ip.ts';

/** Malformed documents are rejected whole, with the path and reason of each problem. */

type Obj = Record<string, unknown>;

const policy = (over: Obj = {}): Obj => ({
  id: 'p1',
  name: 'P1',
  state: 'on',
  assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
  grant: { controls: ['mfa'] },
  ...over,
});
const office = (over: Obj = {}): Obj => ({
  id: 'office',
  name: 'Office',
  cidrs: ['203.0.113.0/24'],
  ...over,
});
const window = (over: Obj = {}): Obj => ({
  start: '09:00',
  end: '17:00',
  timeZone: 'Europe/Berlin',
  ...over,
});
const withTimes = (w: Obj) => ({ policies: [policy({ conditions: { times: { include: [w] } } })] });

function issuesOf(parse: () => unknown): PolicyIssue[] {
  try {
    parse();
  } catch (err) {
    assert.ok(err instanceof PolicyLoadError, `expected a PolicyLoadError, got ${String(err)}`);
    assert.ok(err instanceof MfaError);
    assert.equal(err.code, 'policy_invalid');
    assert.ok(err.issues.length > 0);
    return err.issues;
  }
  assert.fail('the document was accepted');
}

/** The document is rejected with an issue at `path` whose message matches `message`. */
function rejects(value: unknown, path: string, message: RegExp) {
  const issues = issuesOf(() => parsePolicyDocument(value));
  const at = issues.filter((i) => i.path === path);
  assert.ok(at.length > 0, `no issue at ${path}; got ${JSON.stringify(issues)}`);
  assert.ok(
    at.some((i) => message.test(i.message)),
    `issue at ${path} should match ${message}; got ${JSON.stringify(at)}`,
  );
  return issues;
}

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

describe('policy documents: size limits', () => {
  it('text over POLICY_LIMITS.documentBytes is rejected by size, quickly, before parsing', () => {
    const text = `{"policies":[],"x":"${'a'.repeat(POLICY_LIMITS.documentBytes)}"}`;
    const started = performance.now();
    const issues = issuesOf(() => parsePolicyText(text));
    assert.ok(performance.now() - started < 1000);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.path, '(root)');
    assert.match(issues[0]?.message ?? '', new RegExp(`larger than ${POLICY_LIMITS.documentBytes} bytes`));
    // counted in bytes, not characters: 3 bytes per character here
    const wide = '€'.repeat(Math.ceil(POLICY_LIMITS.documentBytes / 3) + 1);
    assert.ok(wide.length < POLICY_LIMITS.documentBytes);
    assert.match(issuesOf(() => parsePolicyText(wide, 'yaml'))[0]?.message ?? '', /larger than/);
  });

  it('200,001 CIDRs in all are rejected, even if no location has too many', () => {
    const cidrs = (n: number, base: number) =>
      Array.from({ length: n }, (_, i) => `${base}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const half = POLICY_LIMITS.cidrsPerLocation;
    assert.equal(2 * half + 1, 200_001);
    rejects(
      {
        namedLocations: [
          office({ id: 'a', cidrs: cidrs(half, 10) }),
          office({ id: 'b', cidrs: cidrs(half, 11) }),
          office({ id: 'c', cidrs: cidrs(1, 12) }),
        ],
      },
      'namedLocations',
      /200001 CIDRs in all; at most 200000/,
    );
  });

  it('more than cidrsPerLocation CIDRs in one location are rejected', () => {
    const cidrs = Array.from({ length: POLICY_LIMITS.cidrsPerLocation + 1 }, () => '192.0.2.1');
    rejects({ namedLocations: [office({ cidrs })] }, 'namedLocations.0.cidrs', /./);
  });

  it('more than POLICY_LIMITS.policies policies are rejected', () => {
    const policies = Array.from({ length: POLICY_LIMITS.policies + 1 }, (_, i) => policy({ id: `p${i}` }));
    rejects({ policies }, 'policies', /./);
  });
});

describe('policy documents: YAML and JSON text', () => {
  const yaml = `
namedLocations:
  - id: office
    name: Office
    trusted: true
    cidrs: [203.0.113.0/24, "2001:db8:abcd::/48"]
authenticationStrengths:
  - id: fido
    name: Security key
    combinations:
      - [webauthn]
policies:
  - id: off-site
    name: MFA off-site
    state: on
    assignments:
      users: { include: [all], exclude: [breakglass] }
      applications: { include: [all] }
    conditions:
      locations: { include: [any], exclude: [trusted] }
    grant:
      controls: [mfa]
    session:
      signInFrequencyHours: 12
  - id: admins-fido
    name: Admins use a security key
    state: reportOnly
    assignments:
      roles: { include: [admin] }
      applications: { include: [admin-console] }
    grant:
      controls:
        - authenticationStrength: fido
`;

  it('a valid YAML document parses to the same document as its JSON', () => {
    const fromYaml = parsePolicyText(yaml, 'yaml');
    assert.equal(fromYaml.policies.length, 2);
    assert.deepEqual(fromYaml.namedLocations[0]?.cidrs, ['203.0.113.0/24', '2001:db8:abcd::/48']);
    assert.deepEqual(fromYaml.policies[1]?.grant, {
      operator: 'requireAll',
      controls: [{ authenticationStrength: 'fido' }],
    });
    assert.deepEqual(parsePolicyText(JSON.stringify(fromYaml), 'json'), fromYaml);
    const set = compilePolicySet(fromYaml);
    const ctx = { userId: 'alice', app: 'portal', ip: '198.51.100.1', time: 0 };
    assert.equal(set.evaluate(ctx).action, 'mfa');
    assert.equal(set.evaluate({ ...ctx, ip: '203.0.113.9' }).action, 'allow');
  });

  it('invalid YAML and JSON', () => {
    const [y] = issuesOf(() => parsePolicyText('policies: [\n  - id: x', 'yaml'));
    assert.equal(y?.path, '(root)');
    assert.match(y?.message ?? '', /not valid YAML/);
    const [j] = issuesOf(() => parsePolicyText('{"policies": [', 'json'));
    assert.match(j?.message ?? '', /not valid JSON/);
    assert.match(issuesOf(() => parsePolicyText(yaml, 'json'))[0]?.message ?? '', /not valid JSON/);
  });

  it('duplicate keys in YAML', () => {
    const [issue] = issuesOf(() => parsePolicyText('policies: []\npolicies: []\n', 'yaml'));
    assert.match(issue?.message ?? '', /not valid YAML/);
  });

  it('valid YAML that is not a valid document is rejected by the schema, with paths', () => {
    for (const text of ['', 'just a string', '- a list\n']) {
      const issues = issuesOf(() => parsePolicyText(text, 'yaml'));
      assert.ok(
        issues.some((i) => i.path === '(root)' && /expected object/.test(i.message)),
        JSON.stringify(issues),
      );
    }
    const issues = issuesOf(() => parsePolicyText('policies:\n  - id: p1\n    state: maybe\n', 'yaml'));
    assert.ok(issues.some((i) => i.path === 'policies.0.state'));
  });

  it('a billion-laughs alias bomb is refused quickly', () => {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    const lines = [`a: &a [${Array(9).fill('"lol"').join(',')}]`];
    for (let i = 1; i < levels.length; i++)
      lines.push(
        `${levels[i]}: &${levels[i]} [${Array(9)
          .fill(`*${levels[i - 1]}`)
          .join(',')}]`,
      );
    const started = performance.now();
    const [issue] = issuesOf(() => parsePolicyText(lines.join('\n'), 'yaml'));
    assert.ok(performance.now() - started < 2000, 'refused before expanding');
    assert.equal(issue?.path, '(root)');
    assert.match(issue?.message ?? '', /not valid YAML.*alias/i);
  });

  it('a few aliases are fine', () => {
    const doc = parsePolicyText(
      `namedLocations:\n  - id: office\n    name: Office\n    cidrs: &nets [203.0.113.0/24]\n  - id: lab\n    name: Lab\n    cidrs: *nets\n`,
      'yaml',
    );
    assert.deepEqual(doc.namedLocations[1]?.cidrs, ['203.0.113.0/24']);
  });
});

describe('policy files', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mfakit-policy-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const valid = { policies: [policy()] };

  it('loads .json, .yaml, .yml and .YAML files', async () => {
    const json = join(dir, 'policies.json');
    await writeFile(json, JSON.stringify(valid));
    const expected: PolicyDocument = parsePolicyDocument(valid);
    assert.deepEqual(await loadPolicyFile(json), expected);
    for (const name of ['policies.yaml', 'policies.yml', 'POLICIES.YAML']) {
      const file = join(dir, name);
      await writeFile(
        file,
        'policies:\n  - id: p1\n    name: P1\n    state: on\n    assignments:\n      users: { include: [all] }\n      applications: { include: [all] }\n    grant: { controls: [mfa] }\n',
      );
      assert.deepEqual(await loadPolicyFile(file), expected, name);
    }
  });

  it('a .txt file is refused', async () => {
    const file = join(dir, 'policies.txt');
    await writeFile(file, JSON.stringify(valid));
    await assert.rejects(loadPolicyFile(file), (err: unknown) => {
      assert.ok(err instanceof PolicyLoadError);
      assert.equal(err.issues[0]?.path, '(file)');
      assert.match(err.issues[0]?.message ?? '', /use a \.json, \.yaml or \.yml file/);
      return true;
    });
  });

  it('an invalid document in a file gives the same issues as the text', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ policies: [policy({ state: 'maybe' })] }));
    await assert.rejects(loadPolicyFile(file), (err: unknown) => {
      assert.ok(err instanceof PolicyLoadError);
      assert.deepEqual(
        err.issues.map((i) => i.path),
        ['policies.0.state'],
      );
      return true;
    });
  });

  it('a file over the size limit is refused by size', async () => {
    const file = join(dir, 'huge.json');
    await writeFile(file, Buffer.alloc(POLICY_LIMITS.documentBytes + 1, 0x20));
    await assert.rejects(loadPolicyFile(file), (err: unknown) => {
      assert.ok(err instanceof PolicyLoadError);
      assert.equal(err.issues[0]?.path, '(file)');
      assert.match(err.issues[0]?.message ?? '', /larger than/);
      return true;
    });
  });
});

describe('CIDR trie against a linear scan', () => {
  /** A small deterministic PRNG (mulberry32), so a failure reproduces. */
  function rng(seed: number) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const random = rng(20260329);
  const int = (n: number) => Math.floor(random() * n);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const v4 = (b: Uint8Array) => [...b].join('.');
  const v6 = (b: Uint8Array) =>
    Array.from({ length: 8 }, (_, i) => (((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0)).toString(16)).join(
      ':',
    );

  /**
   * `count` random CIDRs with prefixes from `min` to the family's width; about a third are
   * drawn inside an earlier one (a longer prefix of its bits), so ranges nest and overlap.
   */
  function randomCidrs(count: number, width: 4 | 16, min: number, text: (b: Uint8Array) => string) {
    const out: { bytes: Uint8Array; prefix: number }[] = [];
    for (let k = 0; k < count; k++) {
      const parent = out.length > 0 && random() < 0.35 ? out[int(out.length)] : undefined;
      const prefix = parent
        ? parent.prefix + int(width * 8 - parent.prefix + 1)
        : min + int(width * 8 - min + 1);
      const b = bytes(width);
      if (parent)
        for (let bit = 0; bit < parent.prefix; bit++) {
          const mask = 0x80 >> (bit & 7);
          const i = bit >> 3;
          b[i] = ((b[i] ?? 0) & ~mask) | ((parent.bytes[i] ?? 0) & mask);
        }
      out.push({ bytes: b, prefix });
    }
    return out.map((c) => `${text(c.bytes)}/${c.prefix}`);
  }
  const v4Cidrs = randomCidrs(10_000, 4, 16, v4);
  const v6Cidrs = randomCidrs(1_000, 16, 16, v6);
  const parsed = [...v4Cidrs, ...v6Cidrs].map((c) => ({ text: c, cidr: parseCidr(c) }));

  /** Half the addresses inside a random CIDR (host bits random), half anywhere; some IPv4-mapped. */
  const addresses = Array.from({ length: 2_000 }, (_, k) => {
    const { cidr } = parsed[int(parsed.length)] as (typeof parsed)[number];
    const out = k % 2 === 0 ? Uint8Array.from(cidr.bytes) : bytes(cidr.bytes.length);
    const noise = bytes(out.length);
    for (let bit = k % 2 === 0 ? cidr.prefix : out.length * 8; bit < out.length * 8; bit++) {
      const mask = 0x80 >> (bit & 7);
      const i = bit >> 3;
      out[i] = ((out[i] ?? 0) & ~mask) | ((noise[i] ?? 0) & mask);
    }
    if (out.length === 16) return v6(out);
    return k % 10 === 0 ? `::ffff:${v4(out)}` : v4(out);
  });

  it('CidrTrie.lookup finds exactly the locations a linear cidrContains scan finds', () => {
    // 10 locations, each CIDR in one of them at random
    const owner = parsed.map(() => int(10));
    const trie = new CidrTrie();
    parsed.forEach((p, i) => {
      trie.insert(p.cidr, owner[i] ?? 0);
    });
    let hits = 0;
    let several = 0;
    for (const address of addresses) {
      const ip = ipBytes(address);
      assert.ok(ip, address);
      const linear = new Set<number>();
      parsed.forEach((p, i) => {
        if (cidrContains(p.cidr, ip)) linear.add(owner[i] ?? 0);
      });
      const found = trie.lookup(ip);
      assert.equal(new Set(found).size, found.length, 'each location once');
      assert.deepEqual(new Set(found), linear, address);
      if (linear.size > 0) hits++;
      if (linear.size > 1) several++;
    }
    assert.ok(hits >= 900, `half the addresses were drawn inside a CIDR (${hits} hits)`);
    assert.ok(several >= 200, `nested ranges put many addresses in several locations (${several})`);
  });

  it('a location of 11,000 CIDRs matches in the compiled policy set exactly when a linear scan says so', () => {
    const doc = parsePolicyDocument({
      namedLocations: [{ id: 'many', name: 'Many', cidrs: [...v4Cidrs, ...v6Cidrs] }],
      policies: [policy({ grant: { block: true }, conditions: { locations: { include: ['many'] } } })],
    });
    const set = compilePolicySet(doc);
    const naive = naiveEvaluator(doc);
    let blocked = 0;
    for (const ip of addresses) {
      const bytesOfIp = ipBytes(ip);
      const inside = bytesOfIp !== null && parsed.some((p) => cidrContains(p.cidr, bytesOfIp));
      const ctx = { userId: 'alice', app: 'portal', ip, time: 0 };
      assert.equal(set.evaluate(ctx).action, inside ? 'block' : 'allow', ip);
      assert.equal(naive(ctx).action, inside ? 'block' : 'allow', ip);
      if (inside) blocked++;
    }
    assert.ok(blocked >= 900);
  });

  it('cidrContains: edges of a range, prefix 0, and families never mix', () => {
    const net = parseCidr('192.0.2.0/24');
    assert.ok(cidrContains(net, ipBytes('192.0.2.0') as Uint8Array));
    assert.ok(cidrContains(net, ipBytes('192.0.2.255') as Uint8Array));
    assert.ok(!cidrContains(net, ipBytes('192.0.3.0') as Uint8Array));
    assert.ok(!cidrContains(net, ipBytes('192.0.1.255') as Uint8Array));
    assert.ok(cidrContains(parseCidr('0.0.0.0/0'), ipBytes('255.255.255.255') as Uint8Array));
    assert.ok(!cidrContains(parseCidr('::/0'), ipBytes('10.0.0.1') as Uint8Array));
    assert.ok(!cidrContains(parseCidr('0.0.0.0/0'), ipBytes('2001:db8::1') as Uint8Array));
    // an IPv4-mapped CIDR covers the IPv4 addresses it maps
    assert.ok(cidrContains(parseCidr('::ffff:10.0.0.0/104'), ipBytes('10.200.0.1') as Uint8Array));
    const odd = parseCidr('10.1.2.3/13'); // host bits set: only the prefix counts
    assert.ok(cidrContains(odd, ipBytes('10.0.0.1') as Uint8Array));
    assert.ok(!cidrContains(odd, ipBytes('10.8.0.1') as Uint8Array));
  });
});
