// Text message and phone call in a Passport app (the 'mfa' strategy and mfaPage): the page
// offers a send button per phone and says where the code went; a first method asks for the
// number on the page, refuses a bad one with the reason, and takes the code sent to it; a send
// for another user's phone is refused.
import assert from 'node:assert/strict';
import { outboxDelivery } from '../../src/index.ts';
import { inputValue } from '../helpers/browser.ts';
import { lastCode, PHONE_METHODS, registerPhone } from '../helpers/phone.ts';
import { makePassportApp } from './mfa-strategy/fixtures.ts';
import { alertOf, mfaPageOf, passwordStep, recoveryCodesOf } from './passport-flows.ts';

const NUMBER = '+44 7700 900123';

function phoneApp() {
  const outbox = outboxDelivery({ print: false });
  return { ...makePassportApp({ methods: PHONE_METHODS, phone: { delivery: outbox } }), outbox };
}

describe('mfakit/passport: text message and phone call', () => {
  it('signs in with a text: the send button, the notice, the code', async () => {
    const t = phoneApp();
    await registerPhone(t.mfa, t.outbox, 'alice', 'sms', NUMBER);
    const { agent } = await passwordStep(t.app, 'alice');
    const sent = t.outbox.messages.length;
    const page = await mfaPageOf(agent);
    assert.match(page.text, /Text a code to \+•• ••• ••23/);
    assert.match(page.text, /<form method="post" action="\/login\/mfa" class="send">/);
    assert.equal(t.outbox.messages.length, sent, 'the page sends nothing by itself');
    const send = await agent
      .post('/login/mfa')
      .type('form')
      .send({ methodId: inputValue(page.text, 'methodId') });
    assert.equal(send.status, 303);
    assert.equal(send.headers.location, '/login/mfa');
    const after = await mfaPageOf(agent);
    assert.match(after.text, /We sent a code to \+•• ••• ••23\./);
    assert.doesNotMatch((await mfaPageOf(agent)).text, /We sent a code/, 'said once');
    const done = await agent
      .post('/login/mfa')
      .type('form')
      .send({ code: lastCode(t.outbox) });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(done.body.amr, ['pwd', 'sms', 'mfa']);
  });

  it("refuses to send to another user's phone", async () => {
    const t = phoneApp();
    const alices = await registerPhone(t.mfa, t.outbox, 'alice', 'sms', NUMBER);
    await registerPhone(t.mfa, t.outbox, 'bob', 'voice', '+44 7700 900456');
    const { agent } = await passwordStep(t.app, 'bob');
    const sent = t.outbox.messages.length;
    const send = await agent.post('/login/mfa').type('form').send({ methodId: alices });
    assert.equal(send.status, 404);
    assert.equal(t.outbox.messages.length, sent);
  });

  it('a first sign-in registers a phone: the number first (a bad one refused), then the code', async () => {
    const t = phoneApp();
    const { agent } = await passwordStep(t.app, 'alice');
    const chooser = await mfaPageOf(agent);
    assert.match(chooser.text, /Text message/);
    const ask = await agent.get('/login/mfa?method=sms').set('Accept', 'text/html');
    assert.match(ask.text, /name="phoneNumber"/);
    assert.match(ask.text, /<input type="hidden" name="method" value="sms">/);
    const bad = await agent.post('/login/mfa').type('form').send({ method: 'sms', phoneNumber: '0770' });
    assert.equal(bad.status, 400);
    const again = await mfaPageOf(agent);
    assert.match(alertOf(again.text) ?? '', /Enter the phone number with its country code/);
    assert.match(again.text, /name="phoneNumber"/);
    const begun = await agent.post('/login/mfa').type('form').send({ method: 'sms', phoneNumber: NUMBER });
    assert.equal(begun.status, 303);
    const setup = await mfaPageOf(agent);
    assert.match(setup.text, /\+•• ••• ••23/);
    assert.match(setup.text, /href="\/login\/mfa\?method=sms&amp;new=1">No code\?/);
    const askAgain = await agent.get('/login/mfa?method=sms&new=1').set('Accept', 'text/html');
    assert.match(askAgain.text, /name="phoneNumber"/, 'the number form again');
    const confirmed = await agent
      .post('/login/mfa')
      .type('form')
      .send({ draftId: inputValue(setup.text, 'draftId'), code: lastCode(t.outbox) });
    assert.equal(confirmed.status, 303, confirmed.text);
    assert.equal(recoveryCodesOf((await mfaPageOf(agent)).text).length, 10);
    const done = await agent.post('/login/mfa').type('form').send({});
    assert.equal(done.status, 200);
    assert.deepEqual(done.body.amr, ['pwd', 'sms', 'mfa']);
  });
});
