// The stamp as the session store gives it back, from the side of someone who can put anything
// there (an older release, a shared store written to by hand): the guard and the JSON API parse
// it at every request. An older shape is upgraded and let through; garbage, a newer version or
// a remembered-device stamp that names no device is no session — 401 / "sign in again", never
// a 5xx — and is dropped from the session; signing in again works.
import assert from 'node:assert/strict';
import request from 'supertest';
import { ACR_MFA, ACR_PASSWORD, STAMP_VERSION } from '../../src/index.ts';
import { makeApp } from '../helpers/app.ts';
import { enrolUser, signIn } from '../helpers/flows.ts';

/** An app whose test route puts `value` in the session as its stamp, and a route that shows `req.mfa`. */
function appWithStoredStamp() {
  const made = makeApp();
  let value: unknown;
  made.app.post('/__test/stored-stamp', (req, res) => {
    req.session.mfakit = { stamp: value };
    req.session.save(() => res.json({ ok: true }));
  });
  made.app.get('/__test/stamp', made.web.requireMfa(), (req, res) => res.json(req.mfa));
  return {
    ...made,
    async sessionWith(stamp: unknown) {
      value = stamp;
      const agent = request.agent(made.app);
      await agent.post('/__test/stored-stamp').expect(200);
      return agent;
    },
  };
}

describe('a stamp read back from the session store', () => {
  it('an older release’s stamp is upgraded once and let through; the route sees the current shape', async () => {
    const t = appWithStoredStamp();
    const at = t.clock.now() - 60_000;
    const agent = await t.sessionWith({
      userId: 'alice',
      amr: ['pwd', 'otp', 'mfa'],
      acr: ACR_MFA,
      authTime: at,
      mfaAt: at,
    });
    const seen = await agent.get('/__test/stamp');
    assert.equal(seen.status, 200);
    assert.equal(seen.body.version, STAMP_VERSION);
    assert.deepEqual(seen.body.methods, ['password', 'totp']);
    assert.deepEqual(seen.body.verifiedAt, { totp: at });
    assert.deepEqual(seen.body.firstFactorAmr, ['pwd']);
    const status = await agent.get('/mfa/api/status');
    assert.equal(status.body.status, 'complete');
  });

  const refused: Array<[string, unknown]> = [
    ['garbage', { hello: 'world' }],
    ['a string', 'alice'],
    ['a stamp of a newer release', { version: STAMP_VERSION + 1, userId: 'alice', amr: ['pwd'] }],
    [
      'a remembered-device stamp that names no device',
      {
        userId: 'alice',
        amr: ['pwd'],
        acr: ACR_PASSWORD,
        authTime: Date.now(),
        mfaAt: null,
        skippedBy: 'remembered_device',
      },
    ],
  ];
  for (const [what, stamp] of refused)
    it(`attack: ${what} in the session is no session: 401 not_signed_in, dropped, never a 5xx`, async () => {
      const t = appWithStoredStamp();
      const agent = await t.sessionWith(stamp);
      const guarded = await agent.get('/account');
      assert.equal(guarded.status, 401);
      assert.equal(guarded.body.reason, 'not_signed_in');
      assert.equal((await agent.get('/account').set('Accept', 'text/html')).status, 303);
      assert.equal((await agent.get('/mfa/api/status')).body.status, 'none');
      assert.equal((await agent.get('/mfa/api/methods')).status, 401);
    });

  it('the refused stamp is gone from the session, and signing in again works', async () => {
    const t = appWithStoredStamp();
    const { secret } = await enrolUser(t.app, t.clock, 'alice');
    const agent = await t.sessionWith({ userId: 'alice', amr: 'pwd otp' });
    assert.equal((await agent.get('/account')).status, 401);
    // The next request finds no stamp at all (dropped), not the garbage again.
    t.app.get('/__test/raw', (req, res) => res.json({ hasStamp: req.session.mfakit?.stamp !== undefined }));
    assert.deepEqual((await agent.get('/__test/raw')).body, { hasStamp: false });
    const fresh = await signIn(t.app, t.clock, 'alice', secret);
    assert.equal((await fresh.agent.get('/account')).status, 200);
  });
});
