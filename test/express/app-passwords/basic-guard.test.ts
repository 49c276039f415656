// requireAppPassword(), as a legacy client and an attacker meet it: an app password signs in
// over HTTP Basic to the application it is scoped to and nowhere else (not another app's route,
// not the browser login); the account's password of a user who needs a second factor gets the
// very answer a wrong password gets; malformed headers are 401s, never 5xx; guessing ends in 429;
// a store outage is a 503; nothing is left in a session.
import assert from 'node:assert/strict';
import request from 'supertest';
import { requireAppPassword } from '../../../src/express/index.ts';
import { StoreError } from '../../../src/index.ts';
import { parseBasicAuthorization } from '../../../src/web/legacy-basic-auth.ts';
import { basic, createOverApi, makeAppPasswordApp } from '../../helpers/app-password-app.ts';
import { enrolThroughEngine } from '../../helpers/enrol-through-engine.ts';
import { enrolUser, signIn } from '../../helpers/flows.ts';
import { pol } from '../../policy/scenarios/fixtures.ts';

const CHALLENGE = 'Basic realm="Test Co DAV", charset="UTF-8"';

async function withMailPassword(overrides: Parameters<typeof makeAppPasswordApp>[0] = {}) {
  const built = makeAppPasswordApp(overrides);
  const { secret } = await enrolUser(built.app, built.clock, 'alice');
  const { agent } = await signIn(built.app, built.clock, 'alice', secret);
  const created = await createOverApi(agent, 'Mail on my phone', ['mail']);
  return { ...built, created, password: created.password };
}

/** The one answer to every credential that does not sign in. */
function assertRefused(res: request.Response) {
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.equal(res.headers['www-authenticate'], CHALLENGE);
  assert.equal(res.body.error, 'app_password_required');
  assert.match(res.body.message, /^Sign in with an app password/);
  assert.deepEqual(Object.keys(res.body).sort(), ['error', 'message']);
  assert.equal(res.headers['set-cookie'], undefined, 'no session');
}

