/**
 * The federation server's config: every mistake is reported with its path, secrets come
 * from environment variables and are never echoed, and the example config `npm start` uses
 * is valid.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFederationConfig, parseFederationConfig } from '../../sample-idp/federation/config.ts';
import { applicationOf, buildPolicyDocument } from '../../sample-idp/federation/policies.ts';
import { compilePolicySet, evaluateRegistration } from '../../src/policy/index.ts';
import { problems, valid } from './federation-config-fixtures.ts';

const PHR = 'urn:mfakit:acr:phr';

describe('sample-idp federation config', () => {
  it('accepts a valid config, substituting environment variables and defaults', async () => {
    const config = await parseFederationConfig(valid(), { PARTNER_SECRET: 'from-the-environment-123' });
    assert.equal(config.claimsProviders[0]?.clientSecret, 'from-the-environment-123');
    assert.equal(config.users[0]?.password, 'demo password alice');
    assert.equal(config.users[0]?.email, 'alice@contoso.test');
    assert.deepEqual(config.claimsProviders[0]?.emailDomains, ['partner.test']);
    assert.deepEqual(config.relyingParties[0]?.releaseClaims, ['name', 'email']);
    assert.equal(config.dataFile, 'data/federation.sqlite');
  });

  it('names the path of a bad URL', async () => {
    const c = valid();
    (c.relyingParties[0] as { redirectUris: string[] }).redirectUris = ['https://rp.example/ok', 'not a url'];
    assert.deepEqual(await problems(c), [
      'relyingParties[0].redirectUris[1]: must be an absolute http:// or https:// URL',
    ]);
  });

  it('refuses a trusted network or proxy written leniently, naming the path and the value', async () => {
    // 0x7f.1/8 would be read as 127.0.0.1/8 and 010.0.0.1 as 8.0.0.1: not what they seem.
    const c = {
      ...valid(),
      trustedNetworks: ['10.0.0.0/8', '0x7f.1/8'],
      trustedProxies: ['loopback', '010.0.0.1'],
    };
    const issues = await problems(c);
    assert.equal(issues.length, 2, issues.join('\n'));
    assert.match(
      issues[0] ?? '',
      /^trustedNetworks\[1\]: "0x7f\.1\/8" must be an IPv4 or IPv6 address or CIDR/,
    );
    assert.match(
      issues[1] ?? '',
      /^trustedProxies\[1\]: "010\.0\.0\.1" must be loopback, linklocal, uniquelocal or/,
    );
    const fine = await parseFederationConfig(
      {
        ...valid(),
        trustedNetworks: ['10.0.0.0/8'],
        trustedProxies: ['loopback', '10.0.0.1', '2001:db8::/32'],
      },
      { PARTNER_SECRET: 'x'.repeat(20) },
    );
    assert.deepEqual(fine.trustedProxies, ['loopback', '10.0.0.1', '2001:db8::/32']);
  });

  it('names an unset environment variable, once, without a value', async () => {
    const issues = await problems(valid(), {});
    assert.deepEqual(issues, [
      'claimsProviders[0].clientSecret: environment variable PARTNER_SECRET is not set (and the value has no default)',
    ]);
  });

  it('never echoes a secret in an error', async () => {
    const issues = await problems(valid(), { PARTNER_SECRET: 'short-secret' });
    assert.deepEqual(issues, [
      'claimsProviders[0].clientSecret: must be the client secret registered at the claims provider of at least 16 characters',
    ]);
    assert.ok(!issues.join('\n').includes('short-secret'));
  });

  it('reports every field problem at once, then the cross-field ones', async () => {
    const c = valid() as Record<string, unknown> & ReturnType<typeof valid>;
    c.claimsProviders[0] = {
      ...c.claimsProviders[0],
      federatedIdpMfaBehavior: 'enforceMfaByFederatedIdp',
    } as (typeof c.claimsProviders)[0];
    c.users.push({ ...c.users[0], id: 'mallory', email: 'mallory@partner.test' } as (typeof c.users)[0]);
    (c.relyingParties[0] as Record<string, unknown>).releaseClaims = ['name', 'phone'];
    c.unknownField = 1;
    assert.deepEqual((await problems(c)).sort(), [
      '(config): Unrecognized key: "unknownField"',
      'relyingParties[0].releaseClaims[1]: must be one of name, email, groups',
    ]);
    delete c.unknownField;
    (c.relyingParties[0] as Record<string, unknown>).releaseClaims = ['name'];
    assert.deepEqual((await problems(c)).sort(), [
      'claimsProviders[0].mfaAcr: is required with enforceMfaByFederatedIdp: it is sent upstream as acr_values',
      'users[1].email: is in partner.test, which claims provider partner owns without accountMapping: linkByEmail (home-realm discovery would send this user there)',
    ]);
  });

  it('refuses duplicate client ids and e-mail domains', async () => {
    const c = valid();
    c.relyingParties.push({ ...c.relyingParties[0] } as (typeof c.relyingParties)[0]);
    c.claimsProviders.push({ ...c.claimsProviders[0], id: 'other' } as (typeof c.claimsProviders)[0]);
    assert.deepEqual((await problems(c)).sort(), [
      'claimsProviders[1].emailDomains[0]: e-mail domain "partner.test" is used twice',
      'relyingParties[1].clientId: client_id "rp" is used twice',
    ]);
  });

  it("refuses a claims provider owning the local users' domain or another provider's (its accounts could claim those addresses)", async () => {
    const c = valid();
    c.claimsProviders[0] = {
      ...c.claimsProviders[0],
      emailDomains: ['contoso.test'],
    } as (typeof c.claimsProviders)[0];
    c.claimsProviders.push({
      ...c.claimsProviders[0],
      id: 'other',
      emailDomains: ['other.test', 'Contoso.test'],
    } as (typeof c.claimsProviders)[0]);
    assert.deepEqual((await problems(c)).sort(), [
      'claimsProviders[1].emailDomains[1]: e-mail domain "contoso.test" is used twice',
      'users[0].email: is in contoso.test, which claims provider partner owns without accountMapping: linkByEmail (home-realm discovery would send this user there)',
    ]);
  });

  it('refuses an http:// claims provider unless allowInsecureHttp', async () => {
    const c = valid();
    c.claimsProviders[0] = {
      ...c.claimsProviders[0],
      issuer: 'http://partner.example',
    } as (typeof c.claimsProviders)[0];
    assert.match((await problems(c)).join(), /claimsProviders\[0\]\.issuer: is http:\/\//);
  });

  it('validates the policy document and prefixes its paths', async () => {
    const c = { ...valid(), policies: { policies: [{ id: 'p1', name: 'P', state: 'sometimes' }] } };
    const issues = await problems(c);
    assert.ok(
      issues.some((i) => i.startsWith('policies.policies.0.state:')),
      issues.join('\n'),
    );
  });

  it('loads a YAML file and reports a syntax error as such', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fed-config-'));
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'issuer: [unclosed\n');
    await assert.rejects(loadFederationConfig(bad, {}), (err: Error) => {
      assert.match(err.message, /bad\.yaml/);
      assert.match(err.message, /\(file\): not valid YAML/);
      return true;
    });
  });

  it('refuses a policy naming a renamed client by its client id, and an application name that is another client', async () => {
    const c = valid();
    c.relyingParties[0] = {
      ...c.relyingParties[0],
      conditionalAccessApp: 'payroll-app',
    } as (typeof c.relyingParties)[0];
    const policy = {
      id: 'p',
      name: 'P',
      state: 'on',
      assignments: { users: { include: ['all'] }, applications: { include: ['rp'] } },
      grant: { controls: ['mfa'] },
    };
    assert.deepEqual(await problems({ ...c, policies: { policies: [policy] } }), [
      'policies.policies[0].assignments.applications.include[0]: "rp" is a client id whose application is "payroll-app": name the application',
    ]);
    c.relyingParties[0] = {
      ...c.relyingParties[0],
      conditionalAccessApp: 'account-portal',
    } as (typeof c.relyingParties)[0];
    assert.deepEqual(await problems(c), [
      `relyingParties[0].conditionalAccessApp: "account-portal" is the security-info portal's application`,
    ]);
  });

  it('conditionalAccessApp names the application of a client (appOf); requiredAcr is no policy (it is a requested level)', async () => {
    const c = valid();
    c.relyingParties[0] = {
      ...c.relyingParties[0],
      conditionalAccessApp: 'payroll-app',
      requiredAcr: 'urn:mfakit:acr:mfa',
    } as (typeof c.relyingParties)[0];
    const config = await parseFederationConfig(
      {
        ...c,
        policies: {
          policies: [
            {
              id: 'payroll-office',
              name: 'Payroll',
              state: 'on',
              assignments: { users: { include: ['all'] }, applications: { include: ['payroll-app'] } },
              grant: { controls: ['mfa'] },
            },
          ],
        },
      },
      { PARTNER_SECRET: 'x'.repeat(20) },
    );
    const doc = buildPolicyDocument(config);
    const byId = new Map(doc.policies.map((p) => [p.id, p]));
    assert.equal(applicationOf(config, 'rp'), 'payroll-app');
    assert.equal(applicationOf(config, 'unknown-client'), 'unknown-client');
    assert.deepEqual(byId.get('payroll-office')?.assignments.applications?.include, ['payroll-app']);
    assert.deepEqual([...byId.keys()], ['payroll-office', 'account-portal-requires-mfa']);
  });

  it('passkeys: on by default; an issuer on an IP address is refused with why and what to use instead', async () => {
    assert.deepEqual((await parseFederationConfig(valid(), { PARTNER_SECRET: 'x'.repeat(20) })).passkeys, {
      enabled: true,
      userVerification: 'preferred',
    });
    const onIp = await problems({ ...valid(), issuer: 'http://127.0.0.1:3000' });
    assert.equal(onIp.length, 1);
    assert.match(
      onIp[0] ?? '',
      /^issuer: is on an IP address \(127\.0\.0\.1\): browsers refuse passkeys \(WebAuthn\) on IP addresses/,
    );
    assert.match(onIp[0] ?? '', /http:\/\/localhost:3000/);
    assert.match(
      (await problems({ ...valid(), issuer: 'https://[::1]:8443' }))[0] ?? '',
      /IP address \(::1\)/,
    );
    assert.match(
      (await problems({ ...valid(), issuer: 'http://idp.example' }))[0] ?? '',
      /^issuer: is http:\/\/ on idp\.example: browsers allow passkeys \(WebAuthn\) over http only on localhost/,
    );
    assert.match(
      (await problems({ ...valid(), passkeys: { enabled: 'yes' } }))[0] ?? '',
      /^passkeys\.enabled: must be true or false/,
    );
    // Passkeys off: an IP address is fine (only password and app sign-ins there).
    const off = await parseFederationConfig(
      { ...valid(), issuer: 'http://127.0.0.1:3000', passkeys: { enabled: false } },
      { PARTNER_SECRET: 'x'.repeat(20) },
    );
    assert.equal(off.passkeys.enabled, false);
  });

  it('textMessage and phoneCall: on by default, each turned off on its own; anything but true or false is refused', async () => {
    const on = await parseFederationConfig(valid(), { PARTNER_SECRET: 'x'.repeat(20) });
    assert.deepEqual(on.textMessage, { enabled: true });
    assert.deepEqual(on.phoneCall, { enabled: true, answer: 'code', pin: false });
    const noCalls = await parseFederationConfig(
      { ...valid(), phoneCall: { enabled: false } },
      { PARTNER_SECRET: 'x'.repeat(20) },
    );
    assert.deepEqual([noCalls.textMessage.enabled, noCalls.phoneCall.enabled], [true, false]);
    assert.match(
      (await problems({ ...valid(), textMessage: { enabled: 'yes' } }))[0] ?? '',
      /^textMessage\.enabled: must be true or false/,
    );
    assert.match((await problems({ ...valid(), phoneCall: { enable: false } }))[0] ?? '', /^phoneCall/);
  });

  it('radius: none by default; its port defaults to 1812; a client list that is empty, or a short secret, is refused', async () => {
    const none = await parseFederationConfig(valid(), { PARTNER_SECRET: 'x'.repeat(20) });
    assert.equal(none.radius, undefined);
    const one = await parseFederationConfig(
      { ...valid(), radius: { clients: [{ address: '10.0.0.0/8', secret: 's'.repeat(20) }] } },
      { PARTNER_SECRET: 'x'.repeat(20) },
    );
    assert.deepEqual([one.radius?.port, one.radius?.host], [1812, '127.0.0.1']);
    assert.match(
      (await problems({ ...valid(), radius: { clients: [] } }))[0] ?? '',
      /^radius\.clients: at least one RADIUS client/,
    );
    assert.match(
      (
        await problems({ ...valid(), radius: { clients: [{ address: '10.0.0.0/8', secret: 'short' }] } })
      )[0] ?? '',
      /^radius\.clients\[0\]\.secret: a shared secret must be at least 16 characters/,
    );
  });

  it('pushNotifications: on by default, turned off on its own; anything but true or false is refused', async () => {
    const on = await parseFederationConfig(valid(), { PARTNER_SECRET: 'x'.repeat(20) });
    assert.deepEqual(on.pushNotifications, { enabled: true });
    const off = await parseFederationConfig(
      { ...valid(), pushNotifications: { enabled: false } },
      { PARTNER_SECRET: 'x'.repeat(20) },
    );
    assert.deepEqual([off.pushNotifications.enabled, off.textMessage.enabled], [false, true]);
    assert.match(
      (await problems({ ...valid(), pushNotifications: { enabled: 'yes' } }))[0] ?? '',
      /^pushNotifications\.enabled: must be true or false/,
    );
  });

  it('the example config for npm start is valid', async () => {
    const config = await loadFederationConfig('sample-idp/federation.example.yaml', {
      FED_URL: 'http://localhost:4000',
      PARTNER_URL: 'http://localhost:4001',
      DEMO_RP_URL: 'http://localhost:4002',
    });
    assert.equal(config.issuer, 'http://localhost:4000');
    assert.deepEqual(config.relyingParties[0]?.redirectUris, ['http://localhost:4002/callback']);
    assert.deepEqual(config.passkeys, { enabled: true, userVerification: 'preferred' });
    assert.deepEqual([config.textMessage.enabled, config.phoneCall.enabled], [true, true]);
    assert.equal(config.pushNotifications.enabled, true);
    assert.equal(config.relyingParties.find((rp) => rp.clientId === 'payroll')?.requiredAcr, PHR);
    // Without FED_URL (npm run tap, a first look at the file) the defaults are localhost too.
    assert.equal(
      (await loadFederationConfig('sample-idp/federation.example.yaml', {})).issuer,
      'http://localhost:3000',
    );
    assert.deepEqual(
      config.claimsProviders.map((p) => p.federatedIdpMfaBehavior),
      ['acceptIfMfaDoneByFederatedIdp', 'enforceMfaByFederatedIdp', 'rejectMfaByFederatedIdp'],
    );
    assert.deepEqual(
      config.users.map((u) => u.mfaState),
      ['enabled', 'enforced', 'disabled'],
    );
    // Registering a method: free from the loopback (the demo's office), MFA or a Temporary
    // Access Pass from anywhere else; sign-ins are not touched by it.
    const set = compilePolicySet(buildPolicyDocument(config));
    const register = (ip: string, methods: string[]) =>
      evaluateRegistration(set, { userId: 'bob', ip, time: Date.now() }, { methods }).action;
    assert.equal(register('127.0.0.1', ['password']), 'allow');
    assert.equal(register('::1', ['password']), 'allow');
    assert.equal(register('::ffff:127.0.0.1', ['password']), 'allow');
    assert.equal(register('192.0.2.10', ['password']), 'require');
    assert.equal(register('192.0.2.10', ['temporaryAccessPass']), 'allow');
    assert.equal(
      set.evaluate({ userId: 'bob', app: 'demo-rp', ip: '192.0.2.10', time: Date.now() }).action,
      'allow',
    );
  });
});
