// Phone numbers as users type them: E.164 (`+`, then 8 to 15 digits) once spaces, dashes, dots
// and parentheses are taken out, or a 400 saying how to write one. And how a number is shown
// once registered: masked, its last two digits only, so neither a page nor the JSON API ever
// gives the full number back. The `phone.callerId` option is read the same way.
import { MfaError } from '../../errors.ts';

/** The longest input looked at: a number with generous spacing, never a paragraph. */
export const PHONE_INPUT_MAX = 32;

const SEPARATORS = /[\s\-().]/g;
// ITU-T E.164: a country code never starts with 0; at most 15 digits in all.
const E164 = /^\+[1-9]\d{7,14}$/;

export const PHONE_NUMBER_MESSAGE =
  'Enter the phone number with its country code, starting with + (8 to 15 digits, e.g. +44 20 7946 0958).';

/**
 * `input` in E.164 once the separators are taken out, or null if it is not a number (or longer
 * than PHONE_INPUT_MAX): how a typed number and the `phone.callerId` option are both read.
 */
export function toE164(input: string): string | null {
  if (input.length > PHONE_INPUT_MAX) return null;
  const compact = input.replace(SEPARATORS, '');
  return E164.test(compact) ? compact : null;
}

/** The number in E.164 (`+447700900123`), or an MfaError 400 `invalid_phone_number`. */
export function parsePhoneNumber(input: string | undefined): string {
  if (input === undefined || input.trim() === '')
    throw new MfaError('invalid_phone_number', 'phoneNumber is required', 400);
  if (input.length > PHONE_INPUT_MAX)
    throw new MfaError('invalid_phone_number', `phoneNumber is too long. ${PHONE_NUMBER_MESSAGE}`, 400);
  const e164 = toE164(input);
  if (e164 === null) throw new MfaError('invalid_phone_number', PHONE_NUMBER_MESSAGE, 400);
  return e164;
}

/**
 * Ranges no sign-in code should be sent to by default: international premium-rate and shared-cost
 * services and the international networks that SMS pumping (toll fraud) abuses — +979 premium
 * rate, +800/+808/+878 international freephone, shared-cost and personal numbers, +870/+881
 * satellite, +882/+883 international networks, +888 humanitarian. `phone.blockedPrefixes`
 * replaces the list; `phone.allowedPrefixes` admits only the countries given.
 */
export const BLOCKED_PHONE_PREFIXES = [
  '+800',
  '+808',
  '+870',
  '+878',
  '+881',
  '+882',
  '+883',
  '+888',
  '+979',
] as const;

/** An MfaError 400 `phone_number_not_allowed` unless the options let codes be sent to `e164`. */
export function assertNumberAllowed(
  e164: string,
  rules: { blockedPrefixes: readonly string[]; allowedPrefixes?: readonly string[] | undefined },
): void {
  const blocked = rules.blockedPrefixes.find((prefix) => e164.startsWith(prefix));
  if (blocked !== undefined)
    throw new MfaError(
      'phone_number_not_allowed',
      `Codes are not sent to numbers starting ${blocked} here. Use another phone number.`,
      400,
    );
  if (rules.allowedPrefixes && !rules.allowedPrefixes.some((prefix) => e164.startsWith(prefix)))
    throw new MfaError(
      'phone_number_not_allowed',
      `Codes are sent only to numbers starting ${rules.allowedPrefixes.join(', ')} here. Use another phone number.`,
      400,
    );
}

/** `+•• ••• ••67`: the last two digits of the number, the same shape whatever its length. */
export const maskPhoneNumber = (e164: string) => `+•• ••• ••${e164.slice(-2)}`;
