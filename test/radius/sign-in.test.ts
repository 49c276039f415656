/**
 * mfakit/radius against the real FreeRADIUS `radclient`: a VPN's sign-in as its user sees it —
 * the password, then an Access-Challenge answered with the authenticator app's code, or `push`
 * and the number typed into the phone app, then Enter. Attacks as a network attacker or a
 * misconfigured NAS would try them: wrong password, wrong or replayed code, an unknown client
 * address, a wrong shared secret, no Message-Authenticator, a retransmission, junk datagrams.
 */
import assert from 'node:assert/strict';
import { codeFor } from '../helpers/app.ts';
import { enrolThroughEngine } from '../helpers/enrol-through-engine.ts';
import { requireTools } from '../helpers/peers.ts';
import { doc } from '../helpers/policies.ts';
import { pushMfa, registerPushApp } from '../helpers/push.ts';
import {
  type AttributeValue,
  radclient,
  radclientVersion,
  rawClient,
  sendRaw,
} from '../helpers/radclient.ts';
import { PASSWORDS, type RadiusHarness, radiusHarness, SECRET } from '../helpers/radius-server.ts';

type Harness = RadiusHarness;

/** The push test engine (an authenticator app, push, recovery codes) behind a RADIUS server. */
function harness(options: { policies?: unknown; clients?: { address: string; secret: string }[] } = {}) {
  const { clients, policies } = options;
  return radiusHarness(pushMfa(policies ? { policies } : {}), clients ? { clients } : {});
}

const stateOf = (hex: string | null) => {
  assert.ok(hex, 'the challenge carries a State');
  return Buffer.from(hex, 'hex');
};

