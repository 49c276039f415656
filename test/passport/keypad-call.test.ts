// A phone call answered on the keypad in a Passport app — the README's (examples/passport/app.ts),
// the 'mfa' strategy's page: the Call button, the number shown large with words about the phone's
// keypad, Continue before the keys (the page again: no Passport failure, no attempt counted), the
// keys the provider's webhook hands over, Continue signing in; a wrong number failing like a
// wrong code; and a first sign-in registering the phone in PIN mode on the page.
import assert from 'node:assert/strict';
import type { User } from '../../examples/passport/app.ts';
import { outboxDelivery } from '../../src/index.ts';
import { matchNumberOf } from '../helpers/approval-page.ts';
import { inputValue } from '../helpers/browser.ts';
import {
  approvingKeys,
  CALL_BUTTON,
  keypadMethods,
  otherNumber,
  PHONE_NUMBER,
  PIN,
  pressKeys,
  registerKeypadPhone,
} from '../helpers/keypad-call.ts';
import { lastCode } from '../helpers/phone.ts';
import { testClock } from '../helpers/test-clock.ts';
import {
  addSessionWindow,
  alertOf,
  createExampleApp,
  mfaPageOf,
  noticeOf,
  passwordStep,
  pressContinue,
  recoveryCodesOf,
  sessionOf,
} from './passport-flows.ts';

const NOT_APPROVED = 'The sign-in was not approved. Send a new notification or call, or use another method.';
const USERS: User[] = [
  { id: 'u-alice', name: 'Alice' },
  { id: 'u-bob', name: 'Bob' },
];
const ALICE = 'u-alice';

function keypadApp(options: { pin?: boolean } = {}) {
  const clock = testClock();
  const outbox = outboxDelivery({ print: false });
  const { app, mfa } = createExampleApp({
    users: USERS,
    clock,
    engine: { methods: keypadMethods(options), phone: { delivery: outbox } },
  });
  addSessionWindow(app);
  return { app, mfa, clock, outbox };
}

type KeypadTest = ReturnType<typeof keypadApp>;

/** The password, then the page's Call button: the number the page then shows. */
async function placeCall(t: KeypadTest, methodId: string) {
  const { agent } = await passwordStep(t.app, 'alice');
  const prompt = await mfaPageOf(agent);
  assert.ok(prompt.text.includes(CALL_BUTTON), 'a Call button');
  assert.equal(t.outbox.calls.length, 0, 'no call until asked');
  const send = await agent.post('/login/mfa').type('form').send({ methodId });
  assert.equal(send.status, 303, send.text);
  assert.equal(send.headers.location, '/login/mfa');
  const page = await mfaPageOf(agent);
  const number = matchNumberOf(page.text);
  assert.ok(number, page.text);
  return { agent, number, page: page.text };
}

