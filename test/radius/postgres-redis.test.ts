// mfakit/radius as a VPN with two RADIUS servers runs it: two engines (two processes of one
// deployment) over PostgreSQL + Redis, each behind its own RADIUS server. The challenge one
// server issued is answered through the other (the State lives in the shared ephemeral store),
// and a code accepted through one is refused as a replay through the other.
import assert from 'node:assert/strict';
import { codeFor } from '../helpers/app.ts';
import { enrolThroughEngine } from '../helpers/enrol-through-engine.ts';
import { requireTools } from '../helpers/peers.ts';
import { pushMfa } from '../helpers/push.ts';
import { PASSWORDS, radiusHarness } from '../helpers/radius-server.ts';
import { useScaledStores } from '../helpers/scaled-stores.ts';
import { testClock } from '../helpers/test-clock.ts';

describe('mfakit/radius on PostgreSQL and Redis, two servers', function () {
  before(function () {
    requireTools(this, 'radclient');
  });
  this.timeout(60_000);
  const scaledStores = useScaledStores();
  const servers: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it('a challenge from one server is answered through the other; its code is then spent on both', async () => {
    const clock = testClock();
    const stores = await scaledStores(clock);
    const [one, two] = [
      await radiusHarness(pushMfa({ clock, stores })),
      await radiusHarness(pushMfa({ clock, stores })),
    ];
    if (!one || !two) throw new Error('unreachable');
    servers.push(one.server, two.server);
    const secret = await enrolThroughEngine(one.mfa, clock, 'alice');
    const first = await one.ask({ 'User-Name': 'alice', 'User-Password': PASSWORDS.alice ?? '' });
    assert.equal(first.code, 'Access-Challenge', first.output);
    const state = Buffer.from(first.state ?? '', 'hex');
    const code = codeFor(secret, clock);
    const accepted = await two.ask({ 'User-Name': 'alice', 'User-Password': code, State: state });
    assert.equal(accepted.code, 'Access-Accept', accepted.output);

    // The same code in a new sign-in through the first server: a replay.
    const again = await one.ask({ 'User-Name': 'alice', 'User-Password': PASSWORDS.alice ?? '' });
    const replay = await one.ask({
      'User-Name': 'alice',
      'User-Password': code,
      State: Buffer.from(again.state ?? '', 'hex'),
    });
    assert.equal(replay.code, 'Access-Reject', replay.output);
  });
});
