// Passport inherits the engine's rule that a pending sign-in does not outlive a revocation: an
// attacker with alice's password and a phished code, whose second step is still open when the
// admin signs alice out everywhere, is refused at the second step and never becomes req.user.

import assert from 'node:assert/strict';
import { MFA_MESSAGES } from '../../../src/passport/index.ts';
import { codeFor } from '../../helpers/app.ts';
import { passwordStep } from '../passport-flows.ts';
import { enrol, makePassportApp, whoami } from './fixtures.ts';

describe('passport: a pending sign-in after a revocation', () => {
  it('attack: the admin revokes sessions between the password and the code — the code is refused, nobody logged in', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const { agent } = await passwordStep(t.app, 'alice');
    t.clock.advance(2000);
    await t.mfa.admin.revokeSessions('alice', { ip: '198.51.100.1' });
    t.clock.advance(31_000);
    const late = await agent.post('/login/mfa').send({ code: codeFor(secret, t.clock) });
    assert.equal(late.status, 401, late.text);
    const after = await whoami(agent);
    assert.equal(after.user, null);
    assert.equal(after.messages.at(-1), MFA_MESSAGES.expired);
    assert.equal((await agent.get('/account')).status, 401);
  });
});
