// Text message: a 6-digit code sent by SMS to a registered phone, on demand (src/methods/phone/
// holds everything it shares with the phone call). Weaker than an app (SIM swap, interception):
// the built-in `otpOrBetter` strength does not count it. amr `sms` (RFC 8176).
import type { MethodDefinition } from '../method.ts';
import { createPhoneMethod } from '../phone/phone-method.ts';

/** Text message as a sign-in method: `createMfa({ methods: [totp, smsMethod(), …] })`. */
export function smsMethod(): MethodDefinition {
  return {
    kind: 'sms',
    create: (services) =>
      createPhoneMethod(services, {
        channel: 'sms',
        amr: 'sms',
        description: 'Text message to',
        sendLabel: 'Text a code to',
        enrollment: {
          title: 'Text message',
          setupTitle: 'Set up text messages',
          sentTo: 'We sent a text message with a code to',
          codeLabel: 'Code from the text message',
          defaultLabel: 'Mobile phone',
        },
      }),
  };
}
