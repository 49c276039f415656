// Text message and phone call in the oidc-provider MFA step, driven over HTTP as a browser and a
// relying party would: the prompt's send button, the code from the outbox, and the ID token's
// amr (`sms`, `tel`, RFC 8176); a first sign-in that registers a phone (the number asked first);
// and a code sent for one interaction that does not finish another.
import assert from 'node:assert/strict';
import { outboxDelivery } from '../../src/index.ts';
import { Browser, formAction, inputValue } from '../helpers/browser.ts';
import {
  absolute,
  atRp,
  password,
  pressSend,
  redeem,
  startAuthorization,
  startTestIdp,
  submitCode,
  type TestIdp,
} from '../helpers/oidc-idp.ts';
import { lastCode, PHONE_METHODS, registerPhone } from '../helpers/phone.ts';

const NUMBER = '+44 7700 900123';

describe('mfakit/oidc: text message and phone call', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  const outbox = outboxDelivery({ print: false });
  beforeEach(async () => {
    outbox.messages.length = 0;
    idp = await startTestIdp({ methods: PHONE_METHODS, phone: { delivery: outbox } });
  });
  afterEach(async () => idp?.close());

  for (const [kind, amr, button] of [
    ['sms', 'sms', 'Text a code to +•• ••• ••23'],
    ['voice', 'tel', 'Call +•• ••• ••23'],
  ] as const) {
    it(`signs in with ${kind === 'sms' ? 'a text message' : 'a phone call'}: the ID token's amr has ${amr}`, async () => {
      await registerPhone(idp.mfa, outbox, 'alice', kind, NUMBER);
      const sentBefore = outbox.messages.length;
      const b = new Browser();
      const { request, page } = await startAuthorization(b, idp);
      const prompt = await password(b, idp, page, 'alice');
      assert.match(prompt.url, /\/mfa$/);
      assert.ok(prompt.text.includes(button), 'a button per phone');
      assert.equal(outbox.messages.length, sentBefore, 'nothing sent by showing the prompt');
      const after = await pressSend(b, idp, prompt);
      assert.equal(after.status, 200);
      assert.match(after.text, kind === 'sms' ? /We sent a code to/ : /We are calling/);
      assert.equal(outbox.messages.length, sentBefore + 1);
      const back = await submitCode(b, idp, after, lastCode(outbox));
      assert.ok(atRp(new URL(back.url)), back.text.slice(0, 300));
      const { claims } = await redeem(idp, back.url, request);
      assert.deepEqual(claims.amr, ['pwd', amr, 'mfa']);
    });
  }

  it('a first sign-in registers a phone: the number first, then the code sent to it', async () => {
    const b = new Browser();
    const { request, page } = await startAuthorization(b, idp);
    const chooser = await password(b, idp, page, 'alice');
    assert.match(chooser.text, /Choose a sign-in method/);
    const choose = /href="([^"]*method=sms)"/.exec(chooser.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
    const ask = await b.go(absolute(idp, choose), { stopAt: atRp });
    assert.match(ask.text, /name="phoneNumber"/);
    const bad = await b.go(absolute(idp, formAction(ask.text, '/mfa/enroll/start')), {
      form: { _csrf: inputValue(ask.text, '_csrf'), method: 'sms', phoneNumber: '12345' },
      stopAt: atRp,
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /Enter the phone number with its country code/);
    const setup = await b.go(absolute(idp, formAction(bad.text, '/mfa/enroll/start')), {
      form: { _csrf: inputValue(bad.text, '_csrf'), method: 'sms', phoneNumber: NUMBER },
      stopAt: atRp,
    });
    assert.match(setup.text, /\+•• ••• ••23/);
    assert.match(setup.text, /\/mfa\/enroll\?method=sms">No code\? Send a new one/);
    const codes = await b.go(absolute(idp, formAction(setup.text, '/mfa/enroll')), {
      form: {
        _csrf: inputValue(setup.text, '_csrf'),
        draftId: inputValue(setup.text, 'draftId'),
        code: lastCode(outbox),
      },
      stopAt: atRp,
    });
    assert.match(codes.text, /Save your recovery codes/);
    const next = /href="([^"]+)">I have saved them/.exec(codes.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
    const back = await b.go(next, { stopAt: atRp });
    const { claims } = await redeem(idp, back.url, request);
    assert.deepEqual(claims.amr, ['pwd', 'sms', 'mfa']);
  });

  it('acr_values=…:mfa on a password-only session: a step-up by text, no new password', async () => {
    await registerPhone(idp.mfa, outbox, 'bob', 'sms', NUMBER);
    await idp.mfa.admin.setUserState('bob', 'disabled', { ip: '127.0.0.1' });
    const b = new Browser();
    const { request: first, page: login } = await startAuthorization(b, idp);
    const firstBack = await password(b, idp, login, 'bob');
    assert.equal((await redeem(idp, firstBack.url, first)).claims.acr, 'urn:mfakit:acr:pwd');
    const { request, page } = await startAuthorization(b, idp, { acrValues: 'urn:mfakit:acr:mfa' });
    assert.match(page.url, /\/mfa$/, 'straight to the MFA page');
    const after = await pressSend(b, idp, page);
    assert.match(after.text, /We sent a code to/);
    const back = await submitCode(b, idp, after, lastCode(outbox));
    const { claims } = await redeem(idp, back.url, request);
    assert.equal(claims.acr, 'urn:mfakit:acr:mfa');
    assert.deepEqual(claims.amr, ['pwd', 'sms', 'mfa']);
  });

  it('a code sent for one interaction does not finish another', async () => {
    await registerPhone(idp.mfa, outbox, 'alice', 'sms', NUMBER);
    const first = new Browser();
    const second = new Browser();
    const a = await password(first, idp, (await startAuthorization(first, idp)).page, 'alice');
    const other = await password(second, idp, (await startAuthorization(second, idp)).page, 'alice');
    await pressSend(first, idp, a);
    const stolen = await submitCode(second, idp, other, lastCode(outbox));
    assert.equal(stolen.status, 401);
    assert.ok(!atRp(new URL(stolen.url)));
  });

  it('attack: a POST to the step that is no form (text/plain, JSON) is refused as a stale form, 403, never a 500', async () => {
    await registerPhone(idp.mfa, outbox, 'alice', 'sms', NUMBER);
    const b = new Browser();
    const { page } = await startAuthorization(b, idp);
    const prompt = await password(b, idp, page, 'alice');
    const token = inputValue(prompt.text, '_csrf');
    for (const path of ['/mfa/send', '/mfa/prompt'])
      for (const raw of [
        { type: 'text/plain', body: `_csrf=${token}` },
        { type: 'application/json', body: JSON.stringify({ _csrf: token }) },
      ]) {
        const res = await b.fetch(absolute(idp, formAction(prompt.text, path)), { raw });
        assert.equal(res.status, 403, `${path} as ${raw.type}: ${res.status}`);
        assert.match(await res.text(), /This form has expired/);
      }
    assert.equal(outbox.messages.length, 1, 'only the registration code was ever sent');
  });
});