describe('app passwords: the HTTP Basic guard', () => {
  it('lets the app password through for its app: 200 with the user, amr apw, no session cookie', async () => {
    const { app, password, created, mfa } = await withMailPassword();
    for (const typed of [password, password.replaceAll(' ', ''), password.toUpperCase()]) {
      const res = await request(app).get('/dav/mail').set('Authorization', basic('alice', typed));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { user: 'alice', amr: ['apw'] });
      assert.equal(res.headers['set-cookie'], undefined);
    }
    const [used] = await mfa.appPasswords.list('alice');
    assert.equal(used?.id, created.id);
    assert.notEqual(used?.lastUsedAt, null, 'its use is recorded');
  });

  it("refuses it for another app's route and as the browser login", async () => {
    const { app, password } = await withMailPassword();
    assertRefused(await request(app).get('/dav/vpn').set('Authorization', basic('alice', password)));
    const browser = await request(app).post('/gate-login').send({ username: 'alice', password });
    assert.equal(browser.status, 401);
    assert.equal(browser.body.error, 'invalid_credentials');
    assertRefused(await request(app).get('/dav/mail').set('Authorization', basic('bob', password)));
  });

  it('never checks the account password of a user who needs MFA: the same 401, the same delays, no pending sign-in', async () => {
    /** Five wrong passwords, then the candidate, then a probe: what the probe is answered. */
    async function probeAfter(candidate: string) {
      const { app, mfa, events } = await withMailPassword();
      const cancelled: string[] = [];
      const cancel = mfa.cancelPending.bind(mfa);
      mfa.cancelPending = async (id) => {
        cancelled.push(id);
        await cancel(id);
      };
      for (let i = 0; i < 5; i++)
        assertRefused(
          await request(app)
            .get('/dav/mail')
            .set('Authorization', basic('alice', `wrong-${i}`)),
        );
      const answer = await request(app).get('/dav/mail').set('Authorization', basic('alice', candidate));
      assertRefused(answer);
      const probe = await request(app).get('/dav/mail').set('Authorization', basic('alice', 'probe'));
      const failed = events.filter((e) => e.type === 'first_factor_failed').map((e) => e.detail);
      const legacyVerified = events.filter(
        (e) => e.type === 'first_factor_verified' && e.data.kind === 'legacyClient',
      );
      return {
        answer: answer.body,
        probe: [probe.status, probe.headers['retry-after'] ?? null],
        failed: [...new Set(failed)],
        legacyVerified: legacyVerified.length,
        cancelled: cancelled.length,
      };
    }
    const right = await probeAfter('alice-pw');
    const wrong = await probeAfter('not-it');
    assert.deepEqual(right, wrong);
    assert.deepEqual(right.failed, ['app_password_required']);
    assert.equal(right.cancelled, 0, 'no pending sign-in was ever made');
    const nobody = await request((await withMailPassword()).app)
      .get('/dav/mail')
      .set('Authorization', basic('mallory', 'alice-pw'));
    assertRefused(nobody);
    assert.deepEqual(nobody.body, wrong.answer);
  });

  it('answers malformed or missing Authorization headers with the 401, never a 5xx', async () => {
    const { app } = await withMailPassword();
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    const headers = [
      undefined,
      '',
      'Basic',
      'Basic ',
      `Basic ${b64('alice')}`, // no colon
      `Basic ${b64(':password')}`, // no user name
      'Basic !!!not-base64!!!',
      'Basic YWxpY2U6cGFzc3dvcmQ', // base64 without its padding
      `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`, // not UTF-8
      'Bearer x',
      `Digest username="alice"`,
      `Basic ${b64(`alice:${'x'.repeat(10_000)}`)}`,
      `Basic ${b64(`${'a'.repeat(2000)}:x`)}`,
      `Basic ${b64('al\u0000ice:alice-pw')}`,
      `Basic ${b64('alice:alice-pw')} trailing`,
    ];
    for (const header of headers) {
      const req = request(app).get('/dav/mail');
      const res = await (header === undefined ? req : req.set('Authorization', header));
      assertRefused(res);
    }
  });

  it('splits at the first colon, so a password may hold colons (RFC 7617)', () => {
    const header = basic('alice', 'pa:ss:word');
    assert.deepEqual(parseBasicAuthorization(header), { identifier: 'alice', secret: 'pa:ss:word' });
    assert.deepEqual(parseBasicAuthorization(basic('zoë', 'pässwörd')), {
      identifier: 'zoë',
      secret: 'pässwörd',
    });
    assert.deepEqual(parseBasicAuthorization(`basic ${basic('a', '').slice(6)}`), {
      identifier: 'a',
      secret: '',
    });
  });

  it("ends a guessing loop in 429 with Retry-After once the address's window is full; the app password from there waits too", async () => {
    const { app, password } = await withMailPassword({
      firstFactor: { perAddress: { maxFailures: 8, windowMinutes: 15 } },
    });
    let last: request.Response | undefined;
    for (let i = 0; i < 12; i++) {
      last = await request(app)
        .get('/dav/mail')
        .set('Authorization', basic('alice', `guess-${i}`));
      if (last.status === 429) break;
      assertRefused(last);
    }
    assert.equal(last?.status, 429);
    assert.equal(last?.body.error, 'throttled');
    assert.ok(Number(last?.headers['retry-after']) > 0);
    const held = await request(app).get('/dav/mail').set('Authorization', basic('alice', password));
    assert.equal(held.status, 429);
  });

  it('answers 403 when a policy blocks legacy clients, even for a right app password', async () => {
    const built = makeAppPasswordApp({
      policies: { policies: [pol('no-legacy', { grant: 'block', when: { clientAppTypes: ['legacy'] } })] },
    });
    const { secret } = await enrolUser(built.app, built.clock, 'alice');
    const { agent } = await signIn(built.app, built.clock, 'alice', secret);
    const { password } = await createOverApi(agent);
    const res = await request(built.app).get('/dav/mail').set('Authorization', basic('alice', password));
    assert.equal(res.status, 403, JSON.stringify(res.body));
    assert.equal(res.body.error, 'signin_blocked');
    assert.match(res.body.message, /^Sign-in blocked\./);
    assert.equal(res.headers['www-authenticate'], undefined, 'no use trying again');
  });

  it('answers a store outage with 503 and audits it', async () => {
    const { app, password, stores, events } = await withMailPassword();
    stores.repository.listAppPasswords = async () => {
      throw new StoreError('connection refused', { store: 'repository' });
    };
    const res = await request(app).get('/dav/mail').set('Authorization', basic('alice', password));
    assert.equal(res.status, 503);
    assert.equal(res.body.error, 'service_unavailable');
    assert.ok(res.headers['retry-after']);
    assert.ok(events.some((e) => e.type === 'store_unavailable'));
  });

  it('answers an account that signs in at its home realm with the same 401', async () => {
    const { app, mfa } = await withMailPassword();
    const gate = mfa.firstFactorGate({
      resolve: (identifier) => ({ id: identifier, email: `${identifier}@partner.example` }),
      verifyPassword: async () => true,
      homeRealmOf: (email) => (email.endsWith('@partner.example') ? 'partner' : null),
    });
    app.get(
      '/dav/partner',
      requireAppPassword(mfa, { gate, app: 'mail', realm: 'Test Co DAV' }),
      (_req, res) => {
        res.json({ reached: true });
      },
    );
    assertRefused(await request(app).get('/dav/partner').set('Authorization', basic('alice', 'anything')));
  });

  it("lets a trusted network lift the second factor for the account's password only when the guard says so", async () => {
    const built = makeAppPasswordApp({ trustedNetworks: ['127.0.0.0/8', '::1/128'] });
    const { app, mfa, gate } = built;
    await enrolThroughEngine(mfa, built.clock, 'alice');
    app.get(
      '/dav/office',
      requireAppPassword(mfa, { gate, app: 'mail', trustedNetworks: true }),
      (req, res) => {
        res.json({ user: req.legacyAuth?.userId, appPasswordId: req.legacyAuth?.appPasswordId });
      },
    );
    assertRefused(await request(app).get('/dav/mail').set('Authorization', basic('alice', 'alice-pw')));
    const office = await request(app).get('/dav/office').set('Authorization', basic('alice', 'alice-pw'));
    assert.equal(office.status, 200, JSON.stringify(office.body));
    assert.deepEqual(office.body, { user: 'alice', appPasswordId: null });
  });

  it('never lets an app password start a browser session through beginSignIn', async () => {
    const { app, web } = makeAppPasswordApp();
    app.post('/misused-login', async (req, res, next) => {
      try {
        await web.beginSignIn(req, res, {
          userId: 'alice',
          amr: ['apw'],
          clientAppType: 'legacy',
          app: 'mail',
        });
      } catch (err) {
        next(err);
      }
    });
    const res = await request(app).post('/misused-login');
    assert.equal(res.status, 400);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  it('refuses a realm that cannot be a header value', () => {
    const { mfa, gate } = makeAppPasswordApp();
    assert.throws(
      () => requireAppPassword(mfa, { gate, app: 'mail', realm: 'x"\r\nSet-Cookie: a=b' }),
      TypeError,
    );
  });
});
