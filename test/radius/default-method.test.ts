/**
 * mfakit/radius and the user's default sign-in method, against the real FreeRADIUS `radclient`:
 * with a default that sends (here a keypad call), the right password's Access-Challenge comes
 * with the call already placed and says what to do; without a default, nothing is sent until the
 * user types a word; a wrong password sends nothing, default or not.
 */
import assert from 'node:assert/strict';
import { approvingKeys, keypadCallMfa, pressKeys, registerKeypadPhone } from '../helpers/keypad-call.ts';
import { requireTools } from '../helpers/peers.ts';
import { lastCode, phoneMfa, registerPhone } from '../helpers/phone.ts';
import { PASSWORDS, type RadiusHarness, radiusHarness } from '../helpers/radius-server.ts';

const CALL_PROMPT = /^Answer the call to \+•• ••• ••23 and enter (\d\d) on its keypad, then press Enter\.$/;

describe('mfakit/radius with a default sign-in method', function () {
  this.timeout(30_000);
  let h: RadiusHarness;
  before(function () {
    requireTools(this, 'radclient');
  });
  afterEach(async () => {
    await h?.server.close();
  });

  it('a default that sends is sent with the first challenge: answer it, then Enter', async () => {
    const made = keypadCallMfa();
    const methodId = await registerKeypadPhone(made.mfa, made.outbox, 'alice');
    assert.ok(await made.mfa.methods.setDefault('alice', methodId, { ip: '192.0.2.10' }));
    h = await radiusHarness(made);
    // A wrong password sends nothing.
    const wrong = await h.ask({ 'User-Name': 'alice', 'User-Password': 'not-her-password' });
    assert.equal(wrong.code, 'Access-Reject', wrong.output);
    assert.equal(made.outbox.calls.length, 0);
    const first = await h.ask({ 'User-Name': 'alice', 'User-Password': PASSWORDS.alice ?? '' });
    assert.equal(first.code, 'Access-Challenge', first.output);
    const number = CALL_PROMPT.exec(first.replyMessage)?.[1];
    assert.ok(number, first.replyMessage);
    assert.equal(made.outbox.calls.length, 1, 'the call was placed with the challenge');
    assert.ok(first.state);
    const state = Buffer.from(first.state, 'hex');
    assert.equal((await pressKeys(h.mfa, made.outbox, approvingKeys(number))).outcome, 'approved');
    const done = await h.ask({ 'User-Name': 'alice', 'User-Password': '', State: state });
    assert.equal(done.code, 'Access-Accept', done.output);
  });

  it('a text-message default: the code is sent with the first challenge, which says where', async () => {
    const made = phoneMfa();
    const methodId = await registerPhone(made.mfa, made.outbox, 'alice', 'sms', '+44 7700 900123');
    await made.mfa.methods.setDefault('alice', methodId, { ip: '192.0.2.10' });
    h = await radiusHarness(made);
    const sentBefore = made.outbox.messages.length;
    const first = await h.ask({ 'User-Name': 'alice', 'User-Password': PASSWORDS.alice ?? '' });
    assert.equal(first.code, 'Access-Challenge', first.output);
    assert.equal(first.replyMessage, 'Enter the code sent to +•• ••• ••23.');
    assert.equal(made.outbox.messages.length, sentBefore + 1);
    assert.ok(first.state);
    const done = await h.ask({
      'User-Name': 'alice',
      'User-Password': lastCode(made.outbox),
      State: Buffer.from(first.state, 'hex'),
    });
    assert.equal(done.code, 'Access-Accept', done.output);
  });

  it('a locked-out user is sent nothing, default or not', async () => {
    const made = phoneMfa({ lockout: { hardLimit: 1 } });
    const methodId = await registerPhone(made.mfa, made.outbox, 'alice', 'sms', '+44 7700 900123');
    await made.mfa.methods.setDefault('alice', methodId, { ip: '192.0.2.10' });
    await made.stores.repository.incrementCounter('lockout:consecutive:alice');
    h = await radiusHarness(made);
    const sentBefore = made.outbox.messages.length;
    const locked = await h.ask({ 'User-Name': 'alice', 'User-Password': PASSWORDS.alice ?? '' });
    assert.notEqual(locked.code, 'Access-Accept', locked.output);
    assert.equal(made.outbox.messages.length, sentBefore, 'nothing sent to a locked user');
  });

  it('a fraud-flagged user with a keypad-call default is called no more: the challenge says why', async () => {
    const made = keypadCallMfa();
    const methodId = await registerKeypadPhone(made.mfa, made.outbox, 'alice');
    await made.mfa.methods.setDefault('alice', methodId, { ip: '192.0.2.10' });
    await made.mfa.admin.setFraudFlag('alice', true, { ip: '192.0.2.10' });
    h = await radiusHarness(made);
    const flagged = await h.ask({ 'User-Name': 'alice', 'User-Password': PASSWORDS.alice ?? '' });
    assert.notEqual(flagged.code, 'Access-Accept', flagged.output);
    assert.equal(made.outbox.calls.length, 0, 'no call after a fraud report');
  });

  it('without a default, nothing is sent until the user types a word', async () => {
    const made = keypadCallMfa();
    await registerKeypadPhone(made.mfa, made.outbox, 'alice');
    h = await radiusHarness(made);
    const first = await h.ask({ 'User-Name': 'alice', 'User-Password': PASSWORDS.alice ?? '' });
    assert.equal(first.code, 'Access-Challenge', first.output);
    assert.match(first.replyMessage, /type call for a phone call/);
    assert.equal(made.outbox.calls.length, 0);
  });
});
