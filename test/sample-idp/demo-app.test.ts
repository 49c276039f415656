import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { loadDemoConfig } from '../../sample-idp/config.ts';
import { createDemoApp } from '../../sample-idp/demo-app.ts';
import { type AuditEvent, ConfigError } from '../../src/index.ts';
import { matchNumberOf } from '../helpers/approval-page.ts';
import { csrfFrom } from '../helpers/flows.ts';
import { createPushApp, readActivationUri, supertestTransport } from '../helpers/push-app.ts';
import { totpNow } from '../helpers/totp-now.ts';

const code = totpNow;

describe('the demo app (npm start)', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mfakit-demo-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const config = (extra: Record<string, string> = {}) =>
    loadDemoConfig({ MFAKIT_DATA_FILE: join(dir, 'demo.sqlite'), SESSION_SECRET: 'x'.repeat(32), ...extra });

  async function passwordStep(agent: ReturnType<typeof request.agent>, user: string, password: string) {
    const page = await agent.get('/login');
    return agent
      .post('/login')
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(page.text), username: user, password, returnTo: '/' });
  }

  it('sign in, enrol by QR secret, see the protected page and settings; after a restart the method is still there and "remember me" skips the code', async () => {
    const events: unknown[] = [];
    const audit = (e: unknown) => {
      events.push(e);
    };
    const first = await createDemoApp(config(), { audit });
    const agent = request.agent(first.app);
    const login = await passwordStep(agent, 'alice', 'correct horse alice');
    assert.equal(login.status, 303);
    assert.equal(login.headers.location, '/mfa/enroll');
    // The demo offers an authenticator app or a passkey; this user takes the app.
    const chooser = await agent.get('/mfa/enroll').set('Accept', 'text/html');
    assert.match(chooser.text, /href="\/mfa\/enroll\?method=webauthn">Passkey or security key/);
    assert.match(chooser.text, /href="\/mfa\/enroll\?method=push">Notifications to your phone app/);
    const enroll = await agent.get('/mfa/enroll?method=totp').set('Accept', 'text/html');
    assert.match(enroll.text, /Alice%20Example|<svg/);
    const secret = /id="secret">([A-Z2-7]+)</.exec(enroll.text)?.[1] ?? '';
    const draftId = /name="draftId" value="([^"]+)"/.exec(enroll.text)?.[1] ?? '';
    const done = await agent
      .post('/mfa/enroll')
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(enroll.text), draftId, code: code(secret) });
    assert.equal(done.status, 200);
    assert.match(done.text, /Save your recovery codes/);
    const home = await agent.get('/').set('Accept', 'text/html');
    assert.equal(home.status, 200);
    assert.match(home.text, /Alice Example/);
    assert.match(home.text, /pwd, otp, mfa/);
    const settings = await agent.get('/mfa/settings').set('Accept', 'text/html');
    assert.match(settings.text, /Authenticator app/);
    assert.match(settings.text, /10 unused recovery codes/);
    first.stores.close?.();

    // restart: a new process would open the same file with the same generated key
    const second = await createDemoApp(config(), { audit });
    const agent2 = request.agent(second.app);
    const login2 = await passwordStep(agent2, 'alice', 'correct horse alice');
    assert.equal(login2.headers.location, '/mfa/prompt', 'the enrolled method survived the restart');
    const prompt = await agent2.get('/mfa/prompt').set('Accept', 'text/html');
    assert.match(prompt.text, /Don't ask again on this device for 14 days/);
    const verified = await agent2
      .post('/mfa/prompt')
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(prompt.text), code: code(secret, 1), remember: '1' });
    assert.equal(verified.status, 303);
    assert.equal(verified.headers.location, '/');
    const third = await passwordStep(agent2, 'alice', 'correct horse alice');
    assert.equal(third.headers.location, '/', 'remembered device: no code asked');
    second.stores.close?.();
    const recoveryCodes = [...done.text.matchAll(/<code>([a-z2-9]{5}-[a-z2-9]{5})<\/code>/g)].map(
      (m) => m[1],
    );
    const log = JSON.stringify(events);
    assert.ok(events.length >= 8);
    for (const secretThing of [
      secret,
      code(secret),
      code(secret, 1),
      ...recoveryCodes,
      'correct horse alice',
    ]) {
      assert.ok(!log.includes(String(secretThing)), 'no secret, code or password in the audit');
    }
  });

  it('a wrong password is refused without revealing whether the user exists', async () => {
    const { app, stores } = await createDemoApp(config(), { audit: () => {} });
    const agent = request.agent(app);
    const wrong = await passwordStep(agent, 'alice', 'nope');
    const unknown = await passwordStep(agent, 'mallory', 'nope');
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.match(wrong.text, /Wrong user name or password/);
    assert.match(unknown.text, /Wrong user name or password/);
    stores.close?.();
  });

  it('password guessing goes through the first-factor gate: after 5 failures the right password waits, failures audited', async () => {
    const events: AuditEvent[] = [];
    const { app, stores } = await createDemoApp(config(), {
      audit: (e) => {
        events.push(e);
      },
    });
    const agent = request.agent(app);
    for (let i = 0; i < 5; i++) assert.equal((await passwordStep(agent, 'alice', `guess ${i}`)).status, 401);
    const right = await passwordStep(agent, 'alice', 'correct horse alice');
    assert.equal(right.status, 429);
    assert.ok(Number(right.headers['retry-after']) >= 1);
    assert.match(right.text, /Too many attempts/);
    assert.equal(events.filter((e) => e.type === 'first_factor_failed' && e.userId === 'alice').length, 5);
    assert.ok(!JSON.stringify(events).includes('guess '));
    stores.close?.();
  });

  it('settings come from the environment, with clear errors for mistakes', async () => {
    const c = config({
      MFAKIT_TRUSTED_NETWORKS: '127.0.0.0/8, ::1/128',
      MFAKIT_REMEMBER_DAYS: '7',
      MFAKIT_LOCKOUT_MAX_ATTEMPTS: '3',
    });
    assert.deepEqual(c.MFAKIT_TRUSTED_NETWORKS, ['127.0.0.0/8', '::1/128']);
    assert.equal(c.MFAKIT_REMEMBER_DAYS, 7);
    assert.throws(() => config({ MFAKIT_LOCKOUT_MAX_ATTEMPTS: 'lots' }), /MFAKIT_LOCKOUT_MAX_ATTEMPTS/);
    assert.throws(() => config({ MFAKIT_LOCKOUT_HARD_LIMIT: '500' }), /MFAKIT_LOCKOUT_HARD_LIMIT/);
    const { app, mfa, stores } = await createDemoApp(c, { audit: () => {} });
    // enrolled user from a trusted network: the code is skipped
    const agent = request.agent(app);
    await passwordStep(agent, 'bob', 'correct horse bob');
    const enroll = await agent.get('/mfa/enroll?method=totp').set('Accept', 'text/html');
    const secret = /id="secret">([A-Z2-7]+)</.exec(enroll.text)?.[1] ?? '';
    const draftId = /name="draftId" value="([^"]+)"/.exec(enroll.text)?.[1] ?? '';
    await agent
      .post('/mfa/enroll')
      .type('form')
      .send({ _csrf: csrfFrom(enroll.text), draftId, code: code(secret) })
      .expect(200);
    const again = await passwordStep(request.agent(app), 'bob', 'correct horse bob');
    assert.equal(again.headers.location, '/');
    // MFAKIT_LOCKOUT_MAX_ATTEMPTS reached the engine: the fourth wrong code is refused unchecked.
    const away = { ip: '198.51.100.9' };
    const pending = await mfa.beginSignIn({ userId: 'bob', amr: ['pwd'], ...away });
    assert.equal(pending.status, 'mfa');
    const pendingId = pending.status === 'mfa' ? pending.pending.id : '';
    for (let i = 0; i < 3; i++)
      assert.equal((await mfa.verifyPending(pendingId, { code: '000000' }, away)).ok, false);
    const fourth = await mfa.verifyPending(pendingId, { code: '000000' }, away);
    assert.equal(fourth.ok === false && fourth.error, 'locked');
    stores.close?.();
  });

  it('MFAKIT_TRUSTED_NETWORKS / MFAKIT_TRUSTED_PROXIES written leniently are refused, naming the variable and the value', () => {
    // 010.0.0.0/8 would be read as 8.0.0.0/8, 0x7f.1 as 127.0.0.1.
    assert.throws(
      () => config({ MFAKIT_TRUSTED_NETWORKS: '192.0.2.0/24, 010.0.0.0/8' }),
      (err: Error) =>
        err instanceof ConfigError &&
        /MFAKIT_TRUSTED_NETWORKS\.1: "010\.0\.0\.0\/8" must be/.test(err.message),
    );
    assert.throws(
      () => config({ MFAKIT_TRUSTED_PROXIES: '0x7f.1' }),
      (err: Error) =>
        err instanceof ConfigError && /MFAKIT_TRUSTED_PROXIES\.0: "0x7f\.1" must be/.test(err.message),
    );
    const fine = config({
      MFAKIT_TRUSTED_NETWORKS: '10.0.0.0/8',
      MFAKIT_TRUSTED_PROXIES: 'loopback, 10.0.0.1',
    });
    assert.deepEqual(fine.MFAKIT_TRUSTED_PROXIES, ['loopback', '10.0.0.1']);
  });

  it('MFAKIT_POLICIES loads a policy file: a blocked user is refused with the short reason', async () => {
    const file = join(dir, 'policies.json');
    writeFileSync(
      file,
      JSON.stringify({
        policies: [
          {
            id: 'no-bob',
            name: 'Bob may not use the demo',
            state: 'on',
            assignments: { users: { include: ['bob'] }, applications: { include: ['demo'] } },
            grant: { block: true },
          },
        ],
      }),
    );
    const { app, stores } = await createDemoApp(config({ MFAKIT_POLICIES: file }), { audit: () => {} });
    const bob = await passwordStep(request.agent(app), 'bob', 'correct horse bob');
    assert.equal(bob.status, 403);
    assert.match(bob.text, /does not allow this sign-in/);
    const alice = await passwordStep(request.agent(app), 'alice', 'correct horse alice');
    assert.equal(alice.status, 303);
    stores.close?.();
    writeFileSync(file, '{"policies": [{"id": "x"}]}');
    await assert.rejects(
      createDemoApp(config({ MFAKIT_POLICIES: file }), { audit: () => {} }),
      /policies\.0/,
    );
  });

  it('a phone app registers at first sign-in through the device API at /mfa/device and approves the next sign-in', async () => {
    const { app } = await createDemoApp(config());
    const agent = request.agent(app);
    await passwordStep(agent, 'alice', 'correct horse alice');
    const setup = await agent.get('/mfa/enroll?method=push').set('Accept', 'text/html');
    const link = /id="activation-link">([^<]+)</.exec(setup.text)?.[1]?.replaceAll('&amp;', '&') ?? '';
    assert.equal(readActivationUri(link).endpoint, 'http://localhost:3000/mfa/device');
    const phone = await createPushApp(supertestTransport(app), { now: () => Date.now(), name: 'Pixel 9' });
    const activated = await phone.activate(link);
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    const done = await agent
      .post('/mfa/enroll')
      .type('form')
      .set('Accept', 'text/html')
      .send({
        _csrf: csrfFrom(setup.text),
        draftId: /name="draftId" value="([^"]+)"/.exec(setup.text)?.[1] ?? '',
        code: activated.body.confirmationCode,
      });
    assert.match(done.text, /Save your recovery codes/);

    const other = request.agent(app);
    await passwordStep(other, 'alice', 'correct horse alice');
    const prompt = await other.get('/mfa/prompt').set('Accept', 'text/html');
    const methodId =
      /name="methodId" value="([^"]+)">\s*<button type="submit" class="secondary">Send a notification to Pixel 9/.exec(
        prompt.text,
      )?.[1] ?? '';
    const sent = await other
      .post('/mfa/send')
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(prompt.text), methodId });
    const number = matchNumberOf(sent.text) ?? '';
    assert.equal((await phone.approve(number)).body.answer, 'approved');
    const signedIn = await other
      .post('/mfa/prompt')
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(sent.text), push: '1', methodId });
    assert.equal(signedIn.status, 303);
    assert.match((await other.get('/').set('Accept', 'text/html')).text, /Alice Example/);
  });
});
