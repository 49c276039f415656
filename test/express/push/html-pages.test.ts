// Push notifications through the Express HTML pages, the phone app talking over HTTP to the same
// app's device API: the prompt offers a notification, the page shows the number to type into the
// app and a Continue button; Continue before the approval shows the same number again (202, no
// attempt counted); a denial is an error like a wrong code; step-up the same on the verify page;
// a user who reported fraud gets a 403 page saying why. Registering an app from the settings
// page: the QR code (decoded as a phone camera would) and the code the app then shows.
import assert from 'node:assert/strict';
import { makePushApp, registerPushOverApi } from '../../helpers/app.ts';
import { assertContinueForm, matchNumberOf } from '../../helpers/approval-page.ts';
import { enrolUser, promptPage, signIn, submitForm } from '../../helpers/flows.ts';
import { decodeQrSvg, requireTools } from '../../helpers/peers.ts';
import { draftIdFrom } from '../../helpers/phone-app.ts';
import { PUSH_ENDPOINT } from '../../helpers/push.ts';
import { createPushApp, readActivationUri, supertestTransport } from '../../helpers/push-app.ts';

describe('push notifications through the HTML pages', () => {
  it('signs in: send → the number → Continue too early (202, same number, no attempt) → app approves → Continue → signed in', async () => {
    const built = makePushApp();
    const { phone, methodId } = await registerPushOverApi(built, 'alice');
    const { agent, prompt } = await promptPage(built);
    assert.match(prompt, /<button type="submit" class="secondary">Send a notification to Pixel 9<\/button>/);
    assert.equal(matchNumberOf(prompt), undefined, 'no number before a notification is sent');
    assert.equal(built.outbox.notifications.length, 0, 'nothing sent until asked');

    const sent = await submitForm(agent, '/mfa/send', prompt, { methodId });
    assert.equal(sent.status, 200);
    const number = matchNumberOf(sent.text) ?? '';
    assert.match(number, /^[1-9]\d$/);
    assert.match(sent.text, new RegExp(`Enter ${number} in the app and approve, then press Continue`));
    assertContinueForm(sent.text, number, methodId, '/mfa/prompt');

    // A reloaded prompt shows the same number and Continue: nothing is sent again.
    const reloaded = await agent.get('/mfa/prompt').set('Accept', 'text/html');
    assertContinueForm(reloaded.text, number, methodId, '/mfa/prompt');
    assert.equal(built.outbox.notifications.length, 1);

    const early = await submitForm(agent, '/mfa/prompt', sent.text, { push: '1', methodId });
    assert.equal(early.status, 202);
    assert.ok(!early.text.includes('class="error"'), 'waiting is not an error');
    assert.match(early.text, /Waiting for your approval/);
    assertContinueForm(early.text, number, methodId, '/mfa/prompt');
    assert.equal((await built.mfa.admin.lockStatus('alice')).attempts, 0, 'waiting costs no attempt');
    assert.equal((await agent.get('/account')).status, 401);

    // Another browser at Alice's password: this approval is not theirs.
    const other = await promptPage(built);
    assert.deepEqual((await phone.approve(number)).body, { answer: 'approved' });
    const stolen = await submitForm(other.agent, '/mfa/prompt', other.prompt, {
      push: '1',
      methodId,
    });
    assert.equal(stolen.status, 401);
    assert.match(stolen.text, /class="error"/);
    assert.equal((await other.agent.get('/account')).status, 401);

    const done = await submitForm(agent, '/mfa/prompt', early.text, { push: '1', methodId });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, '/account');
    const account = await agent.get('/account');
    assert.equal(account.status, 200);
    assert.deepEqual(account.body.amr, ['pwd', 'swk', 'mfa']);
    assert.deepEqual((await agent.get('/payroll')).body.methods, ['password', 'push']);
  });

  it('a denied notification is a 401 with the error, like a wrong code; a new one can be sent', async () => {
    const built = makePushApp();
    const { phone, methodId } = await registerPushOverApi(built, 'alice');
    const { agent, prompt } = await promptPage(built);
    const sent = await submitForm(agent, '/mfa/send', prompt, { methodId });
    const [notification] = (await phone.pending()).body.notifications;
    assert.equal((await phone.answer(notification.id, 'deny')).body.answer, 'denied');
    const denied = await submitForm(agent, '/mfa/prompt', sent.text, { push: '1', methodId });
    assert.equal(denied.status, 401);
    assert.match(denied.text, /<p class="error" role="alert">The sign-in was not approved\./);
    assert.equal(matchNumberOf(denied.text), undefined, 'no number to enter any more');
    assert.match(denied.text, /Send a notification to Pixel 9/, 'the send button is offered again');
    const again = await submitForm(agent, '/mfa/send', denied.text, { methodId });
    await phone.approve(matchNumberOf(again.text) ?? '');
    assert.equal((await submitForm(agent, '/mfa/prompt', again.text, { push: '1', methodId })).status, 303);
  });

  it('steps up on the verify page: the number, 202 until approved, then on to the page asked for', async () => {
    const built = makePushApp();
    const { phone, methodId } = await registerPushOverApi(built, 'alice');
    const { agent, prompt } = await promptPage(built);
    const sent = await submitForm(agent, '/mfa/send', prompt, { methodId });
    await phone.approve(matchNumberOf(sent.text) ?? '');
    assert.equal((await submitForm(agent, '/mfa/prompt', sent.text, { push: '1', methodId })).status, 303);
    built.clock.advance(6 * 60_000);
    const stale = await agent.get('/admin').set('Accept', 'text/html');
    assert.equal(stale.status, 303);
    const verify = await agent.get(stale.headers.location ?? '').set('Accept', 'text/html');
    assert.match(verify.text, /Send a notification to Pixel 9/);
    const stepSent = await submitForm(agent, '/mfa/send', verify.text, { methodId, returnTo: '/admin' });
    assert.equal(stepSent.status, 200);
    const number = matchNumberOf(stepSent.text) ?? '';
    assertContinueForm(stepSent.text, number, methodId, '/mfa/verify');
    assert.match(stepSent.text, /name="returnTo" value="\/admin"/);
    const early = await submitForm(agent, '/mfa/verify', stepSent.text, {
      push: '1',
      methodId,
      returnTo: '/admin',
    });
    assert.equal(early.status, 202);
    assertContinueForm(early.text, number, methodId, '/mfa/verify');
    assert.ok(!early.text.includes('class="error"'));
    assert.equal((await agent.get('/admin')).status, 401);
    await phone.approve(number);
    const done = await submitForm(agent, '/mfa/verify', early.text, {
      push: '1',
      methodId,
      returnTo: '/admin',
    });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, '/admin');
    assert.equal((await agent.get('/admin')).status, 200);
  });

  it('after a fraud report, sending is refused on the same page saying why (403), beside the other methods', async () => {
    const built = makePushApp();
    const { phone, methodId, recoveryCodes } = await registerPushOverApi(built, 'alice');
    const first = await promptPage(built);
    await submitForm(first.agent, '/mfa/send', first.prompt, { methodId });
    const [notification] = (await phone.pending()).body.notifications;
    assert.equal((await phone.answer(notification.id, 'fraud')).body.answer, 'fraud');
    const paused = /Notifications are paused because a sign-in request was reported as fraud/;
    const { agent, prompt } = await promptPage(built);
    const blocked = await submitForm(agent, '/mfa/send', prompt, { methodId });
    assert.equal(blocked.status, 403);
    assert.match(blocked.headers['content-type'] ?? '', /text\/html/);
    assert.match(blocked.text, /<p class="error" role="alert">Notifications are paused/);
    assert.equal(matchNumberOf(blocked.text), undefined);
    assert.match(blocked.text, /name="code"/, 'the code form for the other methods');
    // The prompt again: a recovery code still signs in.
    const signedIn = await submitForm(agent, '/mfa/prompt', blocked.text, { code: recoveryCodes[0] ?? '' });
    assert.equal(signedIn.status, 303);
    assert.equal((await agent.get('/account')).status, 200);
    // A step-up of that session: the verify page again, saying why.
    built.clock.advance(6 * 60_000);
    const verify = await agent.get('/mfa/verify?returnTo=%2Fadmin').set('Accept', 'text/html');
    const stepUp = await submitForm(agent, '/mfa/send', verify.text, { methodId, returnTo: '/admin' });
    assert.equal(stepUp.status, 403);
    assert.match(stepUp.text, /<h1>Confirm it's you<\/h1>/);
    assert.match(stepUp.text, paused);
    assert.match(stepUp.text, /name="returnTo" value="\/admin"/);
    // The JSON API says the same with a 403.
    const json = await agent.post('/mfa/api/send').send({ methodId });
    assert.equal(json.status, 403);
    assert.deepEqual(Object.keys(json.body).sort(), ['error', 'message']);
    assert.equal(json.body.error, 'send_blocked');
    assert.match(json.body.message, paused);
    assert.equal(built.outbox.notifications.length, 1, 'nothing more was sent');
  });

  it('registers an app from the settings page: QR code → the app activates → its code → listed; removed again', async function () {
    requireTools(this, 'zbarimg', 'rsvg-convert');
    const built = makePushApp();
    const { secret } = await enrolUser(built.app, built.clock, 'alice');
    const { agent } = await signIn(built.app, built.clock, 'alice', secret);
    const settings = await agent.get('/mfa/settings').set('Accept', 'text/html');
    assert.match(
      settings.text,
      /href="\/mfa\/enroll\?method=push">Add a method: Notifications to your phone app</,
    );
    const page = await agent.get('/mfa/enroll?method=push').set('Accept', 'text/html');
    assert.equal(page.status, 200);
    assert.match(page.text, /<h1>Set up notifications in your app<\/h1>/);
    assert.match(page.text, /<label for="code">Code shown in the app<\/label>/);
    const svg = /<svg[\s\S]*?<\/svg>/.exec(page.text)?.[0];
    assert.ok(svg, 'the page shows a QR code');
    const uri = decodeQrSvg(svg);
    const link = readActivationUri(uri);
    assert.equal(link.endpoint, PUSH_ENDPOINT);
    assert.equal(link.service, 'Test Co');
    assert.equal(link.account, 'alice');
    assert.match(
      page.text,
      new RegExp(
        `id="activation-link">${uri.replaceAll('&', '&amp;').replaceAll('+', '\\+').replaceAll('?', '\\?')}<`,
      ),
      'the link beside the QR is the link it holds',
    );

    // Before the app activated, no code confirms; a wrong code after neither.
    const draftId = draftIdFrom(page.text);
    const early = await submitForm(agent, '/mfa/enroll', page.text, { draftId, code: '123456' });
    assert.equal(early.status, 303);
    assert.equal(early.headers.location, '/mfa/enroll?error=1');
    const phone = await createPushApp(supertestTransport(built.app), {
      now: () => built.clock.now(),
      name: 'Pixel 9',
    });
    const activated = await phone.activate(uri);
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    const code: string = activated.body.confirmationCode;
    const wrong = await submitForm(agent, '/mfa/enroll', page.text, {
      draftId,
      code: code === '000000' ? '111111' : '000000',
    });
    assert.equal(wrong.headers.location, '/mfa/enroll?error=1');
    assert.equal((await built.mfa.methods.list('alice')).length, 1, 'only the authenticator app');
    const done = await submitForm(agent, '/mfa/enroll', page.text, { draftId, code });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, '/mfa/settings?notice=enrolled');
    const listed = await agent.get('/mfa/settings?notice=enrolled').set('Accept', 'text/html');
    assert.match(listed.text, /Notifications to Pixel 9/);
    const methodId = activated.body.deviceId as string;
    assert.match(listed.text, new RegExp(`action="/mfa/methods/${methodId}/remove"`));

    const removed = await submitForm(agent, `/mfa/methods/${methodId}/remove`, listed.text, {});
    assert.equal(removed.status, 303);
    assert.equal(removed.headers.location, '/mfa/settings?notice=removed');
    const after = await agent.get('/mfa/settings').set('Accept', 'text/html');
    assert.ok(!after.text.includes('Notifications to Pixel 9'));
    const gone = await phone.pending();
    assert.ok(gone.status >= 400 && gone.status < 500, `a removed app is refused (${gone.status})`);
  });
});
