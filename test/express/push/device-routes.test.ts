// The device API the Express router mounts at /mfa/device, as an attacker would try it over HTTP:
// it needs no session and no CSRF token (the phone proves itself by its signature) and sets no
// cookie; a forged, unsigned or junk request is a 401 JSON answer, a malformed body a 400, a body
// over 16 kB a 413, a GET or an unknown path a 404 JSON answer — never a 5xx; and a browser's
// signed-in session cookie on a device request changes nothing: the user's sign-in still waits.
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { createDeviceApiRouter } from '../../../src/express/index.ts';
import { makePushApp, registerPushOverApi } from '../../helpers/app.ts';
import { passwordStep } from '../../helpers/flows.ts';
import { CTX, PUSH_ENDPOINT, pendingSignIn, pushMfa, registerPushApp, sendPush } from '../../helpers/push.ts';
import { createPushApp, supertestTransport } from '../../helpers/push-app.ts';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Alice's phone registered, a browser at her password with a notification sent: what the attacker sees. */
async function waitingSignIn() {
  const built = makePushApp();
  const { phone, methodId } = await registerPushOverApi(built, 'alice');
  const { agent: browser } = await passwordStep(built.app, 'alice');
  const sent = await browser.post('/mfa/api/send').send({ methodId });
  assert.equal(sent.status, 200);
  const [notification] = (await phone.pending()).body.notifications;
  const claims = { act: 'answer', tx: notification.id, answer: 'approve', number: sent.body.number };
  /** The browser's sign-in still waits for the approval. */
  const stillWaiting = async () => {
    const res = await browser.post('/mfa/api/verify').send({ push: true });
    assert.equal(res.status, 202, JSON.stringify(res.body));
  };
  return { built, phone, methodId, browser, number: sent.body.number as string, claims, stillWaiting };
}

/** Asserts a JSON refusal with a message, no-store, no cookie set. */
function assertRefused(res: request.Response, status: number, what: string) {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
  assert.match(res.headers['content-type'] ?? '', /application\/json/, what);
  assert.equal(typeof res.body.error, 'string', what);
  assert.ok(res.body.message, what);
  assert.equal(res.headers['cache-control'], 'no-store', what);
  assert.equal(res.headers['set-cookie'], undefined, what);
}

