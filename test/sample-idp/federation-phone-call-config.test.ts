// The federation server's `phoneCall` config: on, answered by a code, by default; `answer:
// keypad` (and `pin: true` with it) reach voiceMethod; bad values are refused by path.
import assert from 'node:assert/strict';
import { parseFederationConfig } from '../../sample-idp/federation/config.ts';
import { voiceOptions } from '../../sample-idp/federation/phone-call-config.ts';
import { problems, valid } from './federation-config-fixtures.ts';

const env = { PARTNER_SECRET: 'x'.repeat(20) };

describe('sample-idp federation config: phoneCall', () => {
  it('answered by a code unless told keypad; pin only with keypad; each reaches voiceMethod', async () => {
    const byDefault = await parseFederationConfig(valid(), env);
    assert.deepEqual(byDefault.phoneCall, { enabled: true, answer: 'code', pin: false });
    assert.deepEqual(voiceOptions(byDefault.phoneCall), { answer: 'code', pin: false });
    const keypad = await parseFederationConfig({ ...valid(), phoneCall: { answer: 'keypad' } }, env);
    assert.deepEqual(voiceOptions(keypad.phoneCall), { answer: 'keypad', pin: false });
    const pin = await parseFederationConfig({ ...valid(), phoneCall: { answer: 'keypad', pin: true } }, env);
    assert.deepEqual(pin.phoneCall, { enabled: true, answer: 'keypad', pin: true });
    assert.deepEqual(voiceOptions(pin.phoneCall), { answer: 'keypad', pin: true });
  });

  it('refuses a PIN without keypad, an unknown answer, a PIN that is not true or false, and unknown keys', async () => {
    assert.deepEqual(await problems({ ...valid(), phoneCall: { pin: true } }), [
      "phoneCall: invalid voiceMethod options: pin: pin needs answer: 'keypad' (the PIN is typed on the phone's keypad)",
    ]);
    assert.deepEqual(await problems({ ...valid(), phoneCall: { answer: 'app' } }), [
      "phoneCall.answer: must be 'code' or 'keypad'",
    ]);
    assert.deepEqual(await problems({ ...valid(), phoneCall: { answer: 'keypad', pin: 'yes' } }), [
      'phoneCall.pin: must be true or false',
    ]);
    assert.match(
      (await problems({ ...valid(), phoneCall: { answer: 'keypad', words: {} } }))[0] ?? '',
      /^phoneCall: Unrecognized key: "words"/,
    );
  });
});