describe('mfakit/radius with radclient', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async function () {
    requireTools(this, 'radclient');
    assert.match(await radclientVersion(), /radclient/);
  });
  afterEach(async () => {
    await h?.server.close();
  });

  async function challenged(user = 'alice') {
    const first = await h.ask({ 'User-Name': user, 'User-Password': PASSWORDS[user] ?? '' });
    assert.equal(first.code, 'Access-Challenge', first.output);
    return first;
  }

  it('password, then the authenticator app code: Access-Accept', async () => {
    h = await harness();
    const secret = await enrolThroughEngine(h.mfa, h.clock, 'alice');
    const first = await challenged();
    assert.match(first.replyMessage, /Enter the code from your authenticator app/);
    const second = await h.ask({
      'User-Name': 'alice',
      'User-Password': codeFor(secret, h.clock),
      State: stateOf(first.state),
    });
    assert.equal(second.code, 'Access-Accept', second.output);
    const done = h.events.find((e) => e.type === 'signin_completed');
    assert.ok(done, 'the sign-in is audited as completed');
  });

  it('a recovery code typed at the prompt signs in, once', async () => {
    h = await harness();
    await enrolThroughEngine(h.mfa, h.clock, 'alice');
    const [code] = await h.mfa.recoveryCodes.regenerate('alice', { ip: '127.0.0.1' });
    assert.ok(code);
    const first = await challenged();
    const ok = await h.ask({ 'User-Name': 'alice', 'User-Password': code, State: stateOf(first.state) });
    assert.equal(ok.code, 'Access-Accept', ok.output);
    const next = await challenged();
    const again = await h.ask({ 'User-Name': 'alice', 'User-Password': code, State: stateOf(next.state) });
    assert.equal(again.code, 'Access-Reject', again.output);
  });

  it('a wrong password: Access-Reject with a generic message, audited by the gate', async () => {
    h = await harness();
    await enrolThroughEngine(h.mfa, h.clock, 'alice');
    for (const user of ['alice', 'nobody']) {
      const answer = await h.ask({ 'User-Name': user, 'User-Password': 'guess' });
      assert.equal(answer.code, 'Access-Reject', answer.output);
      assert.equal(answer.replyMessage, 'Wrong user name or password.');
    }
    assert.equal(h.events.filter((e) => e.type === 'first_factor_failed').length, 2);
  });

  it('a wrong code: Access-Reject, counted in the lockout; the State answers nothing more', async () => {
    h = await harness();
    const secret = await enrolThroughEngine(h.mfa, h.clock, 'alice');
    const first = await challenged();
    const right = codeFor(secret, h.clock);
    const wrong = right === '000000' ? '111111' : '000000';
    const second = await h.ask({ 'User-Name': 'alice', 'User-Password': wrong, State: stateOf(first.state) });
    assert.equal(second.code, 'Access-Reject', second.output);
    assert.match(second.replyMessage, /Wrong code/);
    assert.equal(h.events.filter((e) => e.type === 'verify_failed').length, 1, 'the failure is counted');
    const again = await h.ask({ 'User-Name': 'alice', 'User-Password': right, State: stateOf(first.state) });
    assert.equal(again.code, 'Access-Reject', 'a rejected challenge cannot be answered again');
  });

  it('a code used once cannot sign in again (replay): Access-Reject', async () => {
    h = await harness();
    const secret = await enrolThroughEngine(h.mfa, h.clock, 'alice');
    const code = codeFor(secret, h.clock);
    const first = await challenged();
    const ok = await h.ask({ 'User-Name': 'alice', 'User-Password': code, State: stateOf(first.state) });
    assert.equal(ok.code, 'Access-Accept', ok.output);
    const next = await challenged();
    const replay = await h.ask({ 'User-Name': 'alice', 'User-Password': code, State: stateOf(next.state) });
    assert.equal(replay.code, 'Access-Reject', replay.output);
  });

  it('an unknown or foreign State: Access-Reject', async () => {
    h = await harness();
    const secret = await enrolThroughEngine(h.mfa, h.clock, 'alice');
    await enrolThroughEngine(h.mfa, h.clock, 'bob');
    const unknown = await h.ask({
      'User-Name': 'alice',
      'User-Password': codeFor(secret, h.clock),
      State: Buffer.alloc(16, 1),
    });
    assert.equal(unknown.code, 'Access-Reject', unknown.output);
    // bob's challenge answered under alice's name (and alice's code): refused.
    const bobs = await challenged('bob');
    const crossed = await h.ask({
      'User-Name': 'alice',
      'User-Password': codeFor(secret, h.clock),
      State: stateOf(bobs.state),
    });
    assert.equal(crossed.code, 'Access-Reject', crossed.output);
  });

  it('push: the number from the Reply-Message approved in the app, then Enter: Access-Accept', async () => {
    h = await harness();
    await enrolThroughEngine(h.mfa, h.clock, 'alice');
    const { app } = await registerPushApp(h.mfa, h.clock, 'alice', { name: 'Pixel' });
    const first = await challenged();
    assert.match(first.replyMessage, /type push for a notification in your app/);
    const state = stateOf(first.state);
    const sent = await h.ask({ 'User-Name': 'alice', 'User-Password': 'push', State: state });
    assert.equal(sent.code, 'Access-Challenge', sent.output);
    const number = /Enter (\d\d) in the app on (.+), then press Enter\./.exec(sent.replyMessage)?.[1];
    assert.ok(number, sent.replyMessage);
    assert.equal(sent.state, first.state, 'the same State');
    // Enter before the app answered: asked again, with the same number.
    const early = await h.ask({ 'User-Name': 'alice', 'User-Password': '', State: state });
    assert.equal(early.code, 'Access-Challenge', early.output);
    assert.match(early.replyMessage, new RegExp(`Enter ${number} in the app`));
    const approved = await app.approve(number);
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const done = await h.ask({ 'User-Name': 'alice', 'User-Password': '', State: state });
    assert.equal(done.code, 'Access-Accept', done.output);
  });

  it('push denied in the app, then Enter: Access-Reject, counted like a wrong code', async () => {
    h = await harness();
    await enrolThroughEngine(h.mfa, h.clock, 'alice');
    const { app } = await registerPushApp(h.mfa, h.clock, 'alice', { name: 'Pixel' });
    const first = await challenged();
    const state = stateOf(first.state);
    const sent = await h.ask({ 'User-Name': 'alice', 'User-Password': 'push', State: state });
    assert.equal(sent.code, 'Access-Challenge', sent.output);
    const [request] = (await app.pending()).body.notifications;
    assert.equal((await app.answer(request.id, 'deny')).body.answer, 'denied');
    const denied = await h.ask({ 'User-Name': 'alice', 'User-Password': '', State: state });
    assert.equal(denied.code, 'Access-Reject', denied.output);
    assert.equal((await h.mfa.admin.lockStatus('alice')).consecutiveFailures, 1);
    assert.ok(h.events.some((e) => e.type === 'verify_failed' && e.detail === 'push_denied'));
  });

  it('a request from an address that is no client, or with a wrong secret: no answer at all', async () => {
    h = await harness({ clients: [{ address: '192.0.2.0/24', secret: SECRET }] });
    const stranger = await h.ask({ 'User-Name': 'alice', 'User-Password': 'alice-pw' });
    assert.equal(stranger.code, null, stranger.output);
    assert.match(stranger.output, /No reply/);
    await h.server.close();
    h = await harness();
    const forged = await radclient(h.port, 'not-the-shared-secret-42', {
      'User-Name': 'alice',
      'User-Password': 'alice-pw',
    });
    assert.equal(forged.code, null, forged.output);
    assert.equal(h.events.filter((e) => e.type.startsWith('first_factor')).length, 0, 'nothing was checked');
  });

  it('no Message-Authenticator: no answer (BlastRADIUS); every reply carries one', async () => {
    h = await harness();
    const bare = await h.ask(
      { 'User-Name': 'alice', 'User-Password': 'alice-pw' },
      { messageAuthenticator: false },
    );
    assert.equal(bare.code, null, bare.output);
    const signed = await h.ask({ 'User-Name': 'alice', 'User-Password': 'guess' });
    assert.equal(signed.code, 'Access-Reject');
    assert.match(
      signed.output,
      /^Received Access-Reject[^\n]*\n\tMessage-Authenticator = 0x[0-9a-f]{32}\n/m,
      'radclient saw (and checked) it, as the first attribute',
    );
    const proxied = await h.ask({
      'User-Name': 'alice',
      'User-Password': 'guess',
      'Proxy-State': Buffer.from('cafe', 'hex'),
    });
    assert.match(proxied.output, /^Received[\s\S]*Proxy-State = 0xcafe/m, 'Proxy-State is echoed');
  });

  it('conditional access sees a legacy client: a policy blocking legacy clients rejects', async () => {
    const blocking = (clientAppTypes: string[]) => ({
      id: 'no-legacy',
      name: 'Block legacy authentication',
      state: 'on',
      assignments: { users: { include: ['all'] }, applications: { include: ['radius'] } },
      conditions: { clientAppTypes },
      grant: { block: true },
    });
    h = await harness({ policies: doc([blocking(['legacy'])]) });
    await enrolThroughEngine(h.mfa, h.clock, 'alice');
    const answer = await h.ask({ 'User-Name': 'alice', 'User-Password': 'alice-pw' });
    assert.equal(answer.code, 'Access-Reject', answer.output);
    assert.equal(
      answer.replyMessage,
      'Your organisation does not allow this sign-in.',
      'the policy decision says why',
    );
    assert.ok(h.events.some((e) => e.type === 'signin_blocked'));
    await h.server.close();
    // The same policy for browsers only: RADIUS is not one, the sign-in goes on.
    h = await harness({ policies: doc([blocking(['browser'])]) });
    await enrolThroughEngine(h.mfa, h.clock, 'alice');
    const browsersOnly = await h.ask({ 'User-Name': 'alice', 'User-Password': 'alice-pw' });
    assert.equal(browsersOnly.code, 'Access-Challenge', browsersOnly.output);
  });

  it('a policy needing a passkey (phishing-resistant): Access-Reject saying why, no code asked for', async () => {
    const passkeysOnly = {
      id: 'phr',
      name: 'Passkeys for RADIUS',
      state: 'on',
      assignments: { users: { include: ['all'] }, applications: { include: ['radius'] } },
      grant: { controls: [{ authenticationStrength: 'phishingResistant' }] },
    };
    h = await harness({ policies: doc([passkeysOnly]) });
    await enrolThroughEngine(h.mfa, h.clock, 'alice');
    const answer = await h.ask({ 'User-Name': 'alice', 'User-Password': 'alice-pw' });
    assert.equal(answer.code, 'Access-Reject', answer.output);
    assert.equal(answer.replyMessage, 'Your organisation requires a passkey or security key for this app.');
  });

  it('a user without a method: Access-Reject telling them to set one up first', async () => {
    h = await harness();
    const answer = await h.ask({ 'User-Name': 'bob', 'User-Password': 'bob-pw' });
    assert.equal(answer.code, 'Access-Reject', answer.output);
    assert.match(answer.replyMessage, /^Set up a sign-in method first/);
  });
});

