import assert from 'node:assert/strict';
import request from 'supertest';
import { parseStamp } from '../../src/index.ts';
import { codeFor, makeApp } from '../helpers/app.ts';
import { enrolUser, signIn } from '../helpers/flows.ts';

const rdCookie = (res: request.Response) =>
  ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('mfakit_rd='));

async function rememberedSignIn() {
  const ctx = makeApp();
  const { secret } = await enrolUser(ctx.app, ctx.clock, 'alice');
  const { res } = await signIn(ctx.app, ctx.clock, 'alice', secret, { remember: true });
  const setCookie = rdCookie(res);
  assert.ok(setCookie, 'a remembered-device cookie is set');
  const value = /^mfakit_rd=([^;]+)/.exec(setCookie)?.[1] ?? '';
  return { ...ctx, secret, setCookie, cookie: `mfakit_rd=${value}`, value };
}

describe('remembered devices', () => {
  it('the cookie is HttpOnly, SameSite=Lax, expires in 14 days, and skips MFA for that user', async () => {
    const { app, clock, cookie, setCookie } = await rememberedSignIn();
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Lax/i);
    const expires = Date.parse(/Expires=([^;]+)/i.exec(setCookie)?.[1] ?? '');
    assert.ok(Math.abs(expires - (clock.now() - 30_000 + 14 * 86_400_000)) < 2000);
    const login = await request(app)
      .post('/login')
      .set('Cookie', cookie)
      .send({ username: 'alice', password: 'alice-pw' });
    assert.equal(login.body.status, 'complete');
    const sid = String(login.headers['set-cookie']?.[0]).split(';')[0] ?? '';
    const account = await request(app).get('/account').set('Cookie', sid);
    assert.equal(account.status, 200);
    assert.equal(account.body.skippedBy, 'remembered_device');
    assert.deepEqual(account.body.amr, ['pwd'], 'a skipped factor is not claimed');
  });

  it("copied into another user's sign-in, the cookie is ignored and audited", async () => {
    const { app, clock, cookie, events } = await rememberedSignIn();
    await enrolUser(app, clock, 'bob');
    const login = await request(app)
      .post('/login')
      .set('Cookie', cookie)
      .send({ username: 'bob', password: 'bob-pw' });
    assert.equal(login.body.status, 'mfa_required');
    assert.ok(
      events.some(
        (e) =>
          e.type === 'remembered_device_rejected' && e.userId === 'bob' && e.detail === 'cookie_wrong_user',
      ),
    );
  });

  it('a tampered cookie is refused', async () => {
    const { app, value, events } = await rememberedSignIn();
    const [id, secret] = value.split('.');
    const flipped = `${id}.${(secret ?? '').slice(0, -1)}${(secret ?? '').endsWith('A') ? 'B' : 'A'}`;
    const login = await request(app)
      .post('/login')
      .set('Cookie', `mfakit_rd=${flipped}`)
      .send({ username: 'alice', password: 'alice-pw' });
    assert.equal(login.body.status, 'mfa_required');
    assert.ok(events.some((e) => e.type === 'remembered_device_rejected' && e.detail === 'secret_mismatch'));
    const garbage = await request(app)
      .post('/login')
      .set('Cookie', 'mfakit_rd=%3Cscript%3E')
      .send({ username: 'alice', password: 'alice-pw' });
    assert.equal(garbage.body.status, 'mfa_required');
  });

  it('an expired cookie is refused', async () => {
    const { app, clock, cookie, events } = await rememberedSignIn();
    clock.advance(15 * 86_400_000);
    const login = await request(app)
      .post('/login')
      .set('Cookie', cookie)
      .send({ username: 'alice', password: 'alice-pw' });
    assert.equal(login.body.status, 'mfa_required');
    assert.ok(events.some((e) => e.type === 'remembered_device_rejected' && e.detail === 'device_expired'));
  });

  it('listing and revoking one device from the JSON API; a revoked cookie is refused', async () => {
    const { app, clock, secret, cookie } = await rememberedSignIn();
    const { agent } = await signIn(app, clock, 'alice', secret);
    const list = await agent.get('/mfa/api/devices');
    assert.equal(list.body.devices.length, 1);
    assert.equal(list.body.devices[0].active, true);
    assert.equal(list.body.devices[0].secretHash, undefined, 'no hash leaves the server');
    await agent.delete(`/mfa/api/devices/${list.body.devices[0].id}`).expect(204);
    const login = await request(app)
      .post('/login')
      .set('Cookie', cookie)
      .send({ username: 'alice', password: 'alice-pw' });
    assert.equal(login.body.status, 'mfa_required');
  });

  it("bob cannot revoke alice's device", async () => {
    const { app, clock, mfa } = await rememberedSignIn();
    const [device] = await mfa.devices.list('alice');
    const bob = await enrolUser(app, clock, 'bob');
    const { agent } = await signIn(app, clock, 'bob', bob.secret);
    assert.equal((await agent.delete(`/mfa/api/devices/${device?.id}`)).status, 404);
    assert.equal((await mfa.devices.list('alice'))[0]?.revokedAt, null);
  });

  it('revoke all ("restore MFA on all remembered devices") kills every cookie of the user', async () => {
    const { app, clock, secret, cookie } = await rememberedSignIn();
    const second = await signIn(app, clock, 'alice', secret, { remember: true });
    const cookie2 = rdCookie(second.res)?.split(';')[0] ?? '';
    const revoked = await second.agent.delete('/mfa/api/devices');
    assert.equal(revoked.body.revoked, 2);
    for (const c of [cookie, cookie2]) {
      const login = await request(app)
        .post('/login')
        .set('Cookie', c)
        .send({ username: 'alice', password: 'alice-pw' });
      assert.equal(login.body.status, 'mfa_required');
    }
  });

  it('a remembered device never stands in for a factor the user has not registered', async () => {
    const { app, mfa, cookie } = await rememberedSignIn();
    await mfa.admin.resetUser('alice', { ip: '127.0.0.1' });
    const login = await request(app)
      .post('/login')
      .set('Cookie', cookie)
      .send({ username: 'alice', password: 'alice-pw' });
    assert.equal(login.body.status, 'enroll_required');
  });

  describe('revoking a device ends the sessions it admitted', () => {
    /** A sign-in that skipped the code thanks to the cookie; returns its session cookie. */
    async function admittedByDevice(app: Parameters<typeof request>[0], cookie: string) {
      const login = await request(app)
        .post('/login')
        .set('Cookie', cookie)
        .send({ username: 'alice', password: 'alice-pw' });
      assert.equal(login.body.status, 'complete');
      const sid = String(login.headers['set-cookie']?.[0]).split(';')[0] ?? '';
      const account = await request(app).get('/account').set('Cookie', sid);
      assert.equal(account.status, 200);
      assert.equal(account.body.skippedBy, 'remembered_device');
      return sid;
    }

    it('attack: a session admitted by a device, revoked from another session through the API, is refused at its next request', async () => {
      const { app, clock, secret, cookie, mfa } = await rememberedSignIn();
      const sid = await admittedByDevice(app, cookie);
      const { agent } = await signIn(app, clock, 'alice', secret);
      const [device] = await mfa.devices.list('alice');
      await agent.delete(`/mfa/api/devices/${device?.id}`).expect(204);
      const refused = await request(app).get('/account').set('Cookie', sid);
      assert.equal(refused.status, 401);
      assert.equal(refused.body.reason, 'not_signed_in');
      assert.equal((await request(app).get('/mfa/api/devices').set('Cookie', sid)).status, 401);
      assert.equal((await agent.get('/account')).status, 200, 'the session that verified a code stays');
    });

    it('revoke all, an admin reset or the engine API end them too; a session another device admitted is untouched', async () => {
      for (const revoke of ['revokeAll', 'resetUser', 'engine'] as const) {
        const { app, clock, secret, cookie, mfa } = await rememberedSignIn();
        const other = await signIn(app, clock, 'alice', secret, { remember: true });
        const otherCookie = rdCookie(other.res)?.split(';')[0] ?? '';
        const sid = await admittedByDevice(app, cookie);
        const otherSid = await admittedByDevice(app, otherCookie);
        const devices = await mfa.devices.list('alice');
        const first = devices.find((d) => cookie.includes(d.id));
        if (revoke === 'revokeAll') await mfa.devices.revokeAll('alice', { ip: '127.0.0.1' });
        else if (revoke === 'resetUser') await mfa.admin.resetUser('alice', { ip: '127.0.0.1' });
        else await mfa.devices.revoke('alice', first?.id ?? '', { ip: '127.0.0.1' });
        assert.equal((await request(app).get('/account').set('Cookie', sid)).status, 401, revoke);
        if (revoke === 'engine')
          assert.equal((await request(app).get('/account').set('Cookie', otherSid)).status, 200);
      }
    });

    it('a session admitted by a device ends when the device expires', async () => {
      const { app, clock, cookie } = await rememberedSignIn();
      clock.advance(13 * 86_400_000);
      const sid = await admittedByDevice(app, cookie);
      clock.advance(86_400_000);
      assert.equal((await request(app).get('/account').set('Cookie', sid)).status, 401);
    });

    it('a step-up in such a session verifies a real factor: revoking the device no longer ends it', async () => {
      const { app, clock, secret, cookie, mfa } = await rememberedSignIn();
      const agent = request.agent(app);
      const login = await agent
        .post('/login')
        .set('Cookie', cookie)
        .send({ username: 'alice', password: 'alice-pw' });
      assert.equal(login.body.status, 'complete');
      await agent
        .post('/mfa/api/step-up')
        .send({ code: codeFor(secret, clock) })
        .expect(200);
      await mfa.devices.revokeAll('alice', { ip: '127.0.0.1' });
      assert.equal((await agent.get('/account')).status, 200);
    });

    it('a remembered-device stamp that names no device, or a device of another user, is not current', async () => {
      const { mfa, clock } = await rememberedSignIn();
      const [device] = await mfa.devices.list('alice');
      const base = {
        version: 1 as const,
        userId: 'alice',
        amr: ['pwd'],
        acr: 'urn:mfakit:acr:pwd',
        firstFactorAmr: ['pwd'],
        authTime: clock.now(),
        mfaAt: null,
        methods: ['password' as const],
        verifiedAt: {},
        app: 'default',
        clientAppType: 'browser' as const,
        groups: [],
        roles: [],
        risk: {},
        skippedBy: 'remembered_device' as const,
        rememberedDeviceAt: device?.createdAt ?? 0,
      };
      assert.equal(await mfa.isCurrent({ ...base, rememberedDeviceId: device?.id ?? '' }), true);
      const { version: _unversioned, rememberedDeviceAt: _at, ...older } = base;
      assert.equal(parseStamp(older), null, 'a stamp from before device ids: sign in again');
      assert.equal(
        await mfa.isCurrent({ ...base, userId: 'bob', rememberedDeviceId: device?.id ?? '' }),
        false,
      );
      assert.equal(await mfa.isCurrent({ ...base, rememberedDeviceId: 'no-such-device-0000' }), false);
    });

    it('another process sharing the store follows a revocation within the 1 s cache', async () => {
      const first = await rememberedSignIn();
      const sid = await admittedByDevice(first.app, first.cookie);
      const other = makeApp({ clock: first.clock, stores: first.stores });
      await other.mfa.devices.revokeAll('alice', { ip: '127.0.0.1' });
      first.clock.advance(1000);
      assert.equal((await request(first.app).get('/account').set('Cookie', sid)).status, 401);
    });
  });
});
