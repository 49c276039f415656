import assert from 'node:assert/strict';
import request from 'supertest';
import { makeApp } from '../helpers/app.ts';
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
});
