// Text message and phone call through the Express HTML pages: the setup page asks for the
// number first, then shows the code field; the prompt offers a button per phone and sends only
// when pressed; step-up the same; and the forms are CSRF-protected like every other.
import assert from 'node:assert/strict';
import type request from 'supertest';
import type { Outbox } from '../../../src/index.ts';
import { csrfFrom, formLogin } from '../../helpers/flows.ts';
import { lastCode } from '../../helpers/phone.ts';
import { draftIdFrom, makePhoneApp, phoneSetupPage } from '../../helpers/phone-app.ts';

const NUMBER = '+44 7700 900123';

/** Submits the setup page's form with the code last sent: the page that answers. */
function confirmSetup(agent: ReturnType<typeof request.agent>, page: { text: string }, outbox: Outbox) {
  return agent
    .post('/mfa/enroll')
    .type('form')
    .set('Accept', 'text/html')
    .send({ _csrf: csrfFrom(page.text), draftId: draftIdFrom(page.text), code: lastCode(outbox) });
}

/** Alice registers her phone through the pages at her first sign-in; her signed-in agent. */
async function registerThroughPages(built: ReturnType<typeof makePhoneApp>) {
  const { agent, location } = await formLogin(built.app);
  assert.equal(location, '/mfa/enroll');
  const page = await phoneSetupPage(agent, 'sms', NUMBER);
  const done = await confirmSetup(agent, page, built.outbox);
  assert.equal(done.status, 200);
  assert.match(done.text, /Save your recovery codes/);
  return agent;
}

describe('text message and phone call through the HTML pages', () => {
  it('setup asks for the number, refuses a bad one with the reason, then takes the code sent to it', async () => {
    const built = makePhoneApp();
    const { agent } = await formLogin(built.app);
    const chooser = await agent.get('/mfa/enroll').set('Accept', 'text/html');
    assert.match(chooser.text, /href="\/mfa\/enroll\?method=sms">Text message</);
    assert.match(chooser.text, /href="\/mfa\/enroll\?method=voice">Phone call</);
    const bad = await phoneSetupPage(agent, 'sms', '0770 0900');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /Enter the phone number with its country code/);
    assert.match(bad.text, /name="phoneNumber"/, 'the form again');
    assert.equal(built.outbox.messages.length, 0);
    const page = await phoneSetupPage(agent, 'sms', NUMBER);
    assert.equal(page.status, 200);
    assert.match(page.text, /We sent a text message with a code to <strong>\+•• ••• ••23<\/strong>/);
    assert.match(page.text, /autocomplete="one-time-code"/);
    assert.ok(!page.text.includes('7700'), 'never the full number');
    // A reload shows the same draft and sends nothing more.
    const reload = await agent.get('/mfa/enroll').set('Accept', 'text/html');
    assert.equal(draftIdFrom(reload.text), draftIdFrom(page.text));
    assert.equal(built.outbox.messages.length, 1);
    const done = await confirmSetup(agent, page, built.outbox);
    assert.equal(done.status, 200);
    assert.match(done.text, /Save your recovery codes/);
    assert.equal((await agent.get('/account')).status, 200);
  });

  it('no code came: the setup page links back to the number form, and the new code completes it', async () => {
    const built = makePhoneApp();
    const { agent } = await formLogin(built.app);
    const page = await phoneSetupPage(agent, 'sms', '+44 7700 900999');
    const again = /href="([^"]+)">No code\? Send a new one, or use another number/.exec(page.text)?.[1] ?? '';
    assert.equal(again.replace(/&amp;/g, '&'), '/mfa/enroll?method=sms&new=1');
    const ask = await agent.get(again.replace(/&amp;/g, '&')).set('Accept', 'text/html');
    assert.match(ask.text, /name="phoneNumber"/);
    const second = await agent
      .post('/mfa/enroll/start')
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(ask.text), method: 'sms', phoneNumber: NUMBER });
    assert.notEqual(draftIdFrom(second.text), draftIdFrom(page.text));
    assert.equal(built.outbox.messages.length, 2);
    const done = await confirmSetup(agent, second, built.outbox);
    assert.equal(done.status, 200);
    const [method] = await built.mfa.methods.list('alice');
    assert.equal(method?.description, 'Text message to +•• ••• ••23', 'the number given last');
  });

  it('the prompt offers a button per phone, sends only when pressed, then takes the code', async () => {
    const built = makePhoneApp();
    const first = await registerThroughPages(built);
    await first.post('/logout');
    const { agent, location } = await formLogin(built.app);
    assert.equal(location, '/mfa/prompt');
    const prompt = await agent.get('/mfa/prompt').set('Accept', 'text/html');
    const sent = built.outbox.messages.length;
    assert.match(
      prompt.text,
      /<button type="submit" class="secondary">Text a code to \+•• ••• ••23<\/button>/,
    );
    assert.equal(built.outbox.messages.length, sent, 'showing the prompt sends nothing');
    assert.match(
      prompt.text,
      /id="code-hint">Send a code to your phone with a button above and enter it here/,
    );
    const methodId = /name="methodId" value="([^"]+)"/.exec(prompt.text)?.[1] ?? '';
    const after = await agent
      .post('/mfa/send')
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(prompt.text), methodId });
    assert.equal(after.status, 200);
    assert.match(after.text, /We sent a code to \+•• ••• ••23\./);
    assert.match(after.text, /name="code"/);
    const done = await agent
      .post('/mfa/prompt')
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(after.text), code: lastCode(built.outbox) });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, '/account');
    const account = await agent.get('/account');
    assert.deepEqual(account.body.amr, ['pwd', 'sms', 'mfa']);
  });

  it('the send and setup forms need the CSRF token', async () => {
    const built = makePhoneApp();
    const { agent } = await formLogin(built.app);
    const noToken = await agent
      .post('/mfa/enroll/start')
      .type('form')
      .set('Accept', 'text/html')
      .send({ method: 'sms', phoneNumber: NUMBER });
    assert.equal(noToken.status, 403);
    const send = await agent
      .post('/mfa/send')
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: 'forged', methodId: 'abc' });
    assert.equal(send.status, 403);
    assert.equal(built.outbox.messages.length, 0);
  });

  it('step-up: the verify page offers the phone, and the code sent raises the session', async () => {
    const built = makePhoneApp();
    const agent = await registerThroughPages(built);
    built.clock.advance(10 * 60_000);
    const verify = await agent.get('/mfa/verify?returnTo=/admin').set('Accept', 'text/html');
    assert.match(verify.text, /Text a code to \+•• ••• ••23/);
    const methodId = /name="methodId" value="([^"]+)"/.exec(verify.text)?.[1] ?? '';
    const after = await agent
      .post('/mfa/send')
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(verify.text), methodId, returnTo: '/admin' });
    assert.equal(after.status, 200);
    assert.match(after.text, /We sent a code/);
    const done = await agent
      .post('/mfa/verify')
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(after.text), code: lastCode(built.outbox), returnTo: '/admin' });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, '/admin');
    assert.equal((await agent.get('/admin')).status, 200);
  });
});
