// Push notifications in a Passport app — the README's (examples/passport/app.ts), whose
// mfakit/express router at /mfa serves the device API at /mfa/device: the page's send button, the
// number shown large with Continue, Continue pressed before the app answered (the page again with
// the same number: no Passport failure, no attempt counted), the app approving over HTTP, and the
// ways it must not sign in — denied, a wrong number, an approval given for another browser's
// sign-in of the same user, lapsed; and a first sign-in registering the app on the page.
import assert from 'node:assert/strict';
import type { Agent } from 'supertest';
import type { User } from '../../examples/passport/app.ts';
import { pushMethod, pushOutbox, recoveryCode, totp } from '../../src/index.ts';
import { matchNumberOf } from '../helpers/approval-page.ts';
import { inputValue } from '../helpers/browser.ts';
import { PUSH_ENDPOINT, registerPushApp } from '../helpers/push.ts';
import { createPushApp, supertestTransport } from '../helpers/push-app.ts';
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

async function pushApp() {
  const clock = testClock();
  const methods = [
    totp,
    pushMethod({ endpoint: PUSH_ENDPOINT, delivery: pushOutbox({ print: false }) }),
    recoveryCode,
  ];
  const { app, mfa } = createExampleApp({ users: USERS, clock, engine: { methods } });
  addSessionWindow(app);
  // Alice's phone app, registered with its activation over HTTP to the app's device API.
  const phone = await registerPushApp(mfa, clock, ALICE, {
    name: 'Pixel 9',
    transport: supertestTransport(app, '/mfa/device'),
  });
  return { app, mfa, clock, phone: phone.app, methodId: phone.methodId };
}

type PushTest = Awaited<ReturnType<typeof pushApp>>;

/** The password, then the page's "Send a notification" button: the number the page then shows. */
async function sendNotification(t: PushTest, agent?: Agent): Promise<{ agent: Agent; number: string }> {
  const signedIn = await passwordStep(t.app, 'alice', agent);
  const prompt = await mfaPageOf(signedIn.agent);
  assert.match(prompt.text, /Send a notification to Pixel 9/);
  assert.equal(matchNumberOf(prompt.text), undefined, 'no number before a notification is sent');
  const send = await signedIn.agent.post('/login/mfa').type('form').send({ methodId: t.methodId });
  assert.equal(send.status, 303, send.text);
  assert.equal(send.headers.location, '/login/mfa');
  const page = await mfaPageOf(signedIn.agent);
  const number = matchNumberOf(page.text);
  assert.ok(number, page.text);
  return { agent: signedIn.agent, number };
}

/** Continue as the page showed it before the app answered (push=1 for that method). */
const continueOn = (agent: Agent, methodId: string) =>
  agent.post('/login/mfa').type('form').send({ push: '1', methodId });

