// The development phone (/dev/phone) of the sample federation server with `phoneCall.answer:
// keypad` and no phone delivery given: over real HTTP, a user's sign-in places a keypad call into
// the server's own outbox, the page lists it (the number masked, what it says, time left) and the
// keys typed there approve the sign-in, which Continue completes. It exists only with that outbox
// outside production, opened by the link with its key (dev-phone-key.test.ts); other machines (whatever X-Forwarded-For says), other host names, forms
// without this browser's token and malformed keys or ids are refused, and refused keys change
// nothing: the call can still be answered.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import request from 'supertest';
import { matchNumberOf, pressApprovalContinue } from '../../helpers/approval-page.ts';
import {
  devPhoneLinkPath,
  E164,
  MASKED,
  openDevPhone,
  openDevPhoneLink,
  signInWithRingingCall,
} from '../../helpers/dev-phone.ts';
import { atRp, type FederationStack, redeem, startFederationStack } from '../../helpers/federation-stack.ts';

describe('sample-idp federation: the development phone answers keypad calls', function () {
  this.timeout(60_000);
  let s: FederationStack;
  beforeEach(async () => {
    s = await startFederationStack({ serverOutbox: true, phoneCall: { answer: 'keypad' } });
  });
  afterEach(async () => s.close());

  it('lists the ringing call (masked, what it says, time left); the keys typed there approve, and Continue signs in with amr tel', async () => {
    const { b, request: auth, calling, number, callId } = await signInWithRingingCall(s);
    const { agent, page, csrf } = await openDevPhone(s);
    assert.ok(page.text.includes(`Call to ${MASKED}`), page.text);
    assert.ok(!page.text.includes(E164), 'the number is masked');
    assert.match(page.text, /enter the two-digit number shown on your sign-in screen/);
    assert.match(page.text, /It can be answered for \d+ more seconds/);
    assert.ok(!page.text.includes(`>${number}<`), 'the page does not give the number away');
    assert.equal(page.headers['cache-control'], 'no-store');

    const answered = await agent
      .post('/dev/phone/answer')
      .type('form')
      .send({ _csrf: csrf, callId, keys: `${number}#` });
    assert.equal(answered.status, 200, answered.text);
    assert.match(answered.text, /The call said: “Thank you\. Your sign-in is approved\. Goodbye\.”/);
    assert.match(answered.text, /No call is ringing/, 'an answered call hangs up');
    const again = await agent
      .post('/dev/phone/answer')
      .type('form')
      .send({ _csrf: csrf, callId, keys: `${number}#` });
    assert.equal(again.status, 404, 'it cannot be answered twice');

    const two = await redeem(s, await pressApprovalContinue(b, s.fedUrl, calling), auth);
    assert.equal(two.claims.sub, 'alice');
    assert.deepEqual(two.claims.amr, ['pwd', 'tel', 'mfa']);
  });

  it('malformed keys or call ids are a 400 (a well-formed unknown id a 404) and record nothing: the call still approves', async () => {
    const { b, request: auth, calling, number, callId } = await signInWithRingingCall(s);
    const { agent, csrf } = await openDevPhone(s);
    const post = (fields: Record<string, string | string[]>) =>
      agent
        .post('/dev/phone/answer')
        .type('form')
        .send({ _csrf: csrf, ...fields });
    for (const fields of [
      { callId, keys: 'abc' },
      { callId, keys: '' },
      { callId, keys: '1'.repeat(17) },
      { callId, keys: `${number}##` },
      { callId, keys: [number, number] },
      { callId },
      { callId: 'short', keys: number },
      { callId: `${callId}<script>`, keys: number },
      { callId: [callId, callId], keys: number },
      { keys: number },
    ] as Record<string, string | string[]>[]) {
      const res = await post(fields);
      assert.equal(res.status, 400, `${JSON.stringify(fields)}: ${res.status}`);
      assert.match(res.text, /Type the keys as a phone keypad has them/);
    }
    const unknown = await post({ callId: 'A'.repeat(32), keys: number });
    assert.equal(unknown.status, 404);
    const flood = await agent
      .post('/dev/phone/answer')
      .type('form')
      .send(`_csrf=${csrf}&${'a=1&'.repeat(20)}keys=${number}`);
    assert.ok(flood.status >= 400 && flood.status < 500, `too many fields: ${flood.status}`);

    const answered = await post({ callId, keys: number });
    assert.match(answered.text, /Your sign-in is approved/, 'nothing was recorded before');
    const two = await redeem(s, await pressApprovalContinue(b, s.fedUrl, calling), auth);
    assert.deepEqual(two.claims.amr, ['pwd', 'tel', 'mfa']);
  });

  it("a form without this browser's token is refused (403): none, another browser's, or no token cookie", async () => {
    const { callId, number } = await signInWithRingingCall(s);
    const mine = await openDevPhone(s);
    const theirs = await openDevPhone(s);
    // A browser that opened the link (the key's cookie) but never the page (no token cookie).
    const keyOnly = await openDevPhoneLink(s);
    const refused = [
      await mine.agent.post('/dev/phone/answer').type('form').send({ callId, keys: number }),
      await mine.agent
        .post('/dev/phone/answer')
        .type('form')
        .send({ _csrf: theirs.csrf, callId, keys: number }),
      await keyOnly.post('/dev/phone/answer').type('form').send({ _csrf: mine.csrf, callId, keys: number }),
    ];
    for (const res of refused) {
      assert.equal(res.status, 403);
      assert.match(res.text, /This form has expired/);
    }
    const answered = await mine.agent
      .post('/dev/phone/answer')
      .type('form')
      .send({ _csrf: mine.csrf, callId, keys: number });
    assert.match(answered.text, /Your sign-in is approved/, 'the refused forms recorded nothing');
  });

  describe('only for this machine', () => {
    let remote: Server;
    let remoteUrl: string;
    beforeEach(async () => {
      // The server's app behind a socket whose peer is another machine, as a LAN client's is.
      remote = createServer(s.fed.app);
      remote.prependListener('connection', (socket: Socket) => {
        Object.defineProperty(socket, 'remoteAddress', { value: '192.0.2.7' });
      });
      await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
      remoteUrl = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      remote.closeAllConnections();
      await new Promise<void>((resolve) => remote.close(() => resolve()));
    });

    it('another machine is refused (403) even with the link, whatever X-Forwarded-For claims, and its keys record nothing', async () => {
      const { number, callId } = await signInWithRingingCall(s);
      const host = new URL(s.fedUrl).host;
      for (const path of ['/dev/phone', devPhoneLinkPath(s)]) {
        const page = await request(remoteUrl).get(path).set('Host', host).set('X-Forwarded-For', '127.0.0.1');
        assert.equal(page.status, 403, path);
        assert.match(page.text, /answers this machine only/);
        assert.ok(!page.text.includes(callId));
        assert.equal(page.headers['set-cookie'], undefined, 'no key cookie');
      }
      const { csrf } = await openDevPhone(s);
      const keys = await request(remoteUrl)
        .post('/dev/phone/answer')
        .set('Host', host)
        .type('form')
        .send({ _csrf: csrf, callId, keys: number });
      assert.equal(keys.status, 403);
      const { agent, csrf: own } = await openDevPhone(s);
      const answered = await agent
        .post('/dev/phone/answer')
        .type('form')
        .send({ _csrf: own, callId, keys: number });
      assert.match(answered.text, /Your sign-in is approved/);
    });

    it('this machine is refused under another host name (a DNS-rebinding page) or through a proxy, even with the key cookie', async () => {
      const agent = await openDevPhoneLink(s);
      const rebound = await agent.get('/dev/phone').set('Host', `attacker.example:${new URL(s.fedUrl).port}`);
      assert.equal(rebound.status, 403);
      // A reverse proxy on this machine (nginx, Caddy, a sidecar) forwards the internet from
      // loopback: whatever header it adds — also those the server strips from untrusted peers.
      for (const [header, value] of [
        ['Forwarded', 'for=198.51.100.4'],
        ['X-Forwarded-For', '198.51.100.4'],
        ['X-Real-IP', '198.51.100.4'],
        ['Via', '1.1 caddy'],
        ['X-Forwarded-Proto', 'https'],
      ] as const) {
        const proxied = await agent.get('/dev/phone').set(header, value);
        assert.equal(proxied.status, 403, header);
      }
      // The same request without them is this machine's.
      assert.equal((await agent.get('/dev/phone')).status, 200);
    });
  });
});

