// A phone call answered on the keypad in the oidc-provider MFA step, driven over HTTP as a
// browser and a relying party would, the keys handed over as the voice provider's webhook does:
// the prompt's Call button, the number shown large with words about the phone's keypad, Continue
// a 202 until the keys (no attempt counted), then the ID token's amr (`tel`, and `pin` in PIN
// mode) and acr; keys for another interaction's call that finish nothing here; and a fraud
// report that refuses the interaction and pauses calls.
import assert from 'node:assert/strict';
import { ACR_MFA, acrFor } from '../../src/engine/stamp.ts';
import { outboxDelivery } from '../../src/index.ts';
import { matchNumberOf } from '../helpers/approval-page.ts';
import { Browser, formAction, inputValue } from '../helpers/browser.ts';
import {
  approvingKeys,
  CALL_BUTTON,
  keypadMethods,
  lastCall,
  PIN_MODE,
  pressKeys,
  registerKeypadPhone,
} from '../helpers/keypad-call.ts';
import {
  absolute,
  atMfaPrompt,
  atRp,
  pressContinue,
  pressSend,
  redeem,
  startTestIdp,
  type TestIdp,
} from '../helpers/oidc-idp.ts';

describe('mfakit/oidc: phone call answered on the keypad', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  const outbox = outboxDelivery({ print: false });
  beforeEach(async () => {
    outbox.messages.length = 0;
    outbox.calls.length = 0;
    idp = await startTestIdp({ methods: keypadMethods(PIN_MODE), phone: { delivery: outbox } });
  });
  afterEach(async () => idp?.close());

  it('signs in by the keypad: the number on the page, 202 until the keys, amr has tel and pin', async () => {
    const methodId = await registerKeypadPhone(idp.mfa, outbox, 'alice', PIN_MODE);
    const b = new Browser();
    const { request, prompt } = await atMfaPrompt(b, idp, 'alice');
    assert.ok(prompt.text.includes(CALL_BUTTON), 'a Call button');
    assert.equal(matchNumberOf(prompt.text), undefined);
    assert.equal(outbox.calls.length, 0, 'no call by showing the prompt');

    const sent = await pressSend(b, idp, prompt);
    assert.equal(sent.status, 200);
    const number = matchNumberOf(sent.text) ?? '';
    assert.match(number, /^[1-9]\d$/);
    assert.match(sent.text, /When the call to \+•• ••• ••23 asks, enter this number on the keypad:/);
    assert.doesNotMatch(sent.text, /in the app/);
    assert.equal(inputValue(sent.text, 'methodId'), methodId);
    assert.equal(outbox.calls.length, 1);

    let page = sent;
    for (let i = 0; i < 3; i++) {
      page = await pressContinue(b, idp, page);
      assert.equal(page.status, 202, page.text.slice(0, 300));
      assert.equal(matchNumberOf(page.text), number);
      assert.match(page.text, /Waiting for your answer/);
    }
    assert.equal((await idp.mfa.admin.lockStatus('alice')).attempts, 0);

    assert.equal((await pressKeys(idp.mfa, outbox, approvingKeys(number, PIN_MODE))).outcome, 'approved');
    const back = await pressContinue(b, idp, page);
    assert.ok(atRp(new URL(back.url)), back.text.slice(0, 300));
    const { claims } = await redeem(idp, back.url, request);
    assert.deepEqual(claims.amr, ['pwd', 'tel', 'pin', 'mfa']);
    assert.equal(claims.acr, acrFor(['password', 'voice'], claims.amr ?? []));
    assert.equal(claims.acr, ACR_MFA);
    assert.ok(idp.events.some((e) => e.type === 'verified' && e.methodKind === 'voice'));

    const replay = await pressContinue(b, idp, page);
    assert.ok(replay.status >= 400 && replay.status < 500, `replay: ${replay.status}`);
    assert.ok(!atRp(new URL(replay.url)));
  });

  it("attack: keys for one interaction's call do not finish another of the same user", async () => {
    const methodId = await registerKeypadPhone(idp.mfa, outbox, 'alice', PIN_MODE);
    const first = new Browser();
    const second = new Browser();
    const a = await atMfaPrompt(first, idp, 'alice');
    const other = await atMfaPrompt(second, idp, 'alice');
    const sentA = await pressSend(first, idp, a.prompt);
    const callA = lastCall(outbox);
    await pressKeys(idp.mfa, outbox, approvingKeys(matchNumberOf(sentA.text) ?? '', PIN_MODE), callA);
    // The other interaction presses a Continue it was never shown: refused, not signed in.
    const forged = await second.go(absolute(idp, formAction(other.prompt.text, '/mfa/prompt')), {
      form: { _csrf: inputValue(other.prompt.text, '_csrf'), push: '1', methodId },
      stopAt: atRp,
    });
    assert.equal(forged.status, 401, forged.text.slice(0, 300));
    assert.ok(!atRp(new URL(forged.url)));
    // Its own call: the keys given for the first call count nothing for it.
    const sentB = await pressSend(second, idp, other.prompt);
    assert.equal(sentB.status, 200, sentB.text.slice(0, 300));
    assert.notEqual(lastCall(outbox).callId, callA.callId);
    assert.equal(
      (await pressKeys(idp.mfa, outbox, approvingKeys(matchNumberOf(sentA.text) ?? '', PIN_MODE), callA))
        .outcome,
      'ended',
    );
    assert.equal((await pressContinue(second, idp, sentB)).status, 202);
    const back = await pressContinue(first, idp, sentA);
    assert.ok(atRp(new URL(back.url)), back.text.slice(0, 300));
    assert.deepEqual((await redeem(idp, back.url, a.request)).claims.amr, ['pwd', 'tel', 'pin', 'mfa']);
    assert.equal(
      (await pressContinue(second, idp, sentB)).status,
      202,
      'the second still waits for its own keys',
    );
  });

  it('a call reported as fraud (0#): not signed in, and no more calls (403)', async () => {
    await registerKeypadPhone(idp.mfa, outbox, 'alice', PIN_MODE);
    const b = new Browser();
    const sent = await pressSend(b, idp, (await atMfaPrompt(b, idp, 'alice')).prompt);
    assert.equal((await pressKeys(idp.mfa, outbox, '0')).outcome, 'fraud');
    const refused = await pressContinue(b, idp, sent);
    assert.equal(refused.status, 401, refused.text.slice(0, 300));
    assert.ok(!atRp(new URL(refused.url)));
    const other = new Browser();
    const again = await pressSend(other, idp, (await atMfaPrompt(other, idp, 'alice')).prompt);
    assert.equal(again.status, 403, again.text.slice(0, 300));
    assert.match(again.text, /Calls are paused/);
    assert.equal(outbox.calls.length, 1, 'no call after the report');
  });
});
