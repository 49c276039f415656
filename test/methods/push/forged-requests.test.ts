// The device API as an attacker would try it: requests not signed by the registered device's
// key, for another audience, too old, replayed, with `alg: none`, with a private key or a key of
// another curve at activation, for another user's transaction, and malformed or oversized
// bodies. Every one is refused with a 4xx and a clear error, nothing is answered, and the
// refusals are audited (once a minute per reason and network).
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { CTX, PUSH_ENDPOINT, pendingSignIn, pushMfa, registerPushApp, sendPush } from '../../helpers/push.ts';
import { createPushApp, type DeviceTransport, engineTransport } from '../../helpers/push-app.ts';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('push device API: forged and malformed requests', () => {
  it('refuses a request signed by another key under the device id, another audience, a stale iat, alg none', async () => {
    const { mfa, clock, events } = pushMfa();
    const { app, methodId } = await registerPushApp(mfa, clock, 'alice');
    const pendingId = await pendingSignIn(mfa, 'alice');
    const number = await sendPush(mfa, pendingId, methodId);
    const [notification] = (await app.pending()).body.notifications;
    const claims = { act: 'answer', tx: notification.id, answer: 'approve', number };
    const send = engineTransport(mfa);

    // Another key claiming the device's id.
    // Another key, under the device's id (never activated: it only signs).
    const forger = await createPushApp(send, { now: () => clock.now(), posingAs: methodId });
    const forged = await send('answer', { request: await forger.sign(claims, { audience: PUSH_ENDPOINT }) });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error, 'invalid_device');

    // The device's own key, but for another server, or two hours old, or unsigned.
    const otherAudience = await send('answer', {
      request: await app.sign(claims, { audience: 'https://evil.example/mfa/device' }),
    });
    assert.equal(otherAudience.status, 401);
    const stale = await send('answer', {
      request: await app.sign(claims, { iatSeconds: Math.floor(clock.now() / 1000) - 7200 }),
    });
    assert.equal(stale.status, 401);
    const iat = Math.floor(clock.now() / 1000);
    const unsigned = `${b64({ alg: 'none', typ: 'mfakit-push+jwt', kid: methodId })}.${b64({ ...claims, aud: PUSH_ENDPOINT, iat, jti: 'x'.repeat(20) })}.`;
    assert.equal((await send('answer', { request: unsigned })).status, 401);

    // None of them answered: the user's sign-in still waits, and the real approval works once.
    const still = await mfa.verifyPending(pendingId, { push: true }, CTX);
    assert.equal(!still.ok && still.error, 'approval_pending');
    const request = await app.sign(claims);
    assert.equal((await send('answer', { request })).status, 200);
    const replayed = await send('answer', { request });
    assert.equal(replayed.status, 401, 'a replayed request is refused by its jti');
    assert.ok((await mfa.verifyPending(pendingId, { push: true }, CTX)).ok);
    const refusals = events.filter((e) => e.type === 'device_request_refused').map((e) => e.detail);
    assert.ok(refusals.includes('request_replayed'));
    assert.ok(refusals.includes('err_jws_signature_verification_failed'));
  });

  it('one device cannot answer another user’s notification', async () => {
    const { mfa, clock } = pushMfa();
    const alice = await registerPushApp(mfa, clock, 'alice');
    const mallory = await registerPushApp(mfa, clock, 'mallory');
    const pendingId = await pendingSignIn(mfa, 'alice');
    const number = await sendPush(mfa, pendingId, alice.methodId);
    const [notification] = (await alice.app.pending()).body.notifications;
    assert.deepEqual((await mallory.app.pending()).body, { notifications: [] });
    const stolen = await mallory.app.answer(notification.id, 'approve', number);
    assert.equal(stolen.status, 404);
    assert.equal(stolen.body.error, 'unknown_transaction');
    const still = await mfa.verifyPending(pendingId, { push: true }, CTX);
    assert.equal(!still.ok && still.error, 'approval_pending');
  });

  it('an activation must carry a public P-256 key: a private key, another curve or an unknown code is refused', async () => {
    const { mfa, clock } = pushMfa();
    const send = engineTransport(mfa);
    const draft = await mfa.enrollment.begin('push', 'alice', 'alice', undefined, CTX);
    const code = new URL(String(draft.fields.activationUri)).searchParams.get('code');
    const iat = Math.floor(clock.now() / 1000);
    const activation = (jti: string) => ({
      act: 'activate',
      code,
      name: 'Phone',
      aud: PUSH_ENDPOINT,
      iat,
      jti,
    });

    const p256 = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(p256.privateKey);
    const withPrivate = await new SignJWT(activation('a'.repeat(20)))
      .setProtectedHeader({ alg: 'ES256', typ: 'mfakit-push+jwt', jwk: privateJwk })
      .sign(p256.privateKey);
    assert.equal((await send('activate', { request: withPrivate })).status, 401);

    const p384 = await generateKeyPair('ES384', { extractable: true });
    const otherCurve = await new SignJWT(activation('b'.repeat(20)))
      .setProtectedHeader({ alg: 'ES384', typ: 'mfakit-push+jwt', jwk: await exportJWK(p384.publicKey) })
      .sign(p384.privateKey);
    assert.equal((await send('activate', { request: otherCurve })).status, 401);

    const app = await createPushApp(send, { now: () => clock.now() });
    const unknown = await app.activate(
      `mfakit-push://activate?endpoint=${encodeURIComponent(PUSH_ENDPOINT)}&code=${'z'.repeat(22)}`,
    );
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, 'activation_unknown');
    // The draft is still there for the real app.
    assert.equal((await app.activate(String(draft.fields.activationUri))).status, 200);
  });

  it('malformed and oversized bodies get a 400 with a clear message, never a 5xx', async () => {
    const { mfa, clock } = pushMfa();
    const { app } = await registerPushApp(mfa, clock, 'alice');
    // Each from a network of its own: a network's refusals are limited (the next test).
    let network = 0;
    const send: DeviceTransport = (action, body) =>
      engineTransport(mfa, `198.51.${network++ % 250}.7`)(action, body);
    for (const body of [
      null,
      'text',
      42,
      [],
      {},
      { request: 7 },
      { request: '' },
      { request: 'x'.repeat(9000) },
    ]) {
      for (const action of ['activate', 'pending', 'answer'] as const) {
        const reply = await send(action, body);
        assert.equal(reply.status, 400, `${action} ${JSON.stringify(body)?.slice(0, 40)}`);
        assert.equal(reply.body.error, 'invalid_request');
        assert.match(reply.body.message, /request/);
      }
    }
    for (const junk of ['a.b.c', 'not a jwt', `${'e'.repeat(30)}.${'e'.repeat(30)}.${'e'.repeat(30)}`]) {
      for (const action of ['activate', 'pending', 'answer'] as const) {
        const reply = await send(action, { request: junk });
        assert.equal(reply.status, 401, `${action} ${junk}`);
      }
    }
    // A signed answer with a malformed transaction or answer.
    const bad = await send('answer', {
      request: await app.sign({ act: 'answer', tx: '../../x', answer: 'approve' }),
    });
    assert.equal(bad.status, 400);
    const wrongAction = await send('answer', { request: await app.sign({ act: 'pending' }) });
    assert.equal(wrongAction.status, 401);
    // A device's approval with a number that is not two ASCII digits is a denial, not a 5xx.
    const pendingId = await pendingSignIn(mfa, 'alice');
    await sendPush(mfa, pendingId, app.deviceId ?? '');
    const [notification] = (await app.pending()).body.notifications;
    const odd = await app.answer(notification.id, 'approve', 'éé');
    assert.deepEqual([odd.status, odd.body.answer], [200, 'denied']);
  });

  it("30 refusals no device signed stop a network's activations for 10 minutes, never its devices' requests", async () => {
    const { mfa, clock, events } = pushMfa();
    // Alice's phone is behind the same NAT as the attacker.
    const { app, methodId } = await registerPushApp(mfa, clock, 'alice', {
      transport: engineTransport(mfa, '203.0.113.66'),
    });
    const attacker = engineTransport(mfa, '203.0.113.66');
    for (let i = 0; i < 30; i++) assert.equal((await attacker('pending', { request: 'a.b.c' })).status, 401);
    const draft = await mfa.enrollment.begin('push', 'bob', 'bob', undefined, CTX);
    const newcomer = await createPushApp(attacker, { now: () => clock.now() });
    const cut = await newcomer.activate(String(draft.fields.activationUri));
    assert.equal(cut.status, 429);
    assert.equal(cut.body.error, 'slow_down');
    assert.equal(cut.retryAfterSeconds, 600);
    // Alice's phone, behind the same address, is answered and approves.
    const pendingId = await pendingSignIn(mfa, 'alice');
    const number = await sendPush(mfa, pendingId, methodId);
    assert.equal((await app.approve(number)).body.answer, 'approved');
    assert.ok((await mfa.verifyPending(pendingId, { push: true }, CTX)).ok);
    // One audit row for the flood, with the count of the others once a minute passes.
    assert.equal(events.filter((e) => e.type === 'device_request_refused').length, 1);
    clock.advance(601_000);
    assert.equal((await attacker('pending', { request: 'a.b.c' })).status, 401);
    assert.equal(events.filter((e) => e.type === 'device_request_refused').length, 2);
    const later = await mfa.enrollment.begin('push', 'bob', 'bob', undefined, CTX);
    assert.equal((await newcomer.activate(String(later.fields.activationUri))).status, 200);
  });
});
