// Keypad calls beside push notifications: both take the same approval input (`{ push: true }`),
// so each must only ever use its own approval — a call answered while a notification still waits
// signs in (whichever is approved comes first), a notification's approval is not a call's, and a
// Continue naming one method uses only that method's approval.
import assert from 'node:assert/strict';
import {
  outboxDelivery,
  pushMethod,
  pushOutbox,
  recoveryCode,
  totp,
  voiceMethod,
} from '../../../src/index.ts';
import { CTX, registerPhone } from '../../helpers/phone.ts';
import { PUSH_ENDPOINT, pendingSignIn, pushMfa, registerPushApp, sendPush } from '../../helpers/push.ts';

function bothMfa() {
  const notifications = pushOutbox({ print: false });
  const phone = outboxDelivery({ print: false });
  const engine = pushMfa({
    methods: [
      totp,
      pushMethod({ endpoint: PUSH_ENDPOINT, delivery: notifications }),
      voiceMethod({ answer: 'keypad' }),
      recoveryCode,
    ],
    phone: { delivery: phone },
  });
  return { ...engine, phone };
}

describe('keypad calls beside push notifications', () => {
  it('a call answered while a notification still waits signs in with the call', async () => {
    const { mfa, clock, phone } = bothMfa();
    const { methodId: appId } = await registerPushApp(mfa, clock, 'alice');
    const phoneId = await registerPhone(mfa, phone, 'alice', 'voice', '+44 7700 900123');
    const pendingId = await pendingSignIn(mfa, 'alice');
    await sendPush(mfa, pendingId, appId);
    const called = await mfa.sendPendingCode(pendingId, phoneId, CTX);
    assert.ok(called.ok && called.number !== undefined);
    await mfa.phoneCalls.keypad({ callId: phone.lastCall()?.callId, keys: called.number }, CTX);
    const prompt = await mfa.pendingPrompt(pendingId);
    assert.equal(prompt.approval?.channel, 'voice', 'the approved call is what the page shows');
    const done = await mfa.verifyPending(pendingId, { push: true }, CTX);
    assert.ok(done.ok, JSON.stringify(done));
    assert.deepEqual(done.stamp.methods, ['password', 'voice']);
  });

  it('a Continue naming the app does not use the call’s approval, nor the reverse', async () => {
    const { mfa, clock, phone } = bothMfa();
    const { app, methodId: appId } = await registerPushApp(mfa, clock, 'alice');
    const phoneId = await registerPhone(mfa, phone, 'alice', 'voice', '+44 7700 900123');
    const pendingId = await pendingSignIn(mfa, 'alice');
    const called = await mfa.sendPendingCode(pendingId, phoneId, CTX);
    assert.ok(called.ok && called.number !== undefined);
    await mfa.phoneCalls.keypad({ callId: phone.lastCall()?.callId, keys: called.number }, CTX);
    const viaApp = await mfa.verifyPending(pendingId, { push: true, methodId: appId }, CTX);
    assert.equal(!viaApp.ok && viaApp.error, 'invalid_code');
    // The call's approval is still there for a Continue naming the phone.
    const viaCall = await mfa.verifyPending(pendingId, { push: true, methodId: phoneId }, CTX);
    assert.ok(viaCall.ok, JSON.stringify(viaCall));
    assert.deepEqual(viaCall.stamp.methods, ['password', 'voice']);
    // The reverse: the app's approval is not the call's — a Continue naming the phone finds none,
    // and the app's approval still signs in when named.
    const other = await pendingSignIn(mfa, 'alice');
    const number = await sendPush(mfa, other, appId);
    assert.equal((await app.approve(number)).body.answer, 'approved');
    const viaPhone = await mfa.verifyPending(other, { push: true, methodId: phoneId }, CTX);
    assert.equal(!viaPhone.ok && viaPhone.error, 'invalid_code');
    const viaItsApp = await mfa.verifyPending(other, { push: true, methodId: appId }, CTX);
    assert.ok(viaItsApp.ok, JSON.stringify(viaItsApp));
    assert.deepEqual(viaItsApp.stamp.methods, ['password', 'push']);
  });
});
