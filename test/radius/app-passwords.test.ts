/**
 * mfakit/radius with app passwords, through the real FreeRADIUS `radclient`: a VPN client that
 * cannot answer a challenge signs in with an app password scoped to the VPN (Access-Accept, no
 * challenge); one scoped to another application is a wrong password; the account's own password
 * still meets the challenge.
 */
import assert from 'node:assert/strict';
import { appPasswordEngine, CTX } from '../helpers/app-password-engine.ts';
import { requireTools } from '../helpers/peers.ts';
import { radclientVersion } from '../helpers/radclient.ts';
import { PASSWORDS, type RadiusHarness, radiusHarness } from '../helpers/radius-server.ts';

describe('mfakit/radius with app passwords', function () {
  this.timeout(30_000);
  let h: RadiusHarness | undefined;
  before(async function () {
    requireTools(this, 'radclient');
    assert.match(await radclientVersion(), /radclient/);
  });
  afterEach(async () => {
    await h?.server.close();
  });

  async function vpnServer() {
    const t = appPasswordEngine();
    h = await radiusHarness(t, { app: 'vpn' });
    return { t, h };
  }

  it('an app password scoped to the VPN: Access-Accept without a challenge', async () => {
    const { t, h } = await vpnServer();
    const created = await t.mfa.appPasswords.create(
      await t.signedIn('alice'),
      { name: 'VPN', apps: ['vpn'] },
      CTX,
    );
    const answer = await h.ask({ 'User-Name': 'alice', 'User-Password': created.password });
    assert.equal(answer.code, 'Access-Accept', answer.output);
    const verified = t.events.filter((e) => e.type === 'first_factor_verified').at(-1);
    assert.equal(verified?.methodId, created.id);
    const completed = t.events.filter((e) => e.type === 'signin_completed').at(-1);
    assert.deepEqual(
      completed?.data?.amr,
      'apw',
      'the RADIUS sign-in is audited as completed with the app password',
    );
  });

  it("one scoped to another application is a wrong password; the account's password is challenged", async () => {
    const { t, h } = await vpnServer();
    const mail = await t.mailPassword();
    const refused = await h.ask({ 'User-Name': 'alice', 'User-Password': mail.password });
    assert.equal(refused.code, 'Access-Reject', refused.output);
    assert.equal(t.events.filter((e) => e.type === 'app_password_refused').at(-1)?.detail, 'out_of_scope');
    const password = await h.ask({ 'User-Name': 'alice', 'User-Password': PASSWORDS.alice ?? '' });
    assert.equal(password.code, 'Access-Challenge', password.output);
  });
});