describe('mfakit/passport: push notifications', () => {
  it('signs in: send, the number, Continue too early (no failure), the app approves, Continue', async () => {
    const t = await pushApp();
    const { agent, number } = await sendNotification(t);
    const sentPage = await mfaPageOf(agent);
    assert.equal(matchNumberOf(sentPage.text), number, 'the number stays on the page until answered');
    assert.match(sentPage.text, /Enter this number in the app on Pixel 9/);

    // Continue before the app answered: the page again, no failure, no attempt counted.
    const early = await pressContinue(agent);
    assert.equal(early.status, 303, early.text);
    assert.equal(early.headers.location, '/login/mfa');
    assert.deepEqual((await sessionOf(agent)).messages, [], 'no failureMessage');
    const waiting = await mfaPageOf(agent);
    assert.equal(alertOf(waiting.text), null, 'no error on the page');
    assert.match(noticeOf(waiting.text) ?? '', new RegExp(`Waiting for your approval.*enter ${number}`));
    assert.equal(matchNumberOf(waiting.text), number, 'the same number');
    assert.deepEqual(await t.mfa.admin.lockStatus(ALICE), { attempts: 0, consecutiveFailures: 0 });
    assert.equal((await sessionOf(agent)).user, null, 'not signed in yet');

    // The app, over HTTP to the README app's /mfa/device: it is never told the number.
    const pending = await t.phone.pending();
    assert.equal(pending.status, 200);
    assert.ok(!JSON.stringify(pending.body).includes(`"${number}"`), 'the number is not sent to the app');
    assert.equal((await t.phone.approve(number)).status, 200);

    const done = await pressContinue(agent);
    assert.equal(done.status, 302, done.text);
    assert.equal(done.headers.location, '/');
    assert.equal((await agent.get('/')).text, 'Hello Alice');
    const session = await sessionOf(agent);
    assert.equal(session.user?.id, ALICE);
    assert.ok(session.stamp?.amr.includes('swk'), JSON.stringify(session.stamp));
    assert.ok(session.stamp?.methods.includes('push'));
    // The approval was used once: the page has no sign-in in progress any more.
    const after = await mfaPageOf(agent);
    assert.equal(after.status, 303);
  });

  for (const how of ['denied', 'approved with another number'] as const) {
    it(`a notification ${how} fails like a wrong code`, async () => {
      const t = await pushApp();
      const { agent, number } = await sendNotification(t);
      const waiting = await t.phone.pending();
      const tx = waiting.body.notifications[0].id;
      const wrong = number === '99' ? '98' : String(Number(number) + 1);
      const answered =
        how === 'denied' ? await t.phone.answer(tx, 'deny') : await t.phone.answer(tx, 'approve', wrong);
      assert.equal(answered.status, 200, JSON.stringify(answered.body));
      // The answered notification is off a reloaded page; the page the user still has posts Continue.
      assert.equal(matchNumberOf((await mfaPageOf(agent)).text), undefined);
      const res = await continueOn(agent, t.methodId);
      // Passport's failure: the example's failureRedirect, with its failureMessage.
      assert.equal(res.status, 302);
      assert.equal(res.headers.location, '/login/mfa');
      const session = await sessionOf(agent);
      assert.equal(session.user, null);
      assert.deepEqual(session.messages, [NOT_APPROVED]);
      const page = await mfaPageOf(agent);
      assert.equal(alertOf(page.text), NOT_APPROVED);
      assert.equal(matchNumberOf(page.text), undefined, 'that notification is over: no Continue');
      assert.match(page.text, /Send a notification to Pixel 9/, 'a new one can be sent');
      assert.equal((await t.mfa.admin.lockStatus(ALICE)).consecutiveFailures, 1, 'an attempt counted');
    });
  }

  it("an approval for one browser's sign-in does not complete another browser's", async () => {
    const t = await pushApp();
    const victim = await sendNotification(t);
    assert.equal((await t.phone.approve(victim.number)).status, 200);

    // Another browser past the same password, sent nothing: Continue is a wrong code there.
    const { agent: other } = await passwordStep(t.app, 'alice');
    const forged = await other.post('/login/mfa').type('form').send({ push: '1', methodId: t.methodId });
    assert.equal(forged.status, 302);
    assert.equal((await sessionOf(other)).user, null);
    assert.equal(alertOf((await mfaPageOf(other)).text), NOT_APPROVED);

    // Its own notification, not answered: it waits, whatever was approved for the victim.
    const second = await sendNotification(t, other);
    const stillWaiting = await pressContinue(second.agent);
    assert.equal(stillWaiting.status, 303);
    assert.equal((await sessionOf(other)).user, null);
    assert.equal(matchNumberOf((await mfaPageOf(other)).text), second.number);

    // The victim's own Continue signs the victim in; the other browser still is not.
    const done = await pressContinue(victim.agent);
    assert.equal(done.status, 302, done.text);
    assert.equal((await sessionOf(victim.agent)).user?.id, ALICE);
    const again = await pressContinue(other);
    assert.equal(again.status, 303);
    assert.equal((await sessionOf(other)).user, null);
  });

  it('a fraud report voids that sign-in and pauses notifications: the send is refused on the page, not an error', async () => {
    const t = await pushApp();
    const { agent } = await sendNotification(t);
    const [notification] = (await t.phone.pending()).body.notifications;
    assert.equal((await t.phone.answer(notification.id, 'fraud')).status, 200);
    const reported = await continueOn(agent, t.methodId);
    assert.equal(reported.status, 302);
    assert.equal((await sessionOf(agent)).user, null, 'the reported sign-in does not complete');

    const { agent: later } = await passwordStep(t.app, 'alice');
    const send = await later.post('/login/mfa').type('form').send({ methodId: t.methodId });
    // Passport's failure, not an error page: failureRedirect, and the reason on the page.
    assert.equal(send.status, 302, send.text);
    assert.equal(send.headers.location, '/login/mfa');
    const page = await mfaPageOf(later);
    assert.match(alertOf(page.text) ?? '', /Notifications are paused because a sign-in request was reported/);
    assert.equal(matchNumberOf(page.text), undefined);
    assert.equal((await t.phone.pending()).body.notifications.length, 0, 'nothing was sent');
  });

  it('a first sign-in registers the phone app on the page: activation over HTTP, then its code', async () => {
    const t = await pushApp();
    const { agent } = await passwordStep(t.app, 'bob');
    const chooser = await mfaPageOf(agent);
    assert.match(chooser.text, /href="\/login\/mfa\?method=push"/);
    const setup = await agent.get('/login/mfa?method=push').set('Accept', 'text/html');
    const shown = /<code class="secret" id="activation-link">([^<]+)<\/code>/.exec(setup.text)?.[1];
    assert.ok(shown, setup.text);
    // The app reads the QR code (here: the same link, as the page shows it under the code).
    const link = shown.replaceAll('&amp;', '&');
    assert.equal(new URL(link).searchParams.get('endpoint'), PUSH_ENDPOINT);
    assert.equal(new URL(link).searchParams.get('account'), 'u-bob');
    const phone = await createPushApp(supertestTransport(t.app, '/mfa/device'), { now: () => t.clock.now() });
    const activated = await phone.activate(link);
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    const confirmed = await agent
      .post('/login/mfa')
      .type('form')
      .send({ draftId: inputValue(setup.text, 'draftId'), code: activated.body.confirmationCode });
    assert.equal(confirmed.status, 303, confirmed.text);
    assert.equal(recoveryCodesOf((await mfaPageOf(agent)).text).length, 10);
    const done = await agent.post('/login/mfa').type('form').send({});
    assert.equal(done.status, 302, done.text);
    assert.equal((await sessionOf(agent)).user?.id, 'u-bob');
    const [method] = await t.mfa.methods.list('u-bob');
    assert.equal(method?.kind, 'push');
  });

  it('a Continue for a notification that lapsed is a failure, and the page drops its number', async () => {
    const t = await pushApp();
    const { agent, number } = await sendNotification(t);
    t.clock.advance(121_000);
    const page = await mfaPageOf(agent);
    assert.equal(matchNumberOf(page.text), undefined, `the lapsed ${number} is not shown`);
    const res = await agent.post('/login/mfa').type('form').send({ push: '1', methodId: t.methodId });
    assert.equal(res.status, 302);
    assert.equal((await sessionOf(agent)).user, null);
    assert.equal(alertOf((await mfaPageOf(agent)).text), NOT_APPROVED);
  });
});
