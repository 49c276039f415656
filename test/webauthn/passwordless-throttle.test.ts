// Passwordless challenges are handed out per client address at a bounded rate: a script asking
// for them in a loop gets 429 (and fills no store), while the next minute and other addresses
// are served as usual.
import assert from 'node:assert/strict';
import request from 'supertest';
import { PASSWORDLESS_PER_MINUTE } from '../../src/engine/passwordless.ts';
import { passkeyApp } from '../helpers/passkey-flows.ts';

describe('passwordless challenges, per address', () => {
  it(`at most ${PASSWORDLESS_PER_MINUTE} a minute from one address; 429 beyond, served again the next minute`, async () => {
    const { app, clock } = passkeyApp();
    for (let i = 0; i < PASSWORDLESS_PER_MINUTE; i++) {
      const res = await request(app).get('/mfa/passkey/options');
      assert.equal(res.status, 200);
      assert.match(res.body.challengeId, /^[A-Za-z0-9_-]{16,64}$/);
    }
    const refused = await request(app).get('/mfa/passkey/options');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error, 'slow_down');
    clock.advance(60_000);
    assert.equal((await request(app).get('/mfa/passkey/options')).status, 200);
  });
});
