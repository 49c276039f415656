import assert from 'node:assert/strict';
import request from 'supertest';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { codeFor, makeApp } from '../helpers/app.ts';
import { enrolUser, signIn } from '../helpers/flows.ts';
import { testClock } from '../helpers/test-clock.ts';

describe('sessions that should no longer count', () => {
  it('an admin reset evicts existing sessions: the guard and the API refuse, and no authenticator can be enrolled from them', async () => {
    const { app, clock, mfa } = makeApp();
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await signIn(app, clock, 'alice', secret);
    assert.equal((await agent.get('/account')).status, 200);
    clock.advance(60 * 60_000);
    await mfa.admin.resetUser('alice', { ip: '127.0.0.1' });
    assert.equal((await agent.get('/account')).status, 401);
    assert.equal((await agent.post('/mfa/api/enroll/totp').send({})).status, 401);
    assert.equal((await agent.get('/mfa/api/methods')).status, 401);
    assert.equal((await mfa.methods.list('alice')).length, 0, 'nothing was enrolled by the old session');
  });

  it('attack: a reset that fails half-way (the store dies on deleting the methods) has already ended the old sessions', async () => {
    const clock = testClock();
    const memory = createMemoryStores({ clock });
    let failOn: string | null = null;
    // Fault injection: the real memory repository, except that one call throws when armed.
    const repository = new Proxy(memory.repository, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        if (name === failOn)
          return async () => {
            throw new Error('store lost mid-reset');
          };
        return value.bind(target);
      },
    });
    const { app, mfa } = makeApp({ clock, stores: { ...memory, repository } });
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await signIn(app, clock, 'alice', secret);
    const remembered = await signIn(app, clock, 'alice', secret, { remember: true });
    assert.equal((await agent.get('/account')).status, 200);
    clock.advance(60_000);
    failOn = 'deleteAllMethods';
    await assert.rejects(mfa.admin.resetUser('alice', { ip: '127.0.0.1' }), /store lost mid-reset/);
    failOn = null;
    assert.equal((await agent.get('/account')).status, 401, 'the stolen session is refused');
    assert.equal((await remembered.agent.get('/account')).status, 401);
    assert.ok(
      (await mfa.devices.list('alice')).every((d) => d.revokedAt !== null),
      'no remembered device skips MFA after the failed reset',
    );
    // Running the reset again finishes it.
    await mfa.admin.resetUser('alice', { ip: '127.0.0.1' });
    assert.equal((await mfa.methods.list('alice')).length, 0);
  });

  it('revokeSessions signs the user out everywhere, other users untouched; a new sign-in works', async () => {
    const { app, clock, mfa } = makeApp();
    const a = await enrolUser(app, clock, 'alice');
    const b = await enrolUser(app, clock, 'bob');
    const alice = await signIn(app, clock, 'alice', a.secret);
    const bob = await signIn(app, clock, 'bob', b.secret);
    clock.advance(1000);
    await mfa.admin.revokeSessions('alice', { ip: '127.0.0.1' });
    assert.equal((await alice.agent.get('/account')).status, 401);
    assert.equal((await bob.agent.get('/account')).status, 200);
    clock.advance(1000);
    const again = await signIn(app, clock, 'alice', a.secret);
    assert.equal((await again.agent.get('/account')).status, 200);
  });

  it('a long-lived session on an account whose last method was removed cannot register a new one without signing in again', async () => {
    const { app, clock, mfa } = makeApp();
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await signIn(app, clock, 'alice', secret);
    const [method] = await mfa.methods.list('alice');
    await agent.delete(`/mfa/api/methods/${method?.id}`).expect(204);
    clock.advance(10 * 60_000);
    const res = await agent.post('/mfa/api/enroll/totp').send({});
    assert.equal(res.status, 401);
    assert.equal(res.body.reason, 'signin_too_old');
  });

  it('step-up gives the session a new id and keeps it signed in', async () => {
    const { app, clock } = makeApp();
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await signIn(app, clock, 'alice', secret);
    const before = await agent.get('/mfa/api/status');
    const stepped = await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) });
    assert.equal(stepped.status, 200);
    const newSid = String(stepped.headers['set-cookie']?.[0] ?? '').split(';')[0];
    assert.ok(newSid?.startsWith('sid='), 'a new session cookie is issued');
    assert.equal((await agent.get('/account')).status, 200);
    assert.equal(before.body.status, 'complete');
  });

  it('a trusted-network session seen from elsewhere can step up there and continue', async () => {
    const { app, clock } = makeApp({ trustedNetworks: ['203.0.113.0/24'], trustedProxies: ['loopback'] });
    const { secret } = await enrolUser(app, clock, 'alice');
    const agent = request.agent(app);
    const login = await agent
      .post('/login')
      .set('X-Forwarded-For', '203.0.113.5')
      .send({ username: 'alice', password: 'alice-pw' });
    assert.equal(login.body.status, 'complete');
    const away = '198.51.100.7';
    assert.equal((await agent.get('/account').set('X-Forwarded-For', away)).body.reason, 'reverify_required');
    const page = await agent
      .get('/mfa/verify?returnTo=/account')
      .set('X-Forwarded-For', away)
      .set('Accept', 'text/html');
    assert.equal(page.status, 200, 'the step-up page is shown, not a redirect loop');
    const stepped = await agent
      .post('/mfa/api/step-up')
      .set('X-Forwarded-For', away)
      .send({ code: codeFor(secret, clock) });
    assert.equal(stepped.status, 200);
    const account = await agent.get('/account').set('X-Forwarded-For', away);
    assert.equal(account.status, 200);
    assert.deepEqual(account.body.amr, ['pwd', 'otp', 'mfa']);
  });
});
