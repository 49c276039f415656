// App passwords through the router's JSON API: list, create (after a fresh second factor only),
// delete; one user's never reachable by another; bad bodies answered 4xx, never 5xx; the routes
// absent while app passwords are off, and creation refused to an excluded user.
import assert from 'node:assert/strict';
import { codeFor, makeApp } from '../../helpers/app.ts';
import { APPS, createOverApi, makeAppPasswordApp } from '../../helpers/app-password-app.ts';
import { enrolUser, signIn } from '../../helpers/flows.ts';

async function signedInUser<T extends ReturnType<typeof makeApp>>(
  user = 'alice',
  built: T = makeAppPasswordApp() as unknown as T,
) {
  const { secret } = await enrolUser(built.app, built.clock, user);
  const { agent } = await signIn(built.app, built.clock, user, secret);
  return { ...built, agent, secret };
}

describe('app passwords: JSON API', () => {
  it('lists the apps, creates one shown once with its password, lists it without, deletes it', async () => {
    const { agent, mfa } = await signedInUser();
    const empty = await agent.get('/mfa/api/app-passwords').expect(200);
    assert.deepEqual(empty.body, { allowed: true, apps: APPS, appPasswords: [] });
    const created = await createOverApi(agent, '  Mail on my phone ', ['mail', 'mail']);
    assert.equal(created.name, 'Mail on my phone');
    assert.deepEqual(created.apps, ['mail']);
    assert.match(created.password, /^[a-z]{4}( [a-z]{4}){3}$/);
    const listed = await agent.get('/mfa/api/app-passwords').expect(200);
    assert.equal(listed.body.appPasswords.length, 1);
    const [summary] = listed.body.appPasswords;
    assert.equal(summary.id, created.id);
    assert.equal(summary.password, undefined, 'the password is never listed');
    assert.equal(JSON.stringify(listed.body).includes(created.password.replaceAll(' ', '')), false);
    assert.equal(summary.expired, false);
    assert.equal(summary.lastUsedAt, null);
    await agent.delete(`/mfa/api/app-passwords/${created.id}`).expect(204);
    assert.deepEqual(await mfa.appPasswords.list('alice'), []);
    assert.equal((await agent.delete(`/mfa/api/app-passwords/${created.id}`)).status, 404);
  });

  it('refuses to create one without a fresh second factor, and creates it after a step-up', async () => {
    const { agent, clock, secret, mfa } = await signedInUser();
    clock.advance(10 * 60_000); // past reauthMaxAgeSeconds
    const refused = await agent.post('/mfa/api/app-passwords').send({ name: 'Mail', apps: ['mail'] });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'reverify_required');
    assert.deepEqual(await mfa.appPasswords.list('alice'), [], 'nothing created');
    // Reading and deleting need no fresh factor.
    await agent.get('/mfa/api/app-passwords').expect(200);
    await agent
      .post('/mfa/api/step-up')
      .send({ code: codeFor(secret, clock) })
      .expect(200);
    await createOverApi(agent);
  });

  it('needs a signed-in session: none, or one still waiting for its second factor, is 401', async () => {
    const { app, clock } = makeAppPasswordApp();
    const { agent } = await enrolUser(app, clock, 'alice');
    assert.equal((await agent.get('/mfa/api/app-passwords')).status, 401);
    assert.equal(
      (await agent.post('/mfa/api/app-passwords').send({ name: 'x', apps: ['mail'] })).status,
      401,
    );
    await agent.post('/login').send({ username: 'alice', password: 'alice-pw' }).expect(200);
    assert.equal((await agent.get('/mfa/api/app-passwords')).status, 401);
    assert.equal((await agent.delete('/mfa/api/app-passwords/abc')).status, 401);
  });

  it("never reaches another user's app password: deleting it by id is a 404 and it stays", async () => {
    const built = makeAppPasswordApp();
    const alice = await signedInUser('alice', built);
    const bobs = await createOverApi((await signedInUser('bob', built)).agent);
    const res = await alice.agent.delete(`/mfa/api/app-passwords/${bobs.id}`);
    assert.equal(res.status, 404);
    assert.equal((await built.mfa.appPasswords.list('bob')).length, 1);
    assert.deepEqual((await alice.agent.get('/mfa/api/app-passwords')).body.appPasswords, []);
  });

  it('answers bad bodies with 4xx and creates nothing', async () => {
    const { agent, mfa } = await signedInUser();
    const bodies: [unknown, number, string][] = [
      [{ name: 'x'.repeat(65), apps: ['mail'] }, 400, 'invalid_request'],
      [{ name: '', apps: ['mail'] }, 400, 'invalid_request'],
      [{ name: 'Mail\u0000', apps: ['mail'] }, 400, 'invalid_request'],
      [{ name: 'Mail', apps: ['payroll'] }, 400, 'app_password_invalid'],
      [{ name: 'Mail', apps: [] }, 400, 'app_password_invalid'],
      [{ name: 'Mail', apps: 'mail' }, 400, 'invalid_request'],
      [{ name: 'Mail', apps: [42] }, 400, 'invalid_request'],
      [{ name: 'Mail', apps: [{ id: 'mail' }] }, 400, 'invalid_request'],
      [{ name: 'Mail', apps: ['x'.repeat(10_000)] }, 400, 'invalid_request'],
      [{ name: 42, apps: ['mail'] }, 400, 'invalid_request'],
      [{ apps: ['mail'] }, 400, 'invalid_request'],
      [['Mail'], 400, 'invalid_request'],
      [{ name: 'Mail', apps: Array.from({ length: 51 }, () => 'mail') }, 400, 'invalid_request'],
    ];
    for (const [body, status, error] of bodies) {
      const res = await agent.post('/mfa/api/app-passwords').send(body as object);
      assert.equal(res.status, status, JSON.stringify(body).slice(0, 80));
      assert.equal(res.body.error, error, JSON.stringify(body).slice(0, 80));
    }
    const junk = await agent
      .post('/mfa/api/app-passwords')
      .set('Content-Type', 'application/json')
      .send('{"name": "Mail", apps: [');
    assert.equal(junk.status, 400);
    assert.equal(junk.body.error, 'malformed_json');
    const form = await agent.post('/mfa/api/app-passwords').type('form').send({ name: 'Mail', apps: 'mail' });
    assert.equal(form.status, 415);
    const huge = await agent
      .post('/mfa/api/app-passwords')
      .send({ name: 'x'.repeat(20_000), apps: ['mail'] });
    assert.equal(huge.status, 413);
    for (const id of ['..%2F..', 'a'.repeat(65), '%00'])
      assert.equal((await agent.delete(`/mfa/api/app-passwords/${id}`)).status, 400, id);
    assert.deepEqual(await mfa.appPasswords.list('alice'), []);
  });

  it('stops at the per-user maximum with a 409', async () => {
    const { agent } = await signedInUser();
    for (let i = 0; i < 10; i++) await createOverApi(agent, `Device ${i}`);
    const res = await agent.post('/mfa/api/app-passwords').send({ name: 'One more', apps: ['mail'] });
    assert.equal(res.status, 409);
    assert.equal(res.body.error, 'app_password_limit');
  });

  it('excluded users see allowed: false and are refused with 403', async () => {
    const { agent, mfa } = await signedInUser('svc');
    const listed = await agent.get('/mfa/api/app-passwords').expect(200);
    assert.equal(listed.body.allowed, false);
    const res = await agent.post('/mfa/api/app-passwords').send({ name: 'Mail', apps: ['mail'] });
    assert.equal(res.status, 403);
    assert.equal(res.body.error, 'app_passwords_unavailable');
    assert.deepEqual(await mfa.appPasswords.list('svc'), []);
  });

  it('has no app-password routes while app passwords are off (404)', async () => {
    const { agent } = await signedInUser('alice', makeApp());
    for (const res of [
      await agent.get('/mfa/api/app-passwords'),
      await agent.post('/mfa/api/app-passwords').send({ name: 'Mail', apps: ['mail'] }),
      await agent.delete('/mfa/api/app-passwords/abc'),
    ]) {
      assert.equal(res.status, 404);
      assert.equal(res.body.error, 'not_found');
    }
  });
});
