import assert from 'node:assert/strict';
import request from 'supertest';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { ConfigError, createMfa, type MfaOptions } from '../../src/index.ts';
import { createClientIpResolver } from '../../src/trust/client-ip.ts';
import { compileTrustedNetworks } from '../../src/trust/trusted-networks.ts';
import { makeApp } from '../helpers/app.ts';
import { enrolUser } from '../helpers/flows.ts';

async function loginFrom(app: Parameters<typeof request>[0], xff?: string) {
  const req = request(app).post('/login');
  if (xff) req.set('X-Forwarded-For', xff);
  return req.send({ username: 'alice', password: 'alice-pw' });
}

describe('trusted networks and the client address', () => {
  it('a sign-in from a trusted network skips MFA (socket address)', async () => {
    const { app, clock, events } = makeApp({ trustedNetworks: ['127.0.0.0/8', '::1/128'] });
    await enrolUser(app, clock, 'alice');
    const res = await loginFrom(app);
    assert.equal(res.body.status, 'complete');
    assert.ok(events.some((e) => e.type === 'skipped_trusted_network'));
  });

  it('a spoofed X-Forwarded-For from an untrusted hop never skips MFA', async () => {
    const { app, clock } = makeApp({ trustedNetworks: ['203.0.113.0/24'], trustedProxies: [] });
    await enrolUser(app, clock, 'alice');
    const res = await loginFrom(app, '203.0.113.5');
    assert.equal(res.body.status, 'mfa_required');
  });

  it("a trusted proxy's X-Forwarded-For is honoured", async () => {
    const { app, clock } = makeApp({ trustedNetworks: ['203.0.113.0/24'], trustedProxies: ['loopback'] });
    await enrolUser(app, clock, 'alice');
    assert.equal((await loginFrom(app, '203.0.113.5')).body.status, 'complete');
    assert.equal((await loginFrom(app, '198.51.100.7')).body.status, 'mfa_required');
  });

  it('behind a trusted proxy, an address the client prepended to the header is not believed', async () => {
    const { app, clock } = makeApp({ trustedNetworks: ['203.0.113.0/24'], trustedProxies: ['loopback'] });
    await enrolUser(app, clock, 'alice');
    // the client sent "X-Forwarded-For: 203.0.113.5"; the proxy appended the real peer
    assert.equal((await loginFrom(app, '203.0.113.5, 198.51.100.7')).body.status, 'mfa_required');
  });

  it('IPv6 networks and IPv4-mapped addresses match', async () => {
    const { app, clock } = makeApp({
      trustedNetworks: ['2001:db8::/32', '192.0.2.0/24'],
      trustedProxies: ['loopback'],
    });
    await enrolUser(app, clock, 'alice');
    assert.equal((await loginFrom(app, '2001:db8::17')).body.status, 'complete');
    assert.equal((await loginFrom(app, '::ffff:192.0.2.9')).body.status, 'complete');
    assert.equal((await loginFrom(app, '2001:db9::1')).body.status, 'mfa_required');
  });

  it('a session that skipped MFA on the office network must verify when it shows up elsewhere', async () => {
    const { app, clock } = makeApp({ trustedNetworks: ['203.0.113.0/24'], trustedProxies: ['loopback'] });
    await enrolUser(app, clock, 'alice');
    const login = await loginFrom(app, '203.0.113.5');
    const sid = String(login.headers['set-cookie']?.[0]).split(';')[0] ?? '';
    assert.equal(
      (await request(app).get('/account').set('Cookie', sid).set('X-Forwarded-For', '203.0.113.5')).status,
      200,
    );
    const moved = await request(app)
      .get('/account')
      .set('Cookie', sid)
      .set('X-Forwarded-For', '198.51.100.7');
    assert.equal(moved.status, 401);
    assert.equal(moved.body.reason, 'reverify_required');
  });

  it('invalid trusted-network entries are rejected at start-up', () => {
    assert.throws(() => makeApp({ trustedNetworks: ['10.0.0.0/33'] }), /trustedNetworks/);
    assert.throws(() => makeApp({ trustedNetworks: ['not-an-ip'] }), /trustedNetworks/);
  });

  describe('an address written leniently is refused, not read as some other network', () => {
    // ipaddr.js alone reads these as other addresses than the operator most likely meant.
    const LENIENT = [
      '010.0.0.0/8', // octal: 8.0.0.0/8
      '0x7f.1/8', // hex and short form: 127.0.0.1
      '10/8', // 0.0.0.10/8
      '10.1', // 10.0.0.1
      '127.1/32',
      '192.168.1.010',
      '10.0.0.0/08',
      '::ffff:010.0.0.1', // the IPv4 tail of an IPv6 address obeys the same rule
      'fe80::1%eth0',
    ];
    const engine = (extra: Partial<MfaOptions>) =>
      createMfa({
        stores: createMemoryStores(),
        issuer: 'Test Co',
        sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 1) }],
        ...extra,
      });
    const refusal = (path: string, value: string) => (err: unknown) =>
      err instanceof ConfigError &&
      err.message.includes(`${path}: ${JSON.stringify(value)} must be`) &&
      /IPv4 or IPv6 address or CIDR/.test(err.message);

    it('createMfa refuses each lenient form in trustedNetworks and trustedProxies, naming the option and the value', () => {
      for (const value of LENIENT) {
        assert.throws(
          () => engine({ trustedNetworks: ['192.0.2.0/24', value] }),
          refusal('trustedNetworks.1', value),
        );
        assert.throws(
          () => engine({ trustedProxies: ['loopback', value] }),
          refusal('trustedProxies.1', value),
        );
      }
      assert.throws(
        () => engine({ trustedProxies: ['localhost'] }),
        refusal('trustedProxies.0', 'localhost'),
      );
      const fine = engine({
        trustedNetworks: ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '::ffff:192.0.2.0/120'],
        trustedProxies: ['loopback', 'linklocal', 'uniquelocal', '10.0.0.1', '172.16.0.0/12', '::1'],
      });
      assert.equal(fine.trustedNetwork('10.9.9.9'), '10.0.0.0/8');
    });

    it('compileTrustedNetworks and the proxy resolver refuse them when called directly too', () => {
      for (const value of LENIENT) {
        assert.throws(() => compileTrustedNetworks([value]), refusal('trustedNetworks.0', value));
        assert.throws(() => createClientIpResolver([value]), refusal('trustedProxies.0', value));
      }
    });

    it('attack: "010.0.0.0/8" in the trusted networks never lets 8.8.8.8 skip MFA', async () => {
      // Read by ipaddr.js, 010.0.0.0/8 is 8.0.0.0/8: a client at 8.8.8.8 would sign in with a password only.
      assert.throws(
        () => makeApp({ trustedNetworks: ['010.0.0.0/8'], trustedProxies: ['loopback'] }),
        refusal('trustedNetworks.0', '010.0.0.0/8'),
      );
      assert.throws(() => compileTrustedNetworks(['010.0.0.0/8']), ConfigError);
      // What the operator meant, written strictly: 8.8.8.8 is outside it and must verify.
      const { app, clock } = makeApp({ trustedNetworks: ['10.0.0.0/8'], trustedProxies: ['loopback'] });
      await enrolUser(app, clock, 'alice');
      assert.equal((await loginFrom(app, '8.8.8.8')).body.status, 'mfa_required');
      assert.equal((await loginFrom(app, '10.1.2.3')).body.status, 'complete');
    });
  });
});
