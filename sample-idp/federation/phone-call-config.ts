// Phone calls in the federation server's config: on unless turned off, answered either by a code
// read out and typed on the sign-in page (`code`, the default) or by the page's two-digit number
// typed on the phone's keypad (`keypad`, as Azure MFA's call is), with the user's PIN before it
// (`pin: true`, keypad only — voiceMethod's rule: its ConfigError names what is wrong). With the
// development outbox, keypad calls are answered on the development phone page (dev-phone.ts).
import { ConfigError, type VoiceOptions, voiceMethod } from 'mfakit';
import { z } from 'zod';

export const phoneCallConfigSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'must be true or false' }).default(true),
    answer: z.enum(['code', 'keypad'], { error: "must be 'code' or 'keypad'" }).default('code'),
    pin: z.boolean({ error: 'must be true or false' }).default(false),
  })
  .prefault({})
  .superRefine((c, ctx) => {
    // voiceMethod knows its rules (a PIN needs keypad answers): the options it refuses, it says why.
    try {
      voiceMethod(voiceOptions(c));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message });
    }
  });

export type PhoneCallConfig = z.output<typeof phoneCallConfigSchema>;

/** voiceMethod's options for this config. */
export function voiceOptions(config: Pick<PhoneCallConfig, 'answer' | 'pin'>): VoiceOptions {
  return { answer: config.answer, pin: config.pin };
}
