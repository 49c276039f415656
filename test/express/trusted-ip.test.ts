import assert from 'node:assert/strict';
import request from 'supertest';
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
});
