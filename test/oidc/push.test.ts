// Push notifications in the oidc-provider MFA step, driven over HTTP as a browser, a relying
// party and the phone app would: the prompt's send button, the number shown large with Continue
// (202 while the app has not answered, costing no attempt), the app's approval through the IdP's
// own device API (`<basePath>/device`, mounted by `mount()`), the ID token's amr (`swk`) and acr;
// a first sign-in that registers the app (QR page, activation, confirmation code); an approval
// that finishes only its own interaction; and the device routes' answers to hostile requests.
import assert from 'node:assert/strict';
import { ACR_MFA, acrFor } from '../../src/engine/stamp.ts';
import { pushMethod, pushOutbox, recoveryCode, totp } from '../../src/index.ts';
import { activationUri } from '../../src/methods/push/enrollment.ts';
import { matchNumberOf } from '../helpers/approval-page.ts';
import { Browser, formAction, inputValue } from '../helpers/browser.ts';
import { chooseFirstMethod } from '../helpers/first-method.ts';
import {
  absolute,
  atMfaPrompt,
  atRp,
  authorizationUrl,
  password,
  pressContinue,
  pressSend,
  redeem,
  startAuthorization,
  startTestIdp,
  type TestIdp,
} from '../helpers/oidc-idp.ts';
import { registerPushApp } from '../helpers/push.ts';
import { createPushApp, httpTransport, type PushApp, readActivationUri } from '../helpers/push-app.ts';

