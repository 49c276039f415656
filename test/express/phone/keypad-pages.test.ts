// A phone call answered on the keypad through the Express HTML pages, in PIN mode: registering
// the phone on the pages (the number and a PIN, the code call), then the prompt's Call button,
// the page's number with words about the phone's keypad (never "the app"), Continue before the
// keys (the same page, waiting: no attempt counted), the keys the provider's webhook hands over,
// Continue signing in with amr tel and pin; a wrong number, a wrong PIN, keys for another
// browser's call, and a fraud report, each as a user or an attacker would meet it; step-up too.
import assert from 'node:assert/strict';
import { assertContinueForm, matchNumberOf } from '../../helpers/approval-page.ts';
import { formLogin, promptPage, submitForm } from '../../helpers/flows.ts';
import {
  approvingKeys,
  CALL_BUTTON,
  lastCall,
  makeKeypadApp,
  otherNumber,
  PHONE_NUMBER,
  PIN,
  PIN_MODE,
  pressKeys,
} from '../../helpers/keypad-call.ts';
import { lastCode } from '../../helpers/phone.ts';
import { draftIdFrom } from '../../helpers/phone-app.ts';

type Built = ReturnType<typeof makeKeypadApp>;

const NOT_APPROVED = /<p class="error" role="alert">The sign-in was not approved\./;

const CALL_BUTTON_RE = CALL_BUTTON.replace('+', '\\+');
const methodIdOf = (page: string) => /name="methodId" value="([^"]+)"/.exec(page)?.[1] ?? '';

/** Alice registers her phone for calls on the pages at her first sign-in (PIN mode), then signs out. */
async function registerOnPages(built: Built) {
  const { agent, location } = await formLogin(built.app);
  assert.equal(location, '/mfa/enroll');
  const ask = await agent.get('/mfa/enroll?method=voice').set('Accept', 'text/html');
  assert.equal(ask.status, 200);
  assert.match(ask.text, /<input type="tel" id="phoneNumber" name="phoneNumber"/);
  const page = await submitForm(agent, '/mfa/enroll/start', ask.text, {
    method: 'voice',
    phoneNumber: PHONE_NUMBER,
    pin: PIN,
  });
  assert.equal(page.status, 200, page.text);
  assert.match(page.text, /We are calling you with a code at <strong>\+•• ••• ••23<\/strong>/);
  assert.ok(!page.text.includes(PIN), 'the PIN is never shown back');
  const done = await submitForm(agent, '/mfa/enroll', page.text, {
    draftId: draftIdFrom(page.text),
    code: lastCode(built.outbox),
  });
  assert.equal(done.status, 200);
  assert.match(done.text, /Save your recovery codes/);
  await agent.post('/logout');
  const [method] = await built.mfa.methods.list('alice');
  assert.ok(method, 'registered');
  return method.id;
}

/** The password, then the prompt's Call button: the agent and the page with the number. */
async function called(built: Built) {
  const { agent, prompt } = await promptPage(built);
  const sent = await submitForm(agent, '/mfa/send', prompt, { methodId: methodIdOf(prompt) });
  assert.equal(sent.status, 200, sent.text);
  const number = matchNumberOf(sent.text) ?? '';
  assert.match(number, /^[1-9]\d$/);
  return { agent, page: sent.text, number };
}

/** Words a page about a call must not say: a call has no app. */
function assertNoApp(page: string) {
  assert.doesNotMatch(page, /in the app|the notification|notification to/i);
}

