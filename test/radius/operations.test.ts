/**
 * mfakit/radius in operation, with the real radclient: a text message sent by typing `sms`;
 * the user's address taken from Calling-Station-Id (so the throttle and the policies see the
 * user, not the VPN concentrator); a store outage answered with Access-Reject and audited; the
 * server's log never holding a password or a code; options refused at start-up with their path.
 */
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { ConfigError, StoreError, type Stores } from '../../src/index.ts';
import { createRadiusServer } from '../../src/radius/index.ts';
import { codeFor } from '../helpers/app.ts';
import { enrolThroughEngine } from '../helpers/enrol-through-engine.ts';
import { requireTools } from '../helpers/peers.ts';
import { lastCode, phoneMfa, registerPhone } from '../helpers/phone.ts';
import { pushMfa } from '../helpers/push.ts';
import { radclient } from '../helpers/radclient.ts';
import { DIRECTORY, type RadiusHarness, radiusHarness, SECRET } from '../helpers/radius-server.ts';
import { testClock } from '../helpers/test-clock.ts';

const stateOf = (hex: string | null) => {
  assert.ok(hex, 'the challenge carries a State');
  return Buffer.from(hex, 'hex');
};

/** Memory stores whose ephemeral store fails (a StoreError, as Redis's adapter throws) while `down`. */
function breakableStores() {
  const clock = testClock();
  const stores = createMemoryStores({ clock });
  const state = { down: false };
  const ephemeral = new Proxy(stores.ephemeral, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (state.down) return Promise.reject(new StoreError('redis is down', { store: 'redis' }));
        return value.apply(target, args);
      };
    },
  });
  return { clock, stores: { ...stores, ephemeral } as Stores, state };
}

describe('mfakit/radius in operation', function () {
  before(function () {
    requireTools(this, 'radclient');
  });
  this.timeout(30_000);
  let h: RadiusHarness;
  afterEach(async () => {
    await h?.server.close();
  });

  it('typing sms sends a text message; its code signs in', async () => {
    const made = phoneMfa();
    h = await radiusHarness(made);
    await registerPhone(made.mfa, made.outbox, 'alice', 'sms', '+447700900123');
    const first = await h.ask({ 'User-Name': 'alice', 'User-Password': 'alice-pw' });
    assert.equal(first.code, 'Access-Challenge', first.output);
    assert.match(first.replyMessage, /type sms for a text message/);
    assert.doesNotMatch(first.replyMessage, /push|call/, 'only the methods alice has');
    const state = stateOf(first.state);
    const sent = await h.ask({ 'User-Name': 'alice', 'User-Password': 'SMS', State: state });
    assert.equal(sent.code, 'Access-Challenge', sent.output);
    assert.match(sent.replyMessage, /^Enter the code sent to \+/);
    assert.doesNotMatch(sent.replyMessage, /7700900123/, 'the number is masked');
    const done = await h.ask({ 'User-Name': 'alice', 'User-Password': lastCode(made.outbox), State: state });
    assert.equal(done.code, 'Access-Accept', done.output);
  });

  it("the user's address is the Calling-Station-Id when it is an IP address, else the NAS's", async () => {
    h = await radiusHarness(pushMfa());
    await h.ask({ 'User-Name': 'alice', 'User-Password': 'x1', 'Calling-Station-Id': '203.0.113.9' });
    await h.ask({ 'User-Name': 'alice', 'User-Password': 'x2', 'Calling-Station-Id': '00-11-22-33-44-55' });
    await h.ask({ 'User-Name': 'alice', 'User-Password': 'x3' });
    const ips = h.events.filter((e) => e.type === 'first_factor_failed').map((e) => e.ip);
    assert.deepEqual(ips, ['203.0.113.9', '127.0.0.1', '127.0.0.1']);
  });

  it('a store outage: Access-Reject saying so, audited as store_unavailable; answers again after', async () => {
    const broken = breakableStores();
    const made = pushMfa({ stores: broken.stores, clock: broken.clock });
    h = await radiusHarness(made);
    const secret = await enrolThroughEngine(made.mfa, made.clock, 'alice');
    const first = await h.ask({ 'User-Name': 'alice', 'User-Password': 'alice-pw' });
    assert.equal(first.code, 'Access-Challenge', first.output);
    broken.state.down = true;
    const during = await h.ask({
      'User-Name': 'alice',
      'User-Password': codeFor(secret, made.clock),
      State: stateOf(first.state),
    });
    assert.equal(during.code, 'Access-Reject', during.output);
    assert.match(during.replyMessage, /unavailable/);
    assert.ok(h.events.some((e) => e.type === 'store_unavailable'));
    broken.state.down = false;
    const after = await h.ask({ 'User-Name': 'alice', 'User-Password': 'alice-pw' });
    assert.equal(after.code, 'Access-Challenge', after.output);
  });

  it('the log says what was discarded and why, never a password or a code', async () => {
    h = await radiusHarness(pushMfa());
    const secret = await enrolThroughEngine(h.mfa, h.clock, 'alice');
    const code = codeFor(secret, h.clock);
    await h.ask({ 'User-Name': 'alice', 'User-Password': 'alice-pw' }, { messageAuthenticator: false });
    const first = await h.ask({ 'User-Name': 'alice', 'User-Password': 'alice-pw' });
    await h.ask({ 'User-Name': 'alice', 'User-Password': code, State: stateOf(first.state) });
    assert.ok(
      h.logged.some((line) => /no Message-Authenticator/.test(line)),
      h.logged.join('\n'),
    );
    for (const line of h.logged) {
      assert.ok(!line.includes('alice-pw') && !line.includes(code), line);
    }
    for (const event of h.events) {
      const text = JSON.stringify(event);
      assert.ok(!text.includes('alice-pw') && !text.includes(code), text);
    }
  });

  it('listens on IPv6 for a client configured by its IPv6 address', async () => {
    const { mfa, stores } = pushMfa();
    const server = createRadiusServer({
      mfa,
      gate: mfa.firstFactorGate(DIRECTORY),
      ephemeral: stores.ephemeral,
      clients: [{ address: '::1', secret: SECRET }],
    });
    const { port } = await server.listen(0, '::1');
    try {
      const answer = await radclient(
        port,
        SECRET,
        { 'User-Name': 'alice', 'User-Password': 'guess' },
        { host: '[::1]' },
      );
      assert.equal(answer.code, 'Access-Reject', answer.output);
    } finally {
      await server.close();
    }
  });

  it('requireMessageAuthenticator: false answers a request without one (the reply still carries one)', async () => {
    h = await radiusHarness(pushMfa(), { requireMessageAuthenticator: false });
    const answer = await h.ask(
      { 'User-Name': 'alice', 'User-Password': 'guess' },
      { messageAuthenticator: false },
    );
    assert.equal(answer.code, 'Access-Reject', answer.output);
    assert.match(answer.output, /Message-Authenticator = 0x[0-9a-f]{32}/);
  });
});

