// The development phone's key, tried as an attacker would: the sample federation server opens
// /dev/phone only to a browser that opened the link printed on its console
// (`<issuer>/dev/phone?key=<key>`, `fed.devPhoneUrl`), which sets a cookie for /dev/phone and
// redirects to the page without the key. Without that cookie — no key, a wrong one, a forged
// cookie, or the internet carried to the port by a forwarder on this machine that adds no header
// (socat, `ssh -R`, nginx's bare proxy_pass) — every request is a 403 and records nothing.
import assert from 'node:assert/strict';
import request from 'supertest';
import { devPhoneLinkPath, openDevPhone, signInWithRingingCall } from '../../helpers/dev-phone.ts';
import { type FederationStack, startFederationStack } from '../../helpers/federation-stack.ts';
import { type TcpRelay, tcpRelay } from '../../helpers/tcp-relay.ts';

const KEY_COOKIE = 'fed_dev_phone_key';
const REFUSED =
  /open the link printed on the server&#39;s console|open the link printed on the server's console/;

function keyOf(s: FederationStack): string {
  return new URL(s.fed.devPhoneUrl ?? '').searchParams.get('key') ?? '';
}

/** The call is still ringing and unanswered: the link's browser lists it and approves it. */
async function stillAnswerable(s: FederationStack, callId: string, number: string) {
  const { agent, page, csrf } = await openDevPhone(s);
  assert.ok(page.text.includes(callId), 'the call still rings');
  const answered = await agent
    .post('/dev/phone/answer')
    .type('form')
    .send({ _csrf: csrf, callId, keys: number });
  assert.match(answered.text, /Your sign-in is approved/, 'nothing was recorded before');
}

