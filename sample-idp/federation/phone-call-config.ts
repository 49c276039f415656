// Phone calls in the federation server's config: on unless turned off, answered either by a code
// read out and typed on the sign-in page (`code`, the default) or by the page's two-digit number
// typed on the phone's keypad (`keypad`, as Azure MFA's call is), with the user's PIN before it
// (`pin: true`, keypad only). With the development outbox, keypad calls are answered on the
// development phone page (dev-phone.ts).
import type { VoiceOptions } from 'mfakit';
import { z } from 'zod';

export const phoneCallConfigSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'must be true or false' }).default(true),
    answer: z.enum(['code', 'keypad'], { error: "must be 'code' or 'keypad'" }).default('code'),
    pin: z.boolean({ error: 'must be true or false' }).default(false),
  })
  .prefault({})
  .superRefine((c, ctx) => {
    if (c.pin && c.answer !== 'keypad')
      ctx.addIssue({
        code: 'custom',
        path: ['pin'],
        message: "needs answer: 'keypad' (the PIN is typed on the phone's keypad, before the page's number)",
      });
  });

export type PhoneCallConfig = z.output<typeof phoneCallConfigSchema>;

/** voiceMethod's options for this config. */
export function voiceOptions(config: PhoneCallConfig): VoiceOptions {
  return config.answer === 'keypad' ? { answer: 'keypad', pin: config.pin } : { answer: 'code' };
}