describe('mfakit/radius options', () => {
  const { mfa, stores } = pushMfa();
  const base = {
    mfa,
    gate: mfa.firstFactorGate(DIRECTORY),
    ephemeral: stores.ephemeral,
    clients: [{ address: '10.0.0.5', secret: 'a-long-enough-secret' }],
  };
  const refused = (options: object, path: RegExp) =>
    assert.throws(
      () => createRadiusServer({ ...base, ...options } as Parameters<typeof createRadiusServer>[0]),
      (err: unknown) => err instanceof ConfigError && path.test(err.message),
    );

  it('are refused at start-up with the path of the mistake', () => {
    refused({ clients: [{ address: '10.0.0.5', secret: 'short' }] }, /clients\.0\.secret: .*at least 16/);
    refused({ clients: [{ address: '010.0.0.5', secret: 'a-long-enough-secret' }] }, /clients\.0\.address/);
    refused({ clients: [] }, /clients: at least one/);
    refused({ gate: {} }, /gate: gate must be a first-factor gate/);
    refused({ ephemeral: undefined }, /ephemeral: /);
    refused({ requireMessageAuthenticator: 'yes' }, /requireMessageAuthenticator/);
  });

  it('the most specific client range wins: a NAS with its own secret inside a network with another', async function () {
    requireTools(this, 'radclient');
    const server = createRadiusServer({
      ...base,
      clients: [
        { address: '127.0.0.0/8', secret: 'the-network-secret-000' },
        { address: '127.0.0.1', secret: 'the-nas-own-secret-0000' },
      ],
    });
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const own = await radclient(port, 'the-nas-own-secret-0000', {
        'User-Name': 'a',
        'User-Password': 'b',
      });
      assert.equal(own.code, 'Access-Reject', own.output);
      const network = await radclient(port, 'the-network-secret-000', {
        'User-Name': 'a',
        'User-Password': 'b',
      });
      assert.equal(network.code, null, network.output);
    } finally {
      await server.close();
    }
  });
});
