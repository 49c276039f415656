// Phone call: a call to a registered phone that reads out a 6-digit code, on demand (src/
// methods/phone/ holds everything it shares with the text message). Weaker than an app: the
// built-in `otpOrBetter` strength does not count it. amr `tel` (RFC 8176).
import type { MethodDefinition } from '../method.ts';
import { createPhoneMethod } from '../phone/phone-method.ts';

/** Phone call as a sign-in method: `createMfa({ methods: [totp, voiceMethod(), …] })`. */
export function voiceMethod(): MethodDefinition {
  return {
    kind: 'voice',
    create: (services) =>
      createPhoneMethod(services, {
        channel: 'voice',
        amr: 'tel',
        description: 'Phone call to',
        sendLabel: 'Call',
        enrollment: {
          title: 'Phone call',
          setupTitle: 'Set up phone calls',
          sentTo: 'We are calling you with a code at',
          codeLabel: 'Code from the call',
          defaultLabel: 'Phone',
        },
      }),
  };
}
