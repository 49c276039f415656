/**
 * mfakit/radius with a phone call answered on the keypad, against the real FreeRADIUS `radclient`:
 * the password, then `call` at the Access-Challenge, whose Reply-Message says to answer the call
 * and enter the number on its keypad; Enter before the keys asks again with the same number; the
 * keys the voice provider's webhook hands over, then Enter: Access-Accept. A wrong number is an
 * Access-Reject counted like a wrong code; after a fraud report (0#) no call is placed.
 */
import assert from 'node:assert/strict';
import {
  approvingKeys,
  keypadCallMfa,
  otherNumber,
  pressKeys,
  registerKeypadPhone,
} from '../helpers/keypad-call.ts';
import { requireTools } from '../helpers/peers.ts';
import { PASSWORDS, type RadiusHarness, radiusHarness } from '../helpers/radius-server.ts';

const stateOf = (hex: string | null) => {
  assert.ok(hex, 'the challenge carries a State');
  return Buffer.from(hex, 'hex');
};

const CALL_PROMPT = /^Answer the call to \+•• ••• ••23 and enter (\d\d) on its keypad, then press Enter\.$/;

describe('mfakit/radius with a phone call answered on the keypad', function () {
  this.timeout(30_000);
  let h: RadiusHarness;
  let made: ReturnType<typeof keypadCallMfa>;
  before(function () {
    requireTools(this, 'radclient');
  });
  afterEach(async () => {
    await h?.server.close();
  });

  /** Alice's phone registered (PIN mode when asked), behind a RADIUS server; her password answered. */
  async function challenged(options: { pin?: boolean } = {}) {
    made = keypadCallMfa(options);
    await registerKeypadPhone(made.mfa, made.outbox, 'alice', options);
    h = await radiusHarness(made);
    const first = await h.ask({ 'User-Name': 'alice', 'User-Password': PASSWORDS.alice ?? '' });
    assert.equal(first.code, 'Access-Challenge', first.output);
    assert.match(first.replyMessage, /type call for a phone call/);
    return stateOf(first.state);
  }

  /** `call` at the challenge: the number the Reply-Message says to enter. */
  async function placeCall(state: Buffer) {
    const sent = await h.ask({ 'User-Name': 'alice', 'User-Password': 'call', State: state });
    assert.equal(sent.code, 'Access-Challenge', sent.output);
    const number = CALL_PROMPT.exec(sent.replyMessage)?.[1];
    assert.ok(number, sent.replyMessage);
    assert.equal(made.outbox.calls.length, 1, 'one call placed');
    return number;
  }

  it('call, the number on the keypad (after the PIN), then Enter: Access-Accept', async () => {
    const state = await challenged({ pin: true });
    const number = await placeCall(state);
    // Enter before the keys: asked again, with the same number, no attempt counted.
    const early = await h.ask({ 'User-Name': 'alice', 'User-Password': '', State: state });
    assert.equal(early.code, 'Access-Challenge', early.output);
    assert.match(early.replyMessage, CALL_PROMPT);
    assert.equal(CALL_PROMPT.exec(early.replyMessage)?.[1], number);
    assert.equal((await h.mfa.admin.lockStatus('alice')).attempts, 0);
    assert.equal(
      (await pressKeys(h.mfa, made.outbox, approvingKeys(number, { pin: true }))).outcome,
      'approved',
    );
    const done = await h.ask({ 'User-Name': 'alice', 'User-Password': '', State: state });
    assert.equal(done.code, 'Access-Accept', done.output);
    assert.ok(h.events.some((e) => e.type === 'verified' && e.methodKind === 'voice'));
  });

  it('a wrong number on the keypad, then Enter: Access-Reject, counted like a wrong code', async () => {
    const state = await challenged();
    const number = await placeCall(state);
    assert.equal((await pressKeys(h.mfa, made.outbox, otherNumber(number))).outcome, 'denied');
    const denied = await h.ask({ 'User-Name': 'alice', 'User-Password': '', State: state });
    assert.equal(denied.code, 'Access-Reject', denied.output);
    assert.equal((await h.mfa.admin.lockStatus('alice')).consecutiveFailures, 1);
    assert.ok(h.events.some((e) => e.type === 'verify_failed' && e.detail === 'call_number_mismatch'));
  });

  it("a fraud report (0#): Enter is an Access-Reject, and the next sign-in's call is refused, saying why", async () => {
    const state = await challenged();
    await placeCall(state);
    assert.equal((await pressKeys(h.mfa, made.outbox, '0')).outcome, 'fraud');
    const refused = await h.ask({ 'User-Name': 'alice', 'User-Password': '', State: state });
    assert.equal(refused.code, 'Access-Reject', refused.output);
    const next = await h.ask({ 'User-Name': 'alice', 'User-Password': PASSWORDS.alice ?? '' });
    assert.equal(next.code, 'Access-Challenge', next.output);
    const blocked = await h.ask({
      'User-Name': 'alice',
      'User-Password': 'call',
      State: stateOf(next.state),
    });
    assert.equal(blocked.code, 'Access-Challenge', blocked.output);
    assert.match(blocked.replyMessage, /^Calls are paused because a sign-in request was reported as fraud/);
    assert.equal(made.outbox.calls.length, 1, 'no call after the report');
  });
});
