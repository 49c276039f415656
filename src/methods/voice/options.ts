// voiceMethod()'s options, checked once when the method is built (a ConfigError names every bad
// path): how a sign-in call is answered — a code read out and typed on the page (`code`, the
// default), or the page's two-digit number typed on the phone's keypad (`keypad`), with the
// user's PIN before it (`pin: true`) — how long a keypad call can be answered, and what it says.
import { z } from 'zod';
import { parseConfig } from '../../engine/options.ts';
import {
  messageLength,
  PHONE_MESSAGE_MAX,
  placeholderProblem,
  wordingProblem,
} from '../phone/message-template.ts';

/** What a keypad call says, by moment; `{service}` is the service's name. */
export interface KeypadWords {
  /** Said when the call is answered. */
  greeting: string;
  /** Asks for the keys (without PIN mode): the page's number, then #; 0# reports fraud. */
  prompt: string;
  /** The same in PIN mode: the PIN, then the page's number, then #. */
  pinPrompt: string;
  approved: string;
  /** A wrong number or PIN: not approved. */
  denied: string;
  /** 0#: the sign-in was blocked and reported. */
  fraud: string;
  /** Keys for a request that lapsed, was replaced or was answered already. */
  ended: string;
}

export const DEFAULT_KEYPAD_WORDS: KeypadWords = {
  greeting: 'Hello. This is {service}, with a sign-in request for your account.',
  prompt:
    'To approve it, enter the two-digit number shown on your sign-in screen, then press the pound key. If you are not signing in, press zero, then the pound key.',
  pinPrompt:
    'To approve it, enter your PIN, then the two-digit number shown on your sign-in screen, then press the pound key. If you are not signing in, press zero, then the pound key.',
  approved: 'Thank you. Your sign-in is approved. Goodbye.',
  denied: 'That did not match, so the sign-in was not approved. Goodbye.',
  fraud: 'Thank you. The sign-in was blocked and reported. Goodbye.',
  ended: 'This sign-in request has ended. Goodbye.',
};

/** The only placeholder a keypad call's words may hold: the service's name. */
const KEYPAD_WORDS_PLACEHOLDERS = ['service'] as const;
/** The most characters (code points) a keypad call's words may have once `{service}` is filled in: a call's bound. */
export const KEYPAD_WORDS_MAX = PHONE_MESSAGE_MAX.call;

// Words a phone says: no placeholder but {service}, nothing invisible, no link, and within the
// bound even before {service} is filled in (the engine checks them filled in when it is built).
const spoken = z
  .string()
  .min(1)
  .superRefine((words, ctx) => {
    const problem =
      placeholderProblem(words, KEYPAD_WORDS_PLACEHOLDERS) ??
      wordingProblem(words) ??
      (messageLength(words.replaceAll('{service}', '')) > KEYPAD_WORDS_MAX
        ? `at most ${KEYPAD_WORDS_MAX} characters once {service} is filled in`
        : null);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  });

const schema = z
  .object({
    answer: z.enum(['code', 'keypad']).default('code'),
    pin: z.boolean().default(false),
    pinAttempts: z.number().int().min(3).max(10).default(5),
    lifetimeSeconds: z.number().int().min(30).max(300).default(90),
    words: z
      .object({
        greeting: spoken,
        prompt: spoken,
        pinPrompt: spoken,
        approved: spoken,
        denied: spoken,
        fraud: spoken,
        ended: spoken,
      })
      .partial()
      .strict()
      .default({}),
  })
  .strict()
  .refine((o) => !o.pin || o.answer === 'keypad', {
    message: "pin needs answer: 'keypad' (the PIN is typed on the phone's keypad)",
    path: ['pin'],
  });

export interface VoiceOptions {
  /**
   * How a sign-in call is answered: `code` (default) reads a 6-digit code out, typed on the
   * page; `keypad` asks the user to type the page's two-digit number on the phone's keypad
   * (0# reports fraud), answered through `mfa.phoneCalls.keypad` — needs `phone.delivery.call`.
   */
  answer?: 'code' | 'keypad';
  /** PIN mode (keypad only): the user sets a PIN when registering and types it before the number. */
  pin?: boolean;
  /** PIN mode: wrong PINs in a row before the phone is called no more (until registered again); default 5, 3 to 10. */
  pinAttempts?: number;
  /** How long a keypad call can be answered, in seconds: default 90, 30 to 300. */
  lifetimeSeconds?: number;
  /** A keypad call's words (custom greetings), each at most 500 characters once `{service}` is filled in (its only placeholder). */
  words?: Partial<KeypadWords>;
}

export interface ResolvedVoiceOptions {
  answer: 'code' | 'keypad';
  pin: boolean;
  pinAttempts: number;
  lifetimeSeconds: number;
  words: KeypadWords;
}

export function resolveVoiceOptions(options: VoiceOptions): ResolvedVoiceOptions {
  const parsed = parseConfig(schema, options, 'voiceMethod options');
  return { ...parsed, words: { ...DEFAULT_KEYPAD_WORDS, ...parsed.words } };
}