describe('sample-idp federation: the development phone in PIN mode (phoneCall.pin: true)', function () {
  this.timeout(60_000);

  it('the call asks for the PIN first; the number without the right PIN is not approved, and Continue does not sign in', async () => {
    const s = await startFederationStack({ serverOutbox: true, phoneCall: { answer: 'keypad', pin: true } });
    try {
      const { b, calling, number, callId } = await signInWithRingingCall(s, { pin: '4826' });
      const { agent, page, csrf } = await openDevPhone(s);
      assert.match(page.text, /enter your PIN, then the two-digit number/);
      const wrong = await agent
        .post('/dev/phone/answer')
        .type('form')
        .send({ _csrf: csrf, callId, keys: `1357${number}#` });
      assert.match(
        wrong.text,
        /The call said: “That did not match, so the sign-in was not approved\. Goodbye\.”/,
      );
      const after = await pressApprovalContinue(b, s.fedUrl, calling);
      assert.ok(!atRp(new URL(after.url)), 'not signed in');
      assert.equal(after.status, 401);
      assert.match(after.text, /The sign-in was not approved/);
      assert.notEqual(matchNumberOf(after.text), number, 'the request is over');
    } finally {
      await s.close();
    }
  });
});

describe('sample-idp federation: no development phone with a real delivery or in production', function () {
  this.timeout(30_000);

  it('is not there (404) when a phone delivery is given', async () => {
    const s = await startFederationStack({ phoneCall: { answer: 'keypad' } });
    try {
      assert.equal(s.fed.outbox, null);
      assert.equal(s.fed.devPhoneUrl, null, 'no link to print');
      assert.equal((await request(s.fedUrl).get('/dev/phone')).status, 404);
      assert.equal((await request(s.fedUrl).post('/dev/phone/answer').type('form').send({})).status, 404);
    } finally {
      await s.close();
    }
  });

  it('is not there (404) with NODE_ENV=production, even with the outbox', async () => {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    let s: FederationStack | undefined;
    try {
      s = await startFederationStack({ serverOutbox: true, phoneCall: { answer: 'keypad' } });
    } finally {
      if (before === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = before;
    }
    try {
      assert.equal(s.fed.devPhoneUrl, null, 'no link to print');
      assert.equal((await request(s.fedUrl).get('/dev/phone')).status, 404);
      assert.equal((await request(s.fedUrl).post('/dev/phone/answer').type('form').send({})).status, 404);
    } finally {
      await s.close();
    }
  });
});
