// The wording of a text message and of a code call: the built-in templates, or a deployment's
// own (`phone.messages`, Azure MFA's custom greetings) — and the checks and the filling-in that
// every phone's words share (a keypad call's words too: src/methods/voice/options.ts). A template
// has two placeholders and no others: `{code}` (required: a message without its code is
// useless), which a call reads digit by digit, and `{service}` (the sender name). Each given
// template is checked at start-up: no other `{…}` and no stray brace, no control or invisible
// characters, no link (`://`, `www.`, a host name, an IP address — also in full-width forms: a
// text with a link in it is what phishing looks like; the service's own name may be a bare host
// name, never one with a path), and short once filled in with a 6-digit code and the
// service name (in code points) — a text at most 140 characters (one SMS segment of 160 in the
// GSM alphabet, with room to spare), a call at most 500.
import { z } from 'zod';

/** A template's name: `sms` for a text message, `call` for a code call (the `voice` channel). */
export type PhoneTemplateName = 'sms' | 'call';

export const DEFAULT_PHONE_TEMPLATES: Readonly<Record<PhoneTemplateName, string>> = {
  sms: '{code} is your {service} verification code.',
  call: 'This is {service}. Your verification code is {code}. Again, your code is {code}.',
};

/** The most characters (code points) a message may have once filled in. */
export const PHONE_MESSAGE_MAX: Readonly<Record<PhoneTemplateName, number>> = { sms: 140, call: 500 };

