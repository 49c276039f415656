// Phone call: a call to a registered phone, on demand, answered one of two ways (src/methods/
// phone/ holds everything it shares with the text message). `code` (the default) reads a 6-digit
// code out, typed on the page; `keypad` asks for the page's two-digit number on the phone's
// keypad (with the user's PIN before it in PIN mode), as Azure MFA's call does — keypad-call.ts.
// Weaker than an app: the built-in `otpOrBetter` strength does not count it. amr `tel` (RFC 8176),
// with `pin` in PIN mode.
import type { MethodDefinition } from '../method.ts';
import { createPhoneMethod } from '../phone/phone-method.ts';
import { keypadCallMethod } from './keypad-call.ts';
import { resolveVoiceOptions, type VoiceOptions } from './options.ts';
import { pinSecret } from './pins.ts';

export type { KeypadWords, VoiceOptions } from './options.ts';

/** Phone call as a sign-in method: `createMfa({ methods: [totp, voiceMethod(), …] })`. */
export function voiceMethod(options: VoiceOptions = {}): MethodDefinition {
  const resolved = resolveVoiceOptions(options);
  return {
    kind: 'voice',
    create(services) {
      const base = createPhoneMethod(services, {
        channel: 'voice',
        amr: 'tel',
        description: 'Phone call to',
        sendLabel: 'Call',
        secret: pinSecret(resolved.pin),
        enrollment: {
          title: 'Phone call',
          setupTitle: 'Set up phone calls',
          sentTo: 'We are calling you with a code at',
          codeLabel: 'Code from the call',
          defaultLabel: 'Phone',
        },
      });
      return resolved.answer === 'code' ? base : keypadCallMethod(services, resolved, base);
    },
  };
}