describe('mfakit/oidc: push notifications', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  let deviceApi: string;
  const outbox = pushOutbox({ print: false });
  beforeEach(async () => {
    outbox.notifications.length = 0;
    idp = await startTestIdp({
      // The endpoint the apps are given is the IdP's own device API, as `mount()` serves it.
      methodsAt: (issuer) => [
        totp,
        pushMethod({ endpoint: `${issuer}/interaction/device`, delivery: outbox }),
        recoveryCode,
      ],
    });
    deviceApi = `${idp.issuer}/interaction/device`;
  });
  afterEach(async () => idp?.close());

  /** `user`'s phone app, registered through the engine, talking to the IdP over HTTP. */
  const registered = (user: string, name = 'Pixel 9') =>
    registerPushApp(idp.mfa, idp.clock, user, { name, transport: httpTransport(deviceApi) });

  /** The notification the outbox sent last: its transaction, which the app answers. */
  const lastTransaction = () => {
    const sent = outbox.notifications.at(-1);
    assert.ok(sent, 'a notification was sent');
    return sent.transactionId;
  };

  it('signs in by approving in the app: the number on the page, 202 until approved, amr has swk', async () => {
    const { app, methodId } = await registered('alice');
    const b = new Browser();
    const { request, prompt } = await atMfaPrompt(b, idp, 'alice');
    assert.ok(prompt.text.includes('Send a notification to Pixel 9'), 'a button for the app');
    assert.equal(matchNumberOf(prompt.text), undefined, 'no number before a notification is sent');
    assert.equal(outbox.notifications.length, 0, 'nothing sent by showing the prompt');

    const sent = await pressSend(b, idp, prompt);
    assert.equal(sent.status, 200);
    const number = matchNumberOf(sent.text);
    assert.match(number ?? '', /^[1-9]\d$/);
    assert.match(sent.text, new RegExp(`Enter ${number} in the app and approve`));
    assert.equal(inputValue(sent.text, 'methodId'), methodId);
    assert.equal(outbox.notifications.length, 1);
    const note = outbox.notifications[0];
    assert.ok(
      note && !note.title.includes(number ?? '') && !note.body.includes(number ?? ''),
      'the number is not sent',
    );
    // The step again (a reload): the same number and Continue, nothing sent again.
    const reloaded = await b.go(prompt.url, { stopAt: atRp });
    assert.equal(matchNumberOf(reloaded.text), number);
    assert.equal(outbox.notifications.length, 1);

    // Continue before the app answered: 202, the same number and Continue, no attempt counted.
    let page = sent;
    for (let i = 0; i < 6; i++) {
      page = await pressContinue(b, idp, page);
      assert.equal(page.status, 202, page.text.slice(0, 300));
      assert.equal(matchNumberOf(page.text), number);
      assert.match(page.text, /Waiting for your approval/);
    }
    assert.equal((await idp.mfa.admin.lockStatus('alice')).attempts, 0);

    const approved = await app.approve(number ?? '');
    assert.deepEqual(approved, { status: 200, body: { answer: 'approved' } });
    const back = await pressContinue(b, idp, page);
    assert.ok(atRp(new URL(back.url)), back.text.slice(0, 300));
    const { claims } = await redeem(idp, back.url, request);
    assert.ok(claims.amr?.includes('swk'), JSON.stringify(claims.amr));
    assert.deepEqual(claims.amr, ['pwd', 'swk', 'mfa']);
    assert.equal(claims.acr, acrFor(['password', 'push'], claims.amr ?? []));
    assert.equal(claims.acr, ACR_MFA);
    assert.ok(idp.events.some((e) => e.type === 'verified' && e.methodKind === 'push'));

    // The Continue again, replayed: the interaction is over, nothing is finished twice.
    const replay = await pressContinue(b, idp, page);
    assert.ok(replay.status >= 400 && replay.status < 500, `replay: ${replay.status}`);
    assert.ok(!atRp(new URL(replay.url)));
  });

  it('a denial in the app (or a wrong number) is a failed attempt: 401, not signed in', async () => {
    for (const [user, answer] of [
      ['alice', 'deny'],
      ['bob', 'wrong number'],
    ] as const) {
      const { app } = await registered(user);
      const b = new Browser();
      const { prompt } = await atMfaPrompt(b, idp, user);
      const sent = await pressSend(b, idp, prompt);
      const number = matchNumberOf(sent.text) ?? '';
      const wrong = number === '42' ? '43' : '42';
      const reply =
        answer === 'deny'
          ? await app.answer(lastTransaction(), 'deny')
          : await app.answer(lastTransaction(), 'approve', wrong);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      const refused = await pressContinue(b, idp, sent);
      assert.equal(refused.status, 401, `${answer}: ${refused.text.slice(0, 300)}`);
      assert.ok(!atRp(new URL(refused.url)));
      assert.equal(matchNumberOf(refused.text), undefined, 'no number to wait for any more');
      assert.equal((await idp.mfa.admin.lockStatus(user)).attempts, 1, 'a failed attempt counted');
      // The same Continue again does not turn the denial into a sign-in (refused, or throttled).
      const again = await pressContinue(b, idp, sent);
      assert.ok([401, 429].includes(again.status), `again: ${again.status}`);
      assert.ok(!atRp(new URL(again.url)));
    }
  });

  it('a request reported as fraud in the app: not signed in, and no more notifications (403)', async () => {
    const { app } = await registered('alice');
    const b = new Browser();
    const { prompt } = await atMfaPrompt(b, idp, 'alice');
    const sent = await pressSend(b, idp, prompt);
    assert.equal((await app.answer(lastTransaction(), 'fraud')).status, 200);
    const refused = await pressContinue(b, idp, sent);
    assert.equal(refused.status, 401, refused.text.slice(0, 300));
    assert.ok(!atRp(new URL(refused.url)));
    // A new sign-in of the same user finds notifications paused: a 403 page, nothing sent.
    const other = new Browser();
    const again = await pressSend(other, idp, (await atMfaPrompt(other, idp, 'alice')).prompt);
    assert.equal(again.status, 403, again.text.slice(0, 300));
    assert.match(again.text, /Notifications are paused/);
    assert.equal(outbox.notifications.length, 1, 'nothing sent after the report');
  });

  it('an approval for one interaction does not finish another of the same user', async () => {
    const { app } = await registered('alice');
    const first = new Browser();
    const second = new Browser();
    const a = await atMfaPrompt(first, idp, 'alice');
    const other = await atMfaPrompt(second, idp, 'alice');
    const sentA = await pressSend(first, idp, a.prompt);
    const txA = lastTransaction();
    const numberA = matchNumberOf(sentA.text) ?? '';
    assert.deepEqual(await app.answer(txA, 'approve', numberA), {
      status: 200,
      body: { answer: 'approved' },
    });

    // The other interaction presses a Continue of its own (it sent nothing): refused, not signed in.
    const forged = await second.go(absolute(idp, formAction(other.prompt.text, '/mfa/prompt')), {
      form: {
        _csrf: inputValue(other.prompt.text, '_csrf'),
        push: '1',
        methodId: inputValue(sentA.text, 'methodId'),
      },
      stopAt: atRp,
    });
    assert.equal(forged.status, 401, forged.text.slice(0, 300));
    assert.ok(!atRp(new URL(forged.url)), 'not signed in by a notification it did not send');

    // Its own notification waits for its own approval; the first approval does not count for it.
    const sentB = await pressSend(second, idp, other.prompt);
    assert.equal(sentB.status, 200, sentB.text.slice(0, 300));
    assert.notEqual(lastTransaction(), txA);
    const stillWaiting = await pressContinue(second, idp, sentB);
    assert.equal(stillWaiting.status, 202);
    assert.ok(!atRp(new URL(stillWaiting.url)));
    const back = await pressContinue(first, idp, sentA);
    assert.ok(atRp(new URL(back.url)), back.text.slice(0, 300));
    assert.deepEqual((await redeem(idp, back.url, a.request)).claims.amr, ['pwd', 'swk', 'mfa']);
    const after = await pressContinue(second, idp, sentB);
    assert.equal(after.status, 202, 'the second still waits for its own approval');
  });

  it('a first sign-in registers the app: chooser, QR page, activation over HTTP, its code', async () => {
    const b = new Browser();
    const { request, page } = await startAuthorization(b, idp);
    const setup = await chooseFirstMethod(b, idp.issuer, await password(b, idp, page, 'alice'), 'push');
    assert.match(setup.text, /Set up notifications in your app/);
    assert.match(setup.text, /<svg/, 'a QR code');
    // What the QR code says: the link the page also gives as text (or, where it shows only the
    // activation code, the link that code stands for): the IdP's own device API.
    const shown = /id="activation-link">([^<]+)</.exec(setup.text)?.[1]?.replace(/&amp;/g, '&');
    const code = /id="activation-code">([^<]+)</.exec(setup.text)?.[1] ?? '';
    const link = shown ?? activationUri({ endpoint: deviceApi, code, service: 'Test IdP', account: 'alice' });
    assert.equal(readActivationUri(link).endpoint, deviceApi);
    const app: PushApp = await createPushApp(httpTransport(deviceApi), { now: () => idp.clock.now() });
    const activated = await app.activate(link);
    assert.equal(activated.status, 200, JSON.stringify(activated.body));
    const codes = await b.go(absolute(idp, formAction(setup.text, '/mfa/enroll')), {
      form: {
        _csrf: inputValue(setup.text, '_csrf'),
        draftId: inputValue(setup.text, 'draftId'),
        code: String(activated.body.confirmationCode),
      },
      stopAt: atRp,
    });
    assert.match(codes.text, /Save your recovery codes/);
    const next = /href="([^"]+)">I have saved them/.exec(codes.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
    const back = await b.go(next, { stopAt: atRp });
    const { claims } = await redeem(idp, back.url, request);
    assert.deepEqual(claims.amr, ['pwd', 'swk', 'mfa']);
    assert.equal(claims.acr, ACR_MFA);
    const [method] = await idp.mfa.methods.list('alice');
    assert.equal(method?.kind, 'push');
  });

  it('attack: a POST to the step that is no form (text/plain, JSON) is refused as a stale form, 403', async () => {
    await registered('alice');
    const b = new Browser();
    const { prompt } = await atMfaPrompt(b, idp, 'alice');
    const sent = await pressSend(b, idp, prompt);
    const token = inputValue(sent.text, '_csrf');
    const methodId = inputValue(sent.text, 'methodId');
    for (const path of ['/mfa/send', '/mfa/prompt'])
      for (const raw of [
        { type: 'text/plain', body: `_csrf=${token}&push=1&methodId=${methodId}` },
        { type: 'application/json', body: JSON.stringify({ _csrf: token, push: true, methodId }) },
      ]) {
        const res = await b.fetch(absolute(idp, formAction(sent.text, path)), { raw });
        assert.equal(res.status, 403, `${path} as ${raw.type}: ${res.status}`);
        assert.match(await res.text(), /This form has expired/);
      }
    // A form without this interaction's token is refused too.
    const noToken = await b.go(absolute(idp, formAction(sent.text, '/mfa/prompt')), {
      form: { push: '1', methodId },
      stopAt: atRp,
    });
    assert.equal(noToken.status, 403);
    assert.equal(outbox.notifications.length, 1, 'only the one notification was sent');
  });

  it('attack: the device routes answer JSON errors (401, 400, 413, 404), never a 5xx, and need no cookie or form token', async () => {
    const { app } = await registered('alice');
    const post = async (path: string, body: string, type = 'application/json') => {
      const res = await fetch(`${deviceApi}${path}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      assert.ok(res.status < 500, `${path}: ${res.status}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      return { status: res.status, body: (await res.json()) as { error?: string; message?: string } };
    };
    // Signed for another audience, or by a key the IdP never registered: 401.
    const otherAud = await app.sign({ act: 'pending' }, { audience: 'https://elsewhere.example/device' });
    assert.equal((await post('/pending', JSON.stringify({ request: otherAud }))).status, 401);
    const stranger = await createPushApp(httpTransport(deviceApi), {
      now: () => idp.clock.now(),
      posingAs: 'not-a-device-here',
    });
    const forged = await stranger.pending();
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error, 'invalid_device');
    assert.equal((await post('/pending', '{"request":"not.a.jwt"}')).status, 401);
    // Malformed: not JSON, no request, not an object: 400 with a clear message.
    for (const body of ['{"request":', '{}', '{"request":42}', '[]', 'null']) {
      const res = await post('/answer', body);
      assert.equal(res.status, 400, `${body}: ${JSON.stringify(res.body)}`);
      assert.ok(res.body.message, 'a message');
    }
    assert.equal((await post('/pending', '{}', 'text/plain')).status, 400);
    // Larger than 16 kB: 413.
    const big = await post('/activate', JSON.stringify({ request: 'a'.repeat(20_000) }));
    assert.equal(big.status, 413);
    assert.match(big.body.message ?? '', /larger than 16kb/);
    // Not a device route, even one shaped like an MFA page's (`<basePath>/:uid/mfa/prompt`): the
    // device API's own 404, never the MFA pages' form check or the provider's answer.
    const unknown = await post('/mfa/prompt', '{}');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.message ?? '', /The device API answers POST/);
    const get = await fetch(`${deviceApi}/pending`);
    assert.equal(get.status, 404);
    assert.equal(((await get.json()) as { error: string }).error, 'not_found');

    // From a browser in the middle of a sign-in (its interaction cookie, no form token): the
    // device API answers by the signature alone, as for the app.
    const b = new Browser();
    await atMfaPrompt(b, idp, 'alice');
    assert.ok(b.cookies.length > 0, 'the browser has the interaction cookies');
    const signed = await app.sign({ act: 'pending' });
    const res = await b.fetch(`${deviceApi}/pending`, {
      raw: { type: 'application/json', body: JSON.stringify({ request: signed }) },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { notifications: [] });
  });

  it('without a push method, the IdP has no device API', async () => {
    const plain = await startTestIdp();
    try {
      const res = await fetch(`${plain.issuer}/interaction/device/pending`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 404);
      assert.doesNotMatch(await res.text(), /The device API answers/);
      // The authorization endpoint of the same provider still works (the mount changed nothing else).
      const auth = await fetch(authorizationUrl(plain).url, { redirect: 'manual' });
      assert.equal(auth.status, 303);
    } finally {
      await plain.close();
    }
  });
});