describe('the device API over HTTP, as an attacker', () => {
  it('a real app needs no session or CSRF token, and is set no cookie', async () => {
    const { built, phone } = await waitingSignIn();
    const res = await request(built.app)
      .post('/mfa/device/pending')
      .send({ request: await phone.sign({ act: 'pending' }) });
    assert.equal(res.status, 200);
    assert.equal(res.body.notifications.length, 1);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['set-cookie'], undefined);
  });

  it('forged, unsigned, replayed or junk requests are a 401 JSON answer; the sign-in still waits', async () => {
    const { built, phone, methodId, claims, stillWaiting } = await waitingSignIn();
    const post = (action: string, body: unknown) =>
      request(built.app)
        .post(`/mfa/device/${action}`)
        .send(body as object);
    // Another key, under the device's id (never activated: it only signs).
    const forger = await createPushApp(supertestTransport(built.app), {
      now: () => built.clock.now(),
      posingAs: methodId,
    });
    const forged = await post('answer', { request: await forger.sign(claims, { audience: PUSH_ENDPOINT }) });
    assertRefused(forged, 401, 'another key');
    assert.equal(forged.body.error, 'invalid_device');
    const iat = Math.floor(built.clock.now() / 1000);
    const unsigned = `${b64({ alg: 'none', typ: 'mfakit-push+jwt', kid: methodId })}.${b64({ ...claims, aud: PUSH_ENDPOINT, iat, jti: 'x'.repeat(20) })}.`;
    assertRefused(await post('answer', { request: unsigned }), 401, 'alg none');
    const elsewhere = await phone.sign(claims, { audience: 'https://evil.example/mfa/device' });
    assertRefused(await post('answer', { request: elsewhere }), 401, 'another audience');
    for (const action of ['activate', 'pending', 'answer'])
      assertRefused(await post(action, { request: 'not.a.jwt' }), 401, `${action} junk`);
    await stillWaiting();
    // The real answer works once; the same signed request again is a replay.
    const signed = { request: await phone.sign(claims) };
    assert.equal((await post('answer', signed)).status, 200);
    assertRefused(await post('answer', signed), 401, 'replayed');
  });

  it('malformed JSON is a 400, a body over 16 kB a 413, a GET or unknown path a 404 JSON answer; never a 5xx', async () => {
    const { built, stillWaiting } = await waitingSignIn();
    const raw = (path: string, body: string, type = 'application/json') =>
      request(built.app).post(path).set('Content-Type', type).send(body);
    const malformed = await raw('/mfa/device/answer', '{"request":');
    assertRefused(malformed, 400, 'malformed JSON');
    assert.match(malformed.body.message, /not valid JSON/);
    const large = await raw('/mfa/device/answer', JSON.stringify({ request: 'x'.repeat(17 * 1024) }));
    assertRefused(large, 413, 'too large');
    assert.match(large.body.message, /larger than 16kb/);
    for (const body of ['null', '42', '"text"', '[]', '{}', '{"request":7}', '{"request":{"$gt":""}}'])
      assertRefused(await raw('/mfa/device/pending', body), 400, body);
    // Whatever the content type says, the body is read as JSON: a form is no way around it.
    assertRefused(
      await raw('/mfa/device/answer', 'request=abc', 'application/x-www-form-urlencoded'),
      400,
      'form',
    );
    // A charset the reader refuses (JSON is UTF-8, -16 or -32) or a Content-Encoding it does not decode.
    assertRefused(await raw('/mfa/device/answer', '{}', 'application/json; charset=latin1'), 400, 'charset');
    const compress = await request(built.app)
      .post('/mfa/device/answer')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'compress')
      .send('{}');
    assertRefused(compress, 400, 'an unsupported Content-Encoding');
    const encoded = await request(built.app)
      .post('/mfa/device/answer')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('not gzip at all');
    assertRefused(encoded, 400, 'a gzip body that is not gzip');
    for (const path of ['/mfa/device/pending', '/mfa/device', '/mfa/device/answer/../activate'])
      assertRefused(await request(built.app).get(path), 404, `GET ${path}`);
    for (const path of ['/mfa/device/approve', '/mfa/device/pending/x', '/mfa/device/%E0%A4%A'])
      assertRefused(await request(built.app).post(path).send({}), 404, `POST ${path}`);
    await stillWaiting();
  });

  it("a browser's signed-in session cookie on a device request changes nothing", async () => {
    const { built, phone, claims, stillWaiting } = await waitingSignIn();
    // Bob, signed in (his own app registered), posts at the device API with his session cookie.
    const bob = await registerPushOverApi(built, 'bob', 'Bob phone');
    const { agent: bobBrowser } = await passwordStep(built.app, 'bob');
    const bobSent = await bobBrowser.post('/mfa/api/send').send({ methodId: bob.methodId });
    await bob.phone.approve(bobSent.body.number);
    await bobBrowser.post('/mfa/api/verify').send({ push: true }).expect(200);
    assert.equal((await bobBrowser.get('/account')).status, 200);
    const withCookie = (action: string, body: unknown) =>
      bobBrowser.post(`/mfa/device/${action}`).send(body as object);
    assertRefused(await withCookie('pending', {}), 400, 'no request, with a session');
    // His session does not make his own device's answer count for Alice's notification…
    const stolen = await withCookie('answer', { request: await bob.phone.sign(claims) });
    assert.equal(stolen.status, 404);
    assert.equal(stolen.body.error, 'unknown_transaction');
    // …nor lets him read Alice's notifications.
    const peek = await withCookie('pending', { request: await bob.phone.sign({ act: 'pending' }) });
    assert.deepEqual(peek.body, { notifications: [] });
    await stillWaiting();
    // Alice's real app answers fine through a browser carrying a session too: no CSRF token asked.
    const through = await withCookie('answer', { request: await phone.sign(claims) });
    assert.equal(through.status, 200);
    assert.deepEqual(through.body, { answer: 'approved' });
    assert.equal(through.headers['set-cookie'], undefined);
  });
});

describe('createDeviceApiRouter from mfakit/express, mounted where the app chooses', () => {
  it('serves the device API at another path: a phone registers and approves through it', async () => {
    const { mfa, clock } = pushMfa();
    const app = express();
    app.use('/phone-api', createDeviceApiRouter(mfa));
    const { app: phone, methodId } = await registerPushApp(mfa, clock, 'alice', {
      transport: supertestTransport(app, '/phone-api'),
    });
    const pendingId = await pendingSignIn(mfa, 'alice');
    const number = await sendPush(mfa, pendingId, methodId);
    assert.equal((await phone.approve(number)).body.answer, 'approved');
    assert.ok((await mfa.verifyPending(pendingId, { push: true }, CTX)).ok);
    assert.equal((await request(app).get('/phone-api/pending')).status, 404);
  });
});