describe('phone call answered on the keypad through the HTML pages', () => {
  it('the setup form asks for the number and a PIN (hidden digits); a guessable PIN is refused with the reason', async () => {
    const built = makeKeypadApp(PIN_MODE);
    const { agent } = await formLogin(built.app);
    const ask = await agent.get('/mfa/enroll?method=voice').set('Accept', 'text/html');
    assert.match(ask.text, /<label for="pin">PIN for sign-in calls<\/label>/);
    const pinInput = /<input type="password" id="pin" name="pin"[^>]*>/.exec(ask.text)?.[0] ?? '';
    assert.ok(pinInput, 'a password input for the PIN');
    assert.match(pinInput, /inputmode="numeric"/);
    assert.match(pinInput, /autocomplete="new-password"/);
    for (const [pin, reason] of [
      ['1234', /too easy to guess/],
      ['12', /4 to 8 digits/],
    ] as const) {
      const weak = await submitForm(agent, '/mfa/enroll/start', ask.text, {
        method: 'voice',
        phoneNumber: PHONE_NUMBER,
        pin,
      });
      assert.equal(weak.status, 400, pin);
      assert.match(weak.text, reason);
      assert.match(weak.text, /name="pin"/, 'the form again');
    }
    assert.equal(built.outbox.messages.length, 0, 'no code call for a refused PIN');
  });

  it('signs in: Call → the number for the keypad → Continue too early (waiting, no attempt) → keys → Continue', async () => {
    const built = makeKeypadApp(PIN_MODE);
    const methodId = await registerOnPages(built);
    const { agent, prompt } = await promptPage(built);
    assert.match(prompt, new RegExp(`<button type="submit" class="secondary">${CALL_BUTTON_RE}</button>`));
    assert.equal(matchNumberOf(prompt), undefined, 'no number before the call');
    // The code field is for the other methods: a keypad call sends no code to type here.
    assert.match(
      prompt,
      /<p class="hint" id="code-hint">Enter the code from your authenticator app or hardware token, or one of your recovery codes\.<\/p>/,
    );
    assert.equal(built.outbox.calls.length, 0, 'no call until asked');

    const sent = await submitForm(agent, '/mfa/send', prompt, { methodId });
    assert.equal(sent.status, 200);
    const number = matchNumberOf(sent.text) ?? '';
    assert.match(number, /^[1-9]\d$/);
    assert.match(
      sent.text,
      new RegExp(
        `We are calling \\+•• ••• ••23\\. When the call asks, enter ${number} on the phone&#39;s keypad, then press Continue\\.`,
      ),
    );
    assert.match(
      sent.text,
      /<p id="match-number-label">When the call to \+•• ••• ••23 asks, enter this number on the keypad:<\/p>/,
    );
    assertContinueForm(sent.text, number, methodId, '/mfa/prompt');
    assertNoApp(sent.text);
    const call = lastCall(built.outbox);
    assert.equal(call.to, '+447700900123');
    assert.ok(!`${call.greeting} ${call.prompt}`.includes(number), 'the call never says the number');
    assert.match(call.prompt, /enter your PIN/);

    // A reloaded prompt shows the same number: nobody is called twice.
    const reloaded = await agent.get('/mfa/prompt').set('Accept', 'text/html');
    assertContinueForm(reloaded.text, number, methodId, '/mfa/prompt');
    assert.equal(built.outbox.calls.length, 1);

    const early = await submitForm(agent, '/mfa/prompt', sent.text, { push: '1', methodId });
    assert.equal(early.status, 202);
    assert.ok(!early.text.includes('class="error"'), 'waiting is not an error');
    assert.match(
      early.text,
      new RegExp(
        `Waiting for your answer: when the call to \\+•• ••• ••23 asks, enter ${number} on the keypad`,
      ),
    );
    assertNoApp(early.text);
    assertContinueForm(early.text, number, methodId, '/mfa/prompt');
    assert.equal((await built.mfa.admin.lockStatus('alice')).attempts, 0, 'waiting costs no attempt');
    assert.equal((await agent.get('/account')).status, 401);

    assert.deepEqual(await pressKeys(built.mfa, built.outbox, approvingKeys(number, PIN_MODE)), {
      outcome: 'approved',
      say: 'Thank you. Your sign-in is approved. Goodbye.',
    });
    const done = await submitForm(agent, '/mfa/prompt', early.text, { push: '1', methodId });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, '/account');
    const account = await agent.get('/account');
    assert.equal(account.status, 200);
    assert.deepEqual(account.body.amr, ['pwd', 'tel', 'pin', 'mfa']);
    assert.ok(built.events.some((e) => e.type === 'call_answered' && e.detail === 'approved'));
  });

  // A wrong PIN also counts against the phone when the call hands it over (engine tests); under
  // the lockout, both count once, when Continue finds no approval — like a wrong code.
  for (const [what, keysFor, reason] of [
    ['a wrong number', (n: string) => approvingKeys(otherNumber(n), PIN_MODE), 'number_mismatch'],
    ['a wrong PIN', (n: string) => `9753${n}`, 'pin_mismatch'],
  ] as const) {
    it(`${what} on the keypad: Continue is a 401 "not approved", and a new call can be placed`, async () => {
      const built = makeKeypadApp(PIN_MODE);
      const methodId = await registerOnPages(built);
      const { agent, page, number } = await called(built);
      const answered = await pressKeys(built.mfa, built.outbox, keysFor(number));
      assert.equal(answered.outcome, 'denied');
      assert.match(answered.say, /did not match/);
      assert.deepEqual(
        built.events.filter((e) => e.type === 'call_answered').map((e) => [e.detail, e.data]),
        [['denied', { reason }]],
        'the audit says why',
      );
      assert.equal(
        (await built.mfa.admin.lockStatus('alice')).consecutiveFailures,
        0,
        'nothing until Continue',
      );
      const denied = await submitForm(agent, '/mfa/prompt', page, { push: '1', methodId });
      assert.equal(denied.status, 401);
      assert.match(denied.text, NOT_APPROVED);
      assert.equal(matchNumberOf(denied.text), undefined, 'no number to enter any more');
      assert.match(denied.text, new RegExp(CALL_BUTTON_RE), 'the Call button is offered again');
      assert.equal((await agent.get('/account')).status, 401);
      assert.equal((await built.mfa.admin.lockStatus('alice')).consecutiveFailures, 1);
      const again = await submitForm(agent, '/mfa/send', denied.text, { methodId });
      assert.equal(again.status, 200, again.text);
      await pressKeys(built.mfa, built.outbox, approvingKeys(matchNumberOf(again.text) ?? '', PIN_MODE));
      assert.equal((await submitForm(agent, '/mfa/prompt', again.text, { push: '1', methodId })).status, 303);
    });
  }

  it("attack: keys for another browser's call do not approve this sign-in, nor a call it did not place", async () => {
    const built = makeKeypadApp(PIN_MODE);
    const methodId = await registerOnPages(built);
    const victim = await called(built);
    const victimCall = lastCall(built.outbox);
    // The attacker, past Alice's password: a call is refused while the victim's waits, so the
    // phone never rings with the attacker's request in place of hers.
    const attacker = await promptPage(built);
    const refused = await submitForm(attacker.agent, '/mfa/send', attacker.prompt, { methodId });
    assert.equal(refused.status, 429);
    assert.match(refused.text, /already waiting for an answer/);
    assert.equal(built.outbox.calls.length, 1, 'no second call');
    // Alice approves her own call: the attacker's Continue gets nothing from it.
    await pressKeys(built.mfa, built.outbox, approvingKeys(victim.number, PIN_MODE), victimCall);
    const stolen = await submitForm(attacker.agent, '/mfa/prompt', attacker.prompt, { push: '1', methodId });
    assert.equal(stolen.status, 401);
    assert.match(stolen.text, NOT_APPROVED);
    assert.equal((await attacker.agent.get('/account')).status, 401);
    // The keys again, replayed to the webhook: the call is answered already.
    const replayed = await pressKeys(
      built.mfa,
      built.outbox,
      approvingKeys(victim.number, PIN_MODE),
      victimCall,
    );
    assert.equal(replayed.outcome, 'ended');
    // A forged call id approves nothing.
    const forged = await built.mfa.phoneCalls.keypad({
      callId: 'x'.repeat(24),
      keys: `${PIN}${victim.number}#`,
    });
    assert.equal(forged.outcome, 'ended');
    assert.equal(
      (await submitForm(attacker.agent, '/mfa/prompt', attacker.prompt, { push: '1', methodId })).status,
      401,
    );
    // Alice's own Continue signs her in, once.
    assert.equal(
      (await submitForm(victim.agent, '/mfa/prompt', victim.page, { push: '1', methodId })).status,
      303,
    );
    assert.equal((await victim.agent.get('/account')).status, 200);
  });

  it('a fraud report (0#) fails Continue, signs the user out and refuses calls on the page saying why', async () => {
    const built = makeKeypadApp(PIN_MODE);
    const methodId = await registerOnPages(built);
    // Alice signed in on another computer with a call earlier.
    const elsewhere = await called(built);
    await pressKeys(built.mfa, built.outbox, approvingKeys(elsewhere.number, PIN_MODE));
    await submitForm(elsewhere.agent, '/mfa/prompt', elsewhere.page, { push: '1', methodId }).expect(303);
    assert.equal((await elsewhere.agent.get('/account')).status, 200);
    built.clock.advance(60_000);
    const { agent, page } = await called(built);
    const reported = await pressKeys(built.mfa, built.outbox, '0');
    assert.deepEqual(reported, {
      outcome: 'fraud',
      say: 'Thank you. The sign-in was blocked and reported. Goodbye.',
    });
    assert.notEqual(await built.stores.repository.getFraudFlag('alice'), null, 'the user is flagged');
    const refused = await submitForm(agent, '/mfa/prompt', page, { push: '1', methodId });
    assert.equal(refused.status, 401);
    assert.match(refused.text, NOT_APPROVED);
    assert.equal((await agent.get('/account')).status, 401, 'the reported sign-in does not complete');
    assert.equal((await elsewhere.agent.get('/account')).status, 401, 'signed out everywhere');
    // The next sign-in: the Call button answers with why, and nobody is called.
    const next = await promptPage(built);
    const blocked = await submitForm(next.agent, '/mfa/send', next.prompt, { methodId });
    assert.equal(blocked.status, 403);
    assert.match(
      blocked.text,
      /<p class="error" role="alert">Calls are paused because a sign-in request was reported as fraud/,
    );
    assert.equal(built.outbox.calls.length, 2, 'no call placed');
  });

  it('steps up on the verify page: Call, the number, waiting until the keys, then the page asked for', async () => {
    const built = makeKeypadApp(PIN_MODE);
    const methodId = await registerOnPages(built);
    const first = await called(built);
    await pressKeys(built.mfa, built.outbox, approvingKeys(first.number, PIN_MODE));
    const { agent } = first;
    assert.equal((await submitForm(agent, '/mfa/prompt', first.page, { push: '1', methodId })).status, 303);
    built.clock.advance(6 * 60_000);
    const stale = await agent.get('/admin').set('Accept', 'text/html');
    assert.equal(stale.status, 303);
    const verify = await agent.get(stale.headers.location ?? '').set('Accept', 'text/html');
    assert.match(verify.text, new RegExp(CALL_BUTTON_RE));
    const stepSent = await submitForm(agent, '/mfa/send', verify.text, { methodId, returnTo: '/admin' });
    assert.equal(stepSent.status, 200);
    const number = matchNumberOf(stepSent.text) ?? '';
    assertContinueForm(stepSent.text, number, methodId, '/mfa/verify');
    assert.match(stepSent.text, /enter this number on the keypad/);
    assert.doesNotMatch(stepSent.text, /Send a code to your phone/, 'no code is sent by the call');
    assertNoApp(stepSent.text);
    assert.match(stepSent.text, /name="returnTo" value="\/admin"/);
    const early = await submitForm(agent, '/mfa/verify', stepSent.text, {
      push: '1',
      methodId,
      returnTo: '/admin',
    });
    assert.equal(early.status, 202);
    assert.match(early.text, /Waiting for your answer/);
    assertContinueForm(early.text, number, methodId, '/mfa/verify');
    assert.equal((await agent.get('/admin')).status, 401);
    await pressKeys(built.mfa, built.outbox, approvingKeys(number, PIN_MODE));
    const done = await submitForm(agent, '/mfa/verify', early.text, {
      push: '1',
      methodId,
      returnTo: '/admin',
    });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, '/admin');
    assert.equal((await agent.get('/admin')).status, 200);
  });
});
