// mfakit/radius against the attacks its security review found, with hand-made packets: a State
// answered through another client (NAS) or without the user name, trusted networks reached
// through Calling-Station-Id or through the NAS's own address, a PAP password with a NUL inside,
// and two State attributes.
import assert from 'node:assert/strict';
import { codeFor } from '../helpers/app.ts';
import { enrolThroughEngine } from '../helpers/enrol-through-engine.ts';
import { pushMfa } from '../helpers/push.ts';
import {
  ACCESS_ACCEPT,
  ACCESS_CHALLENGE,
  ACCESS_REJECT,
  accessRequest,
  sendFrom,
} from '../helpers/radius-packets.ts';
import { type RadiusHarness, radiusHarness } from '../helpers/radius-server.ts';

const VPN = 'vpn-secret-0123456789';
const WIFI = 'wifi-secret-0123456789';
const CLIENTS = [
  { address: '127.0.0.1/32', secret: VPN, name: 'vpn' },
  { address: '127.0.0.2/32', secret: WIFI, name: 'wifi' },
];
const USER_NAME = 1;
const CALLING_STATION_ID = 31;
const STATE = 24;

describe('mfakit/radius: attacks with hand-made packets', function () {
  this.timeout(30_000);
  let h: RadiusHarness | undefined;
  afterEach(async () => h?.server.close());

  it('a State answers nothing through another client, under another name or with none', async () => {
    h = await radiusHarness(pushMfa(), { clients: CLIENTS });
    const secret = await enrolThroughEngine(h.mfa, h.clock, 'alice');
    const first = await sendFrom(h.port, '127.0.0.1', accessRequest(VPN, [[USER_NAME, 'alice']], 'alice-pw'));
    assert.equal(first.code, ACCESS_CHALLENGE, first.message);
    const state = first.state ?? Buffer.alloc(0);
    const code = codeFor(secret, h.clock);
    const otherNas = await sendFrom(
      h.port,
      '127.0.0.2',
      accessRequest(
        WIFI,
        [
          [USER_NAME, 'alice'],
          [STATE, state],
        ],
        code,
      ),
    );
    assert.equal(otherNas.code, ACCESS_REJECT, 'through another client');
    const noName = await sendFrom(h.port, '127.0.0.1', accessRequest(VPN, [[STATE, state]], code));
    assert.equal(noName.code, ACCESS_REJECT, 'without a user name');
    // The right client and name still complete it: the refusals checked no code.
    const right = await sendFrom(
      h.port,
      '127.0.0.1',
      accessRequest(
        VPN,
        [
          [USER_NAME, 'alice'],
          [STATE, state],
        ],
        code,
      ),
    );
    assert.equal(right.code, ACCESS_ACCEPT, right.message);
  });

  it('trusted networks skip nothing over RADIUS unless allowed, and then only by the user’s own address', async () => {
    const made = pushMfa({ trustedNetworks: ['10.0.0.0/8', '127.0.0.0/8'] });
    await enrolThroughEngine(made.mfa, made.clock, 'alice');
    const ask = async (station: string) =>
      (
        await sendFrom(
          h?.port ?? 0,
          '127.0.0.1',
          accessRequest(
            VPN,
            [
              [USER_NAME, 'alice'],
              [CALLING_STATION_ID, station],
            ],
            'alice-pw',
          ),
        )
      ).code;
    h = await radiusHarness(made, { clients: CLIENTS });
    assert.equal(await ask('10.9.9.9'), ACCESS_CHALLENGE, 'off by default');
    await h.server.close();
    h = await radiusHarness(made, { clients: CLIENTS, trustedNetworks: true });
    assert.equal(await ask('10.9.9.9'), ACCESS_ACCEPT, 'the user’s own address, when allowed');
    // No IP address in the attribute: the NAS's (127.0.0.1, trusted) is every user's, never trusted.
    assert.equal(await ask('00-11-22-33-44-55'), ACCESS_CHALLENGE);
    assert.equal(await ask('203.0.113.7[4500]'), ACCESS_CHALLENGE);
    assert.ok(h.logged.some((l) => l.includes('sends no IP address in Calling-Station-Id')));
  });

  it('a PAP password with a NUL inside is no password (not read as the part before it)', async () => {
    h = await radiusHarness(pushMfa(), { clients: CLIENTS });
    await enrolThroughEngine(h.mfa, h.clock, 'alice');
    const nul = Buffer.concat([Buffer.from('alice-pw'), Buffer.from([0]), Buffer.from('junk-after-the-nul')]);
    const reply = await sendFrom(h.port, '127.0.0.1', accessRequest(VPN, [[USER_NAME, 'alice']], nul));
    assert.equal(reply.code, ACCESS_REJECT);
    // The same password without what follows the NUL: read (its trailing NULs are only padding).
    const long = await sendFrom(h.port, '127.0.0.1', accessRequest(VPN, [[USER_NAME, 'alice']], 'alice-pw'));
    assert.equal(long.code, ACCESS_CHALLENGE);
  });

  it('two State attributes: rejected without a password check', async () => {
    h = await radiusHarness(pushMfa(), { clients: CLIENTS });
    await enrolThroughEngine(h.mfa, h.clock, 'alice');
    const reply = await sendFrom(
      h.port,
      '127.0.0.1',
      accessRequest(
        VPN,
        [
          [USER_NAME, 'alice'],
          [STATE, Buffer.alloc(16, 1)],
          [STATE, Buffer.alloc(16, 2)],
        ],
        '123456',
      ),
    );
    assert.equal(reply.code, ACCESS_REJECT);
    assert.equal(h.events.filter((e) => e.type === 'first_factor_failed').length, 0);
  });
});