// A `{…}` with no brace inside: a placeholder if its name is one the words may have.
const BRACED = /\{[^{}]*\}/g;
// C0/C1 controls (line breaks, tabs…), invisible formatting (bidi overrides, zero-width), line
// and paragraph separators, what renders as nothing (default-ignorable code points, variation
// selectors, the blank Braille pattern and the Hangul fillers).
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800\u3164\u115f\u1160\uffa0]/u;
// What a phone turns into a link: a scheme, `www.`, a host name or address with a path, query,
// fragment or port (`evil.example/r`, `t.co?x`, `evil.example:8080`), an IPv4 address.
const LINK =
  /:\/\/|www\.|[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)+(?:[/?#\\]|:\d|:\/)|(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])/iu;
// A bare host name (`secure-login.com`, `a@evil.example`): phones make a link of it too. Refused in
// words a deployment writes; a service's own name may be one (`Booking.com`), through {service}.
const BARE_HOST = /[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)*\.\p{L}{2,24}(?![\p{L}\p{N}_-])/iu;
// Full stops a phone may read as a dot in a host name (ideographic, half-width) — NFKC keeps them.
const OTHER_DOTS = /[\u3002\uff61]/g;
// Joiners that belong in words (ZWNJ, ZWJ between letters: Persian, Indic scripts; ZWJ in an
// emoji sequence) and the emoji presentation selector after an emoji: not hidden characters.
const WORD_JOINERS =
  /(?<=[\p{L}\p{M}])[\u200c\u200d](?=[\p{L}\p{M}])|(?<=\p{Extended_Pictographic}\ufe0f?)\u200d(?=\p{Extended_Pictographic})|(?<=\p{Extended_Pictographic})\ufe0f/gu;

/** How long a message is, as its bounds count it: in code points (an emoji is one). */
export const messageLength = (words: string) => [...words].length;

/**
 * `words` with each placeholder `{name}` of `values` filled in, in one pass: a value that looks
 * like a placeholder (an issuer `{code}`) is never filled in again, and one with `$&` or `$'`
 * is written as it is (no replacement patterns).
 */
export function fillPlaceholders(words: string, values: Readonly<Record<string, string>>): string {
  return words.replace(BRACED, (braced) => {
    const name = braced.slice(1, -1);
    return Object.hasOwn(values, name) ? (values[name] ?? braced) : braced;
  });
}

/** What is wrong with the braces of `words` that may hold the placeholders `names`, or null. */
export function placeholderProblem(words: string, names: readonly string[]): string | null {
  const allowed = names.map((name) => `{${name}}`);
  const listed = allowed.join(' and ');
  const unknown = [...words.matchAll(BRACED)].find((m) => !allowed.includes(m[0]));
  if (unknown)
    return `unknown placeholder ${unknown[0]}: only ${listed} ${names.length === 1 ? 'is' : 'are'} filled in`;
  if (/[{}]/.test(words.replace(BRACED, '')))
    return `a brace that opens or closes no placeholder: braces only in ${listed}`;
  return null;
}

/** The message `template` says for `code` from `service`; a call's code is read digit by digit. */
export function fillPhoneTemplate(
  name: PhoneTemplateName,
  template: string,
  code: string,
  service: string,
): string {
  return fillPlaceholders(template, { code: name === 'call' ? code.split('').join(' ') : code, service });
}

/** The first thing wrong with a template (its length aside), or null. */
function templateProblem(template: string): string | null {
  if (!template.includes('{code}')) return 'must contain {code}, the code the message carries';
  return placeholderProblem(template, ['code', 'service']) ?? wordingProblem(template);
}

/** `words` as a phone may show them: joiners gone, full-width forms folded, other dots as dots. */
const asShown = (words: string) => words.replace(WORD_JOINERS, '').normalize('NFKC').replace(OTHER_DOTS, '.');

/**
 * What is wrong with words a phone shows or says, or null: control or invisible characters, or
 * a link. `written` (a deployment's template or call words, as written): a bare host name is a
 * link too; otherwise (a service's name, a message filled in with it) only an address with
 * something to follow is.
 */
export function wordingProblem(words: string, written = true): string | null {
  if (INVISIBLE.test(words.replace(WORD_JOINERS, '')))
    return 'no control or invisible characters (line breaks, tabs, bidi or zero-width marks)';
  // Checked as a phone may show it: full-width ｗｗｗ．and ：／／ read as www. and ://, 。 as a dot.
  const shown = asShown(words);
  if (LINK.test(shown) || (written && BARE_HOST.test(shown)))
    return `no links (://, www., ${written ? 'a host name, ' : 'a host name or address with a path, '}an IP address): a code message with a link is what phishing looks like`;
  return null;
}

/** The first thing wrong with a message `template` once filled in with `service`, or null. */
export function filledProblem(name: PhoneTemplateName, template: string, service: string): string | null {
  const problem = wordingProblem(fillPhoneTemplate(name, template, '123456', service), false);
  return problem === null ? null : `once {service} is filled in with "${service}": ${problem}`;
}

const templateSchema = z.string().superRefine((template, ctx) => {
  const problem = templateProblem(template);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

/** The `phone.messages` option: a template per message, each optional (the built-in one otherwise). */
export const phoneTemplatesSchema = z.strictObject({
  sms: templateSchema.optional(),
  call: templateSchema.optional(),
});

export type PhoneTemplates = z.output<typeof phoneTemplatesSchema>;

/** The name messages give: `phone.senderName`, else the issuer. */
export const serviceNameOf = (options: { issuer: string; phone: { senderName?: string | undefined } }) =>
  options.phone.senderName ?? options.issuer;

/** Each given template longer than its bound once filled in with a 6-digit code and `service`. */
export function overlongTemplates(
  templates: PhoneTemplates | undefined,
  service: string,
): { name: PhoneTemplateName; message: string }[] {
  const overlong: { name: PhoneTemplateName; message: string }[] = [];
  for (const name of ['sms', 'call'] as const) {
    const template = templates?.[name];
    if (template === undefined) continue;
    const length = messageLength(fillPhoneTemplate(name, template, '000000', service));
    if (length > PHONE_MESSAGE_MAX[name])
      overlong.push({
        name,
        message: `${length} characters once filled in with a 6-digit code and the service name "${service}"; at most ${PHONE_MESSAGE_MAX[name]}`,
      });
  }
  return overlong;
}
