// The default sign-in method on the Passport app's second-step page (mfaPage): its send button
// comes first, marked "(your default)", and the page sends nothing by itself; pressing it sends
// to that phone.
import assert from 'node:assert/strict';
import { outboxDelivery } from '../../src/index.ts';
import { inputValue } from '../helpers/browser.ts';
import { CTX, PHONE_METHODS, registerPhone } from '../helpers/phone.ts';
import { makePassportApp } from './mfa-strategy/fixtures.ts';
import { mfaPageOf, passwordStep } from './passport-flows.ts';

describe('mfakit/passport: the default sign-in method', () => {
  it("the page leads with the default's send button, marked; pressing it calls that phone", async () => {
    const outbox = outboxDelivery({ print: false });
    const t = makePassportApp({ methods: PHONE_METHODS, phone: { delivery: outbox } });
    const sms = await registerPhone(t.mfa, outbox, 'alice', 'sms', '+44 7700 900123');
    const voice = await registerPhone(t.mfa, outbox, 'alice', 'voice', '+44 7700 900456');
    assert.equal(await t.mfa.methods.setDefault('alice', voice, CTX), true);
    const { agent } = await passwordStep(t.app, 'alice');
    const sent = outbox.messages.length;
    const page = await mfaPageOf(agent);
    assert.equal(page.status, 200);
    const order = [...page.text.matchAll(/name="methodId" value="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(order, [voice, sms]);
    assert.match(page.text, /class="secondary">Call \+•• ••• ••56 \(your default\)<\/button>/);
    assert.match(page.text, /class="secondary">Text a code to \+•• ••• ••23<\/button>/);
    assert.equal(outbox.messages.length, sent, 'the page sends nothing by itself');
    const pressed = await agent
      .post('/login/mfa')
      .type('form')
      .send({ methodId: inputValue(page.text, 'methodId') });
    assert.equal(pressed.status, 303);
    assert.equal(outbox.messages.length, sent + 1);
    assert.equal(outbox.last()?.channel, 'voice');
  });
});