describe('sample-idp federation: the development phone opens only by the link with its key', function () {
  this.timeout(60_000);
  let s: FederationStack;
  beforeEach(async () => {
    s = await startFederationStack({ serverOutbox: true, phoneCall: { answer: 'keypad' } });
  });
  afterEach(async () => s.close());

  it('the link is <issuer>/dev/phone?key= a random 256-bit base64url key, another at each start', async () => {
    assert.equal(s.fed.devPhoneUrl, `${s.fedUrl}/dev/phone?key=${keyOf(s)}`);
    assert.match(keyOf(s), /^[A-Za-z0-9_-]{43}$/);
    const other = await startFederationStack({ serverOutbox: true, phoneCall: { answer: 'keypad' } });
    try {
      assert.notEqual(keyOf(other), keyOf(s));
    } finally {
      await other.close();
    }
  });

  it('a key given to the server (the workers of start:cluster share one) is used; one under 128 bits is refused at start', async () => {
    const key = 'k'.repeat(43);
    const given = await startFederationStack({
      serverOutbox: true,
      phoneCall: { answer: 'keypad' },
      devPhoneKey: key,
    });
    try {
      assert.equal(given.fed.devPhoneUrl, `${given.fedUrl}/dev/phone?key=${key}`);
      assert.equal((await request(given.fedUrl).get(`/dev/phone?key=${key}`)).status, 303);
    } finally {
      await given.close();
    }
    for (const weak of ['k'.repeat(21), 'not base64url!'.repeat(3)])
      await assert.rejects(
        startFederationStack({ serverOutbox: true, phoneCall: { answer: 'keypad' }, devPhoneKey: weak }),
        /the development phone key must be 22 to 128 base64url characters/,
      );
  });

  it('the right key: an HttpOnly, SameSite=Strict cookie for /dev/phone (not the key itself) and a 303 to the page without the key', async () => {
    const agent = request.agent(s.fedUrl);
    const opened = await agent.get(devPhoneLinkPath(s));
    assert.equal(opened.status, 303);
    assert.equal(opened.headers.location, '/dev/phone');
    const cookies = [opened.headers['set-cookie'] ?? []].flat();
    const cookie = cookies.find((c) => c.startsWith(`${KEY_COOKIE}=`)) ?? '';
    assert.match(cookie, /; Path=\/dev\/phone(;|$)/);
    assert.match(cookie, /; HttpOnly(;|$)/);
    assert.match(cookie, /; SameSite=Strict(;|$)/);
    assert.ok(!cookie.includes(keyOf(s)), 'the cookie does not hold the key');
    const page = await agent.get('/dev/phone');
    assert.equal(page.status, 200);
    assert.match(page.text, /Development phone/);
  });

  it('no key, a wrong key or a forged cookie: 403 on the page and on the keypad form, and nothing is recorded', async () => {
    const { number, callId } = await signInWithRingingCall(s);
    const { csrf } = await openDevPhone(s);
    const key = keyOf(s);
    const wrongKeys = [
      '',
      `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`,
      key.slice(0, 22),
      `${key}A`,
      'A'.repeat(43),
    ];
    const attempts = [
      request(s.fedUrl).get('/dev/phone'),
      request(s.fedUrl).get('/dev/phone/'),
      ...wrongKeys.map((k) => request(s.fedUrl).get(`/dev/phone?key=${encodeURIComponent(k)}`)),
      request(s.fedUrl).get(`/dev/phone?key=${key}&key=${key}`),
      // The key on a POST does not stand in for the cookie.
      request(s.fedUrl)
        .post(`/dev/phone/answer?key=${key}`)
        .type('form')
        .send({ _csrf: csrf, callId, keys: number }),
      request(s.fedUrl).post('/dev/phone/answer').type('form').send({ _csrf: csrf, callId, keys: number }),
      // Forged cookies: the key itself, a made-up value, nothing.
      ...[key, 'x'.repeat(43), ''].map((forged) =>
        request(s.fedUrl)
          .post('/dev/phone/answer')
          .set('Cookie', `${KEY_COOKIE}=${forged}`)
          .type('form')
          .send({ _csrf: csrf, callId, keys: number }),
      ),
      request(s.fedUrl).get('/dev/phone').set('Cookie', `${KEY_COOKIE}=${key}`),
    ];
    for (const [i, attempt] of attempts.entries()) {
      const res = await attempt;
      assert.equal(res.status, 403, `attempt ${i}: ${res.status}`);
      assert.match(res.text, REFUSED);
      assert.ok(!res.text.includes(callId), 'the call is not shown');
      assert.ok(![res.headers['set-cookie'] ?? []].flat().some((c) => c.startsWith(`${KEY_COOKIE}=`)));
    }
    await stillAnswerable(s, callId, number);
  });

  it("another server's key cookie is refused", async () => {
    const other = await startFederationStack({ serverOutbox: true, phoneCall: { answer: 'keypad' } });
    try {
      const opened = await request(other.fedUrl).get(devPhoneLinkPath(other));
      const theirs = [opened.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith(`${KEY_COOKIE}=`));
      assert.ok(theirs);
      const res = await request(s.fedUrl)
        .get('/dev/phone')
        .set('Cookie', theirs.split(';')[0] ?? '');
      assert.equal(res.status, 403);
    } finally {
      await other.close();
    }
  });

  describe('through a forwarder on this machine that adds no header (socat, ssh -R, a bare proxy_pass)', () => {
    let relay: TcpRelay;
    let relayed: string;
    beforeEach(async () => {
      const fed = new URL(s.fedUrl);
      relay = await tcpRelay({ host: fed.hostname, port: Number(fed.port) });
      relayed = `http://127.0.0.1:${relay.port}`;
    });
    afterEach(async () => relay.close());

    it("the internet it carries — from loopback, with the issuer's Host and no proxy header — is refused without the key, and records nothing", async () => {
      const { number, callId } = await signInWithRingingCall(s);
      const { csrf } = await openDevPhone(s);
      const host = new URL(s.fedUrl).host;
      const page = await request(relayed).get('/dev/phone').set('Host', host);
      assert.equal(page.status, 403);
      assert.match(page.text, REFUSED);
      assert.ok(!page.text.includes(callId));
      const keys = await request(relayed)
        .post('/dev/phone/answer')
        .set('Host', host)
        .type('form')
        .send({ _csrf: csrf, callId, keys: number });
      assert.equal(keys.status, 403);
      // Only the key stood in the way: the same forwarder with the link gets in.
      const withLink = await request(relayed).get(devPhoneLinkPath(s)).set('Host', host);
      assert.equal(withLink.status, 303);
      await stillAnswerable(s, callId, number);
    });
  });
});
