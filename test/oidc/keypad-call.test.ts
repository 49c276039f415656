// A phone call answered on the keypad in the oidc-provider MFA step, driven over HTTP as a
// browser and a relying party would, the keys handed over as the voice provider's webhook does:
// the prompt's Call button, the number shown large with words about the phone's keypad, Continue
// a 202 until the keys (no attempt counted), then the ID token's amr (`tel`, and `pin` in PIN
// mode) and acr; keys for another interaction's call that finish nothing here; and a fraud
// report that refuses the interaction and pauses calls.
import assert from 'node:assert/strict';
import { ACR_MFA, acrFor } from '../../src/engine/stamp.ts';
import { outboxDelivery } from '../../src/index.ts';
import { Browser, formAction, inputValue, type Page } from '../helpers/browser.ts';
import {
  approvingKeys,
  CALL_BUTTON,
  keypadMethods,
  lastCall,
  pressKeys,
  registerKeypadPhone,
} from '../helpers/keypad-call.ts';
import {
  absolute,
  atRp,
  password,
  redeem,
  startAuthorization,
  startTestIdp,
  type TestIdp,
} from '../helpers/oidc-idp.ts';

describe('mfakit/oidc: phone call answered on the keypad', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  const outbox = outboxDelivery({ print: false });
  const PIN_MODE = { pin: true };
  beforeEach(async () => {
    outbox.messages.length = 0;
    outbox.calls.length = 0;
    idp = await startTestIdp({ methods: keypadMethods(PIN_MODE), phone: { delivery: outbox } });
  });
  afterEach(async () => idp?.close());

  /** The authorization request and the prompt after the password. */
  async function atPrompt(b: Browser, user: string) {
    const { request, page } = await startAuthorization(b, idp);
    const prompt = await password(b, idp, page, user);
    assert.match(prompt.url, /\/mfa$/, prompt.text.slice(0, 300));
    return { request, prompt };
  }

  /** Presses the prompt's Call button: the prompt again, with the number. */
  const call = (b: Browser, page: Page) =>
    b.go(absolute(idp, formAction(page.text, '/mfa/send')), {
      form: { _csrf: inputValue(page.text, '_csrf'), methodId: inputValue(page.text, 'methodId') },
      stopAt: atRp,
    });

  const numberOn = (page: Page) => /id="match-number">(\d+)</.exec(page.text)?.[1] ?? null;

  /** Presses the approval's Continue button (its own form: push=1 and the phone's method id). */
  function continueOn(b: Browser, page: Page) {
    const section = /<section class="approval"[\s\S]*?<\/section>/.exec(page.text)?.[0];
    assert.ok(section, `a Continue form on the page: ${page.text.slice(0, 500)}`);
    return b.go(absolute(idp, formAction(section, '/mfa/prompt')), {
      form: { _csrf: inputValue(section, '_csrf'), push: '1', methodId: inputValue(section, 'methodId') },
      stopAt: atRp,
    });
  }

  it('signs in by the keypad: the number on the page, 202 until the keys, amr has tel and pin', async () => {
    const methodId = await registerKeypadPhone(idp.mfa, outbox, 'alice', PIN_MODE);
    const b = new Browser();
    const { request, prompt } = await atPrompt(b, 'alice');
    assert.ok(prompt.text.includes(CALL_BUTTON), 'a Call button');
    assert.equal(numberOn(prompt), null);
    assert.equal(outbox.calls.length, 0, 'no call by showing the prompt');

    const sent = await call(b, prompt);
    assert.equal(sent.status, 200);
    const number = numberOn(sent) ?? '';
    assert.match(number, /^[1-9]\d$/);
    assert.match(sent.text, /When the call to \+•• ••• ••23 asks, enter this number on the keypad:/);
    assert.doesNotMatch(sent.text, /in the app/);
    assert.equal(inputValue(sent.text, 'methodId'), methodId);
    assert.equal(outbox.calls.length, 1);

    let page = sent;
    for (let i = 0; i < 3; i++) {
      page = await continueOn(b, page);
      assert.equal(page.status, 202, page.text.slice(0, 300));
      assert.equal(numberOn(page), number);
      assert.match(page.text, /Waiting for your answer/);
    }
    assert.equal((await idp.mfa.admin.lockStatus('alice')).attempts, 0);

    assert.equal((await pressKeys(idp.mfa, outbox, approvingKeys(number, PIN_MODE))).outcome, 'approved');
    const back = await continueOn(b, page);
    assert.ok(atRp(new URL(back.url)), back.text.slice(0, 300));
    const { claims } = await redeem(idp, back.url, request);
    assert.deepEqual(claims.amr, ['pwd', 'tel', 'pin', 'mfa']);
    assert.equal(claims.acr, acrFor(['password', 'voice'], claims.amr ?? []));
    assert.equal(claims.acr, ACR_MFA);
    assert.ok(idp.events.some((e) => e.type === 'verified' && e.methodKind === 'voice'));

    const replay = await continueOn(b, page);
    assert.ok(replay.status >= 400 && replay.status < 500, `replay: ${replay.status}`);
    assert.ok(!atRp(new URL(replay.url)));
  });

  it("attack: keys for one interaction's call do not finish another of the same user", async () => {
    const methodId = await registerKeypadPhone(idp.mfa, outbox, 'alice', PIN_MODE);
    const first = new Browser();
    const second = new Browser();
    const a = await atPrompt(first, 'alice');
    const other = await atPrompt(second, 'alice');
    const sentA = await call(first, a.prompt);
    const callA = lastCall(outbox);
    await pressKeys(idp.mfa, outbox, approvingKeys(numberOn(sentA) ?? '', PIN_MODE), callA);
    // The other interaction presses a Continue it was never shown: refused, not signed in.
    const forged = await second.go(absolute(idp, formAction(other.prompt.text, '/mfa/prompt')), {
      form: { _csrf: inputValue(other.prompt.text, '_csrf'), push: '1', methodId },
      stopAt: atRp,
    });
    assert.equal(forged.status, 401, forged.text.slice(0, 300));
    assert.ok(!atRp(new URL(forged.url)));
    // Its own call: the keys given for the first call count nothing for it.
    const sentB = await call(second, other.prompt);
    assert.equal(sentB.status, 200, sentB.text.slice(0, 300));
    assert.notEqual(lastCall(outbox).callId, callA.callId);
    assert.equal(
      (await pressKeys(idp.mfa, outbox, approvingKeys(numberOn(sentA) ?? '', PIN_MODE), callA)).outcome,
      'ended',
    );
    assert.equal((await continueOn(second, sentB)).status, 202);
    const back = await continueOn(first, sentA);
    assert.ok(atRp(new URL(back.url)), back.text.slice(0, 300));
    assert.deepEqual((await redeem(idp, back.url, a.request)).claims.amr, ['pwd', 'tel', 'pin', 'mfa']);
    assert.equal((await continueOn(second, sentB)).status, 202, 'the second still waits for its own keys');
  });

  it('a call reported as fraud (0#): not signed in, and no more calls (403)', async () => {
    await registerKeypadPhone(idp.mfa, outbox, 'alice', PIN_MODE);
    const b = new Browser();
    const sent = await call(b, (await atPrompt(b, 'alice')).prompt);
    assert.equal((await pressKeys(idp.mfa, outbox, '0')).outcome, 'fraud');
    const refused = await continueOn(b, sent);
    assert.equal(refused.status, 401, refused.text.slice(0, 300));
    assert.ok(!atRp(new URL(refused.url)));
    const other = new Browser();
    const again = await call(other, (await atPrompt(other, 'alice')).prompt);
    assert.equal(again.status, 403, again.text.slice(0, 300));
    assert.match(again.text, /Calls are paused/);
    assert.equal(outbox.calls.length, 1, 'no call after the report');
  });
});