describe('mfakit/passport: phone call answered on the keypad', () => {
  it('signs in: Call, the number for the keypad, Continue too early (no failure), the keys, Continue', async () => {
    const t = keypadApp();
    const methodId = await registerKeypadPhone(t.mfa, t.outbox, ALICE);
    const { agent, number, page } = await placeCall(t, methodId);
    assert.match(
      noticeOf(page) ?? '',
      new RegExp(
        `^We are calling \\+•• ••• ••23\\. When the call asks, enter ${number} on the phone&#39;s keypad`,
      ),
    );
    assert.match(page, /When the call to \+•• ••• ••23 asks, enter this number on the keypad:/);
    assert.match(
      page,
      /id="code-hint">Enter the code from your authenticator app/,
      'no code is sent by the call',
    );
    assert.doesNotMatch(page, /in the app/);

    const early = await pressContinue(agent);
    assert.equal(early.status, 303, early.text);
    assert.equal(early.headers.location, '/login/mfa');
    assert.deepEqual((await sessionOf(agent)).messages, [], 'no failureMessage');
    const waiting = await mfaPageOf(agent);
    assert.equal(alertOf(waiting.text), null, 'no error on the page');
    assert.match(
      noticeOf(waiting.text) ?? '',
      new RegExp(`Waiting for your answer.*enter ${number} on the keypad`),
    );
    assert.equal(matchNumberOf(waiting.text), number, 'the same number');
    assert.deepEqual(await t.mfa.admin.lockStatus(ALICE), { attempts: 0, consecutiveFailures: 0 });
    assert.equal((await sessionOf(agent)).user, null, 'not signed in yet');

    assert.equal((await pressKeys(t.mfa, t.outbox, number)).outcome, 'approved');
    const done = await pressContinue(agent);
    assert.equal(done.status, 302, done.text);
    assert.equal(done.headers.location, '/');
    assert.equal((await agent.get('/')).text, 'Hello Alice');
    const session = await sessionOf(agent);
    assert.equal(session.user?.id, ALICE);
    assert.deepEqual(session.stamp?.amr, ['pwd', 'tel', 'mfa']);
  });

  it('a wrong number on the keypad fails like a wrong code: the failure message, an attempt counted', async () => {
    const t = keypadApp();
    const methodId = await registerKeypadPhone(t.mfa, t.outbox, ALICE);
    const { agent, number } = await placeCall(t, methodId);
    assert.equal((await pressKeys(t.mfa, t.outbox, otherNumber(number))).outcome, 'denied');
    const res = await agent.post('/login/mfa').type('form').send({ push: '1', methodId });
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/login/mfa');
    const session = await sessionOf(agent);
    assert.equal(session.user, null);
    assert.deepEqual(session.messages, [NOT_APPROVED]);
    const page = await mfaPageOf(agent);
    assert.equal(alertOf(page.text), NOT_APPROVED);
    assert.equal(matchNumberOf(page.text), undefined, 'that call is over: no Continue');
    assert.ok(page.text.includes(CALL_BUTTON), 'a new call can be placed');
    assert.equal((await t.mfa.admin.lockStatus(ALICE)).consecutiveFailures, 1);
  });

  it('a first sign-in registers the phone in PIN mode on the page: the number and a PIN, then the code call', async () => {
    const t = keypadApp({ pin: true });
    const { agent } = await passwordStep(t.app, 'bob');
    const ask = await agent.get('/login/mfa?method=voice').set('Accept', 'text/html');
    assert.match(ask.text, /name="phoneNumber"/);
    assert.match(ask.text, /<input type="password" id="pin" name="pin"[^>]*inputmode="numeric"/);
    const begun = await agent
      .post('/login/mfa')
      .type('form')
      .send({ method: 'voice', phoneNumber: PHONE_NUMBER, pin: PIN });
    assert.equal(begun.status, 303, begun.text);
    const setup = await mfaPageOf(agent);
    assert.match(setup.text, /\+•• ••• ••23/);
    const confirmed = await agent
      .post('/login/mfa')
      .type('form')
      .send({ draftId: inputValue(setup.text, 'draftId'), code: lastCode(t.outbox) });
    assert.equal(confirmed.status, 303, confirmed.text);
    assert.equal(recoveryCodesOf((await mfaPageOf(agent)).text).length, 10);
    const done = await agent.post('/login/mfa').type('form').send({});
    assert.equal(done.status, 302, done.text);
    assert.equal((await sessionOf(agent)).user?.id, 'u-bob');
    // The PIN then goes before the number on the keypad.
    await agent.post('/logout');
    const [method] = await t.mfa.methods.list('u-bob');
    assert.ok(method);
    const { agent: next } = await passwordStep(t.app, 'bob');
    await next.post('/login/mfa').type('form').send({ methodId: method.id }).expect(303);
    const number = matchNumberOf((await mfaPageOf(next)).text) ?? '';
    assert.equal(
      (await pressKeys(t.mfa, t.outbox, approvingKeys(number, { pin: true }))).outcome,
      'approved',
    );
    assert.equal((await pressContinue(next)).status, 302);
    assert.deepEqual((await sessionOf(next)).stamp?.amr, ['pwd', 'tel', 'pin', 'mfa']);
  });
});
