/** Policy documents: the size limits, and parsing YAML and JSON text safely. */

import assert from 'node:assert/strict';
import { compilePolicySet, POLICY_LIMITS, parsePolicyText } from '../../../src/policy/index.ts';
import { issuesOf, office, policy, rejects } from './fixtures.ts';

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
