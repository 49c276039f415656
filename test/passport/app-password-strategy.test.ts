/**
 * AppPasswordStrategy ('app-password') over HTTP, as a legacy client and an attacker meet it: an
 * app password scoped to the route's application authenticates (req.user, req.authInfo, no
 * session), one scoped elsewhere, the account's password of a user who needs MFA, a malformed or
 * missing header all get Passport's 401 with the Basic challenge; guessing ends in 429 with
 * Retry-After; a policy blocking legacy clients is a 403.
 */
import assert from 'node:assert/strict';
import express from 'express';
import { Passport } from 'passport';
import request from 'supertest';
import { StoreError } from '../../src/index.ts';
import { AppPasswordStrategy } from '../../src/passport/index.ts';
import { appPasswordEngine, CTX, PASSWORDS } from '../helpers/app-password-engine.ts';
import { pol } from '../policy/scenarios/fixtures.ts';

const USERS: Record<string, { id: string; name: string }> = {
  alice: { id: 'alice', name: 'Alice' },
  bob: { id: 'bob', name: 'Bob' },
};

function legacyApp(options: Parameters<typeof appPasswordEngine>[0] = {}) {
  const t = appPasswordEngine(options);
  const passport = new Passport();
  passport.use(
    new AppPasswordStrategy({
      mfa: t.mfa,
      gate: t.gate,
      app: 'mail',
      realm: 'Contoso Mail',
      loadUser: (id) => USERS[id] ?? null,
    }),
  );
  const app = express();
  app.use(passport.initialize());
  app.get('/mail/inbox', passport.authenticate('app-password', { session: false }), (req, res) => {
    const info = req.authInfo as { appPasswordId: string | null; stamp: { amr: string[] } };
    res.json({ user: req.user, amr: info.stamp.amr, appPasswordId: info.appPasswordId });
  });
  return { t, app };
}

const basic = (user: string, secret: string) =>
  `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

describe('AppPasswordStrategy (Passport, HTTP Basic)', () => {
  it('authenticates an app password scoped to the app: req.user, amr apw, no session cookie', async () => {
    const { t, app } = legacyApp();
    const created = await t.mfa.appPasswords.create(
      await t.signedIn('alice'),
      { name: 'Phone', apps: ['mail'] },
      CTX,
    );
    const res = await request(app).get('/mail/inbox').set('Authorization', basic('alice', created.password));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { user: USERS.alice, amr: ['apw'], appPasswordId: created.id });
    assert.equal(res.headers['set-cookie'], undefined);
  });

  it('answers everything else that is not an app password for this app with the same 401 Basic challenge', async () => {
    const { t, app } = legacyApp();
    const vpnOnly = await t.mfa.appPasswords.create(
      await t.signedIn('alice'),
      { name: 'VPN', apps: ['vpn'] },
      CTX,
    );
    const attempts = [
      basic('alice', vpnOnly.password),
      basic('alice', PASSWORDS.alice as string), // right password, but alice needs a second factor
      basic('alice', 'wrong'),
      basic('mallory', vpnOnly.password),
      'Bearer abc',
      'Basic !!!',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Basic ${'A'.repeat(8000)}`,
    ];
    for (const header of attempts) {
      const res = await request(app).get('/mail/inbox').set('Authorization', header);
      assert.equal(res.status, 401, header.slice(0, 40));
      assert.equal(res.headers['www-authenticate'], 'Basic realm="Contoso Mail", charset="UTF-8"');
    }
    const none = await request(app).get('/mail/inbox');
    assert.equal(none.status, 401);
    assert.equal(
      t.events.filter((e) => e.type === 'signin_completed').length,
      1,
      'only alice’s browser sign-in',
    );
  });

  it("guessing ends in 429 with Retry-After once the address's window is full; a policy blocking legacy clients is a 403", async () => {
    const { app } = legacyApp({ firstFactor: { perAddress: { maxFailures: 8, windowMinutes: 15 } } });
    let last = 0;
    for (let i = 0; i < 40 && last !== 429; i++)
      last = (
        await request(app)
          .get('/mail/inbox')
          .set('Authorization', basic('bob', `guess${i}`))
      ).status;
    assert.equal(last, 429);
    const waited = await request(app).get('/mail/inbox').set('Authorization', basic('bob', 'guess-again'));
    assert.equal(waited.status, 429);
    assert.match(String(waited.headers['retry-after']), /^\d+$/);

    const blocked = legacyApp({
      policies: { policies: [pol('no-legacy', { grant: 'block', when: { clientAppTypes: ['legacy'] } })] },
    });
    const created = await blocked.t.mfa.appPasswords.create(
      await blocked.t.signedIn('alice'),
      { name: 'Phone', apps: ['mail'] },
      CTX,
    );
    const refused = await request(blocked.app)
      .get('/mail/inbox')
      .set('Authorization', basic('alice', created.password));
    assert.equal(refused.status, 403);
  });

  it('answers a store outage with 503, Retry-After and no-store (audited), and a vanished user with the 401', async () => {
    const { t, app } = legacyApp();
    const created = await t.mfa.appPasswords.create(
      await t.signedIn('bob'),
      { name: 'Phone', apps: ['mail'] },
      CTX,
    );
    const gone = { ...USERS };
    // bob signs in, but loadUser no longer finds him: refused as a wrong password is.
    delete USERS.bob;
    try {
      const res = await request(app).get('/mail/inbox').set('Authorization', basic('bob', created.password));
      assert.equal(res.status, 401);
      assert.equal(res.headers['www-authenticate'], 'Basic realm="Contoso Mail", charset="UTF-8"');
    } finally {
      Object.assign(USERS, gone);
    }
    t.stores.repository.listAppPasswords = async () => {
      throw new StoreError('connection refused', { store: 'repository' });
    };
    const res = await request(app).get('/mail/inbox').set('Authorization', basic('bob', created.password));
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '5');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.ok(t.events.some((e) => e.type === 'store_unavailable'));
  });

  it('refuses to run as a session login: without session: false it is an error, and nothing is signed in', async () => {
    const { t, app } = legacyApp();
    const created = await t.mfa.appPasswords.create(
      await t.signedIn('alice'),
      { name: 'Phone', apps: ['mail'] },
      CTX,
    );
    const errors: string[] = [];
    const passport = new Passport();
    passport.use(
      new AppPasswordStrategy({ mfa: t.mfa, gate: t.gate, app: 'mail', loadUser: (id) => USERS[id] ?? null }),
    );
    app.get('/session-feed', passport.authenticate('app-password'), (_req, res) => {
      res.json({ reached: true });
    });
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      errors.push(err.message);
      res.status(500).json({ error: 'misconfigured' });
    });
    const res = await request(app)
      .get('/session-feed')
      .set('Authorization', basic('alice', created.password));
    assert.equal(res.status, 500);
    assert.equal(res.headers['set-cookie'], undefined);
    assert.match(errors[0] ?? '', /session: false/);
  });

  it('refuses a realm that cannot go in a header, and a missing app or loadUser, at construction', () => {
    const { t } = legacyApp();
    const base = { mfa: t.mfa, gate: t.gate, app: 'mail', loadUser: () => null };
    assert.throws(() => new AppPasswordStrategy({ ...base, realm: 'Mail\r\nX-Evil: 1' }), /printable ASCII/);
    assert.throws(() => new AppPasswordStrategy({ ...base, app: '' }), /name the app/);
    // biome-ignore lint/suspicious/noExplicitAny: a JavaScript caller's missing option
    assert.throws(() => new AppPasswordStrategy({ ...base, loadUser: undefined as any }), /loadUser/);
  });
});
