// The default sign-in method on the oidc-provider interaction's prompt: its send button comes
// first, marked "(your default)", and showing the prompt sends nothing.
import assert from 'node:assert/strict';
import { outboxDelivery } from '../../src/index.ts';
import { Browser } from '../helpers/browser.ts';
import { password, startAuthorization, startTestIdp, type TestIdp } from '../helpers/oidc-idp.ts';
import { CTX, PHONE_METHODS, registerPhone } from '../helpers/phone.ts';

describe('mfakit/oidc: the default sign-in method', function () {
  this.timeout(30_000);
  let idp: TestIdp;
  const outbox = outboxDelivery({ print: false });
  beforeEach(async () => {
    idp = await startTestIdp({ methods: PHONE_METHODS, phone: { delivery: outbox } });
  });
  afterEach(async () => idp?.close());

  it("the prompt leads with the default's send button, marked, and sends nothing by itself", async () => {
    const sms = await registerPhone(idp.mfa, outbox, 'alice', 'sms', '+44 7700 900123');
    const voice = await registerPhone(idp.mfa, outbox, 'alice', 'voice', '+44 7700 900456');
    assert.equal(await idp.mfa.methods.setDefault('alice', voice, CTX), true);
    const sent = outbox.messages.length;
    const b = new Browser();
    const { page } = await startAuthorization(b, idp);
    const prompt = await password(b, idp, page, 'alice');
    assert.match(prompt.url, /\/mfa$/);
    const order = [...prompt.text.matchAll(/name="methodId" value="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(order, [voice, sms]);
    assert.match(prompt.text, /class="secondary">Call \+•• ••• ••56 \(your default\)<\/button>/);
    assert.match(prompt.text, /class="secondary">Text a code to \+•• ••• ••23<\/button>/);
    assert.equal(outbox.messages.length, sent, 'showing the prompt sends nothing');
  });
});
