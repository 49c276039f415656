// The sample federation server's RADIUS front end (`radius` in its config), with the real
// radclient as the VPN: a local user's password, then the authenticator app's code, is an
// Access-Accept; a partner's user (home-realm discovery: their password is the partner's) and a
// wrong password are rejected alike; without `radius` in the config, no RADIUS server.
import assert from 'node:assert/strict';
import { codeFor } from '../../helpers/app.ts';
import { enrolDirect, type FederationStack, startFederationStack } from '../../helpers/federation-stack.ts';
import { requireTools } from '../../helpers/peers.ts';
import { radclient } from '../../helpers/radclient.ts';

const SECRET = 'sample-vpn-radius-secret-0001';

describe('sample-idp federation: the RADIUS front end', function () {
  this.timeout(60_000);
  let s: FederationStack;
  before(function () {
    requireTools(this, 'radclient');
  });
  afterEach(async () => s?.close());

  it('a VPN signs alice in with her password, then her app’s code; wrong passwords and partner users are rejected', async () => {
    s = await startFederationStack({ radiusSecret: SECRET });
    assert.ok(s.fed.radius, 'the config has radius: the server is built');
    const { port } = await s.fed.radius.listen(0, '127.0.0.1');
    const secret = await enrolDirect(s, 'alice');
    const first = await radclient(port, SECRET, { 'User-Name': 'alice', 'User-Password': 'alice password' });
    assert.equal(first.code, 'Access-Challenge', first.output);
    assert.match(first.replyMessage, /Enter the code from your authenticator app/);
    const second = await radclient(port, SECRET, {
      'User-Name': 'alice',
      'User-Password': codeFor(secret, s.clock),
      State: Buffer.from(first.state ?? '', 'hex'),
    });
    assert.equal(second.code, 'Access-Accept', second.output);

    const wrong = await radclient(port, SECRET, { 'User-Name': 'alice', 'User-Password': 'not hers' });
    assert.equal(wrong.code, 'Access-Reject');
    const partner = await radclient(port, SECRET, {
      'User-Name': 'carol@partner.test',
      'User-Password': 'anything',
    });
    assert.equal(partner.code, 'Access-Reject');
    assert.equal(partner.replyMessage, wrong.replyMessage, 'the same answer: nothing said about the account');
  });

  it('without radius in the config there is none', async () => {
    s = await startFederationStack();
    assert.equal(s.fed.radius, null);
  });
});