describe('mfakit/radius on the wire', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.server.close();
  });

  it('a retransmitted request gets the same reply, without a second verification', async () => {
    h = await harness();
    const secret = await enrolThroughEngine(h.mfa, h.clock, 'alice');
    const first = await h.ask({ 'User-Name': 'alice', 'User-Password': 'alice-pw' });
    assert.equal(first.code, 'Access-Challenge');
    // radclient makes a new packet each run; the same bytes twice are what a NAS retransmits.
    const packet = await capturePacket({
      'User-Name': 'alice',
      'User-Password': codeFor(secret, h.clock),
      State: stateOf(first.state),
    });
    const nas = await rawClient(h.port);
    const [a, b] = [await nas.send(packet, 2000), await nas.send(packet, 2000)];
    nas.close();
    assert.ok(a && b);
    assert.equal(a[0], 2, 'Access-Accept');
    assert.deepEqual(b, a, 'the same reply');
    assert.equal(h.events.filter((e) => e.type === 'verified').length, 1, 'verified once');
    assert.equal(h.events.filter((e) => e.type === 'verify_failed').length, 0, 'no replay failure');
  });

  it('retransmissions arriving before the reply: one send of the push, the same reply to each', async () => {
    h = await harness();
    await enrolThroughEngine(h.mfa, h.clock, 'alice');
    await registerPushApp(h.mfa, h.clock, 'alice', { name: 'Pixel' });
    const first = await h.ask({ 'User-Name': 'alice', 'User-Password': 'alice-pw' });
    const packet = await capturePacket({
      'User-Name': 'alice',
      'User-Password': 'push',
      State: stateOf(first.state),
    });
    const nas = await rawClient(h.port);
    const replies = await nas.burst(packet, 3, 1500);
    nas.close();
    assert.equal(replies.length, 3, 'each retransmission is answered');
    assert.equal(replies[0]?.[0], 11, 'Access-Challenge');
    for (const reply of replies) assert.deepEqual(reply, replies[0]);
    assert.equal(h.events.filter((e) => e.type === 'code_sent').length, 1, 'one notification');
  });

  it('junk datagrams are dropped and the server keeps answering', async () => {
    h = await harness();
    const junk = [
      Buffer.alloc(0),
      Buffer.from([1]),
      Buffer.alloc(19, 1),
      Buffer.concat([Buffer.from([1, 7, 0, 200]), Buffer.alloc(16)]), // length past the datagram
      Buffer.concat([Buffer.from([1, 7, 0, 24]), Buffer.alloc(16), Buffer.from([1, 0, 0, 0])]), // attribute length 0
      Buffer.concat([Buffer.from([1, 7, 0, 23]), Buffer.alloc(16), Buffer.from([2, 9, 0])]), // attribute past the end
      Buffer.concat([Buffer.from([99, 7, 0, 20]), Buffer.alloc(16)]), // unknown code
      Buffer.alloc(5000, 1), // oversized
      Buffer.concat([
        Buffer.from([1, 7, 0, 40]),
        Buffer.alloc(16),
        Buffer.from([2, 4, 1, 2, 250, 18]),
        Buffer.alloc(14),
      ]),
    ];
    for (const bytes of junk) assert.equal(await sendRaw(h.port, bytes, 100), null);
    const still = await h.ask({ 'User-Name': 'alice', 'User-Password': 'guess' });
    assert.equal(still.code, 'Access-Reject', still.output);
    // Attributes no dictionary knows, a vendor's laid out its own way: skipped, the request answered.
    const unknown = await h.ask({
      'User-Name': 'alice',
      'User-Password': 'guess',
      'Attr-245': Buffer.from([1, 2]),
      'Attr-26': Buffer.from('0000ffff0401', 'hex'),
    });
    assert.equal(unknown.code, 'Access-Reject', unknown.output);
  });
});

/** The bytes radclient sends for these attributes, caught by a listener that never answers. */
async function capturePacket(attributes: Record<string, AttributeValue>): Promise<Buffer> {
  const { createSocket } = await import('node:dgram');
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const caught = new Promise<Buffer>((resolve) => socket.once('message', (m) => resolve(m)));
  const client = radclient(port, SECRET, attributes, { timeoutSeconds: 1 });
  const packet = await caught;
  await client;
  socket.close();
  return packet;
}
